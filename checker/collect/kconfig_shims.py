"""What kconfiglib needs answered to read a real tree without running anything.

Every shim is here, each small and tested (tests/test_kconfig_shims.py):

- `rewrite_line`: Kconfig keywords newer than kconfiglib 14.1. Linux 6.x writes
  `modules` alone on a line where older trees wrote `option modules`; Linux 6.18 adds
  `transitional`. Lines are rewritten, never dropped silently. `rewrite_text` also
  indents a help text's first line written at column 0, which Kconfig's lexer reads as
  help and kconfiglib does not.
- `shell`: the `$(shell,...)` preprocessor function. A tree's Kconfig asks the host
  toolchain for versions and probes compiler flags; a tree from anywhere must never run
  a command here, so each command is answered from its text: `test`/`[` expressions are
  evaluated, `{ probe; } ... && echo A || echo B` takes A (a current toolchain has the
  flag), `set -- WORDS && echo $N` picks a word, `echo` echoes, and the version scripts
  of Linux's scripts/ directory answer as GCC 12.2 with binutils 2.40 and no Rust.
  Anything else is the empty string, with a warning.
- `error-if`, `warning-if`, `info`: warnings, never a stop.
- `choose_env`: values for the variables a top Kconfig needs in `source` paths
  (`arch/$(SRCARCH)/Kconfig`): the value that names an existing file, preferring the
  directory with the most shipped configurations.
- `kconfig_root`: the directory `source` paths are relative to (`$srctree`): the tree's
  root for Linux, `xen/` for a tree whose Kconfig sits in a subdirectory and sources
  `"arch/$(SRCARCH)/Kconfig"` from there.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

# The toolchain the version scripts answer for (scripts/*-version.sh of Linux).
TOOLCHAIN = {
    "cc-version.sh": "GCC 120200",
    "as-version.sh": "GNU 24000",
    "ld-version.sh": "BFD 24000",
    "rustc-version.sh": "0",
    "rustc-llvm-version.sh": "0",
    "pahole-version.sh": "0",
}

# Longer commands are not parsed (the patterns below stay cheap on any input).
MAX_COMMAND = 4096

_KEYWORD_ALONE = re.compile(r"^(\s+)(modules|transitional)\s*(#.*)?$")


def rewrite_line(line: str) -> tuple[str, str | None]:
    """One Kconfig line as kconfiglib 14.1 reads it, and what was changed (or None)."""
    match = _KEYWORD_ALONE.match(line.rstrip("\n"))
    if not match:
        return line, None
    end = "\n" if line.endswith("\n") else ""
    if match.group(2) == "modules":
        return f"{match.group(1)}option modules{end}", "`modules` read as `option modules`"
    return f"{match.group(1)}# transitional{end}", "`transitional` ignored"


_HELP = re.compile(r"^[ \t]*(?:help|---help---)[ \t]*$")


def rewrite_text(text: str) -> tuple[str, int]:
    """The whole file rewritten, and how many lines changed."""
    if "modules" not in text and "transitional" not in text and "help" not in text:
        return text, 0
    lines = text.splitlines(keepends=True)
    changed = 0
    after_help = False  # the line right after a `help` line
    for number, line in enumerate(lines):
        if after_help:
            after_help = False
            if line.strip() and not line[0].isspace():
                # Kconfig's lexer takes the line right after `help` as help text
                # wherever it starts (barebox 2016's `filetype` help begins at column 0,
                # and what follows is indented); kconfiglib ends the help there and
                # fails on every line after it. After a blank line, a line at column 0
                # ends the help in both (barebox's MIPS `help`, blank, `endchoice`).
                lines[number] = "\t" + line
                changed += 1
                continue
        if _HELP.match(line.rstrip("\n")):
            after_help = True
            continue
        new, why = rewrite_line(line)
        if why is not None:
            lines[number] = new
            changed += 1
    return "".join(lines), changed


# `{ CMD; } >/dev/null 2>&1 && echo "A" || echo "B"` (Linux's if-success macro). The
# command runs to the last `}` the rest fits after (greedy, so one backtracking pass:
# a lazy `.*?` before `\s*` retried the blanks at every position, quadratic).
_IF_SUCCESS = re.compile(
    r"^\{(?P<cmd>.*)\}\s*(?:>\s*/dev/null\s*)?(?:2>&1\s*)?"
    r"&&\s*echo\s+(?P<yes>\"[^\"]*\"|'[^']*'|\S*)\s*\|\|\s*echo\s+"
    r"(?P<no>\"[^\"]*\"|'[^']*'|\S*)\s*$", re.DOTALL)
_SET_ECHO = re.compile(r"^set\s+--(?=\s)(?P<words>[^&]*)&&\s*echo\s+\$(?P<n>[0-9])\s*$")


def shell(command: str, warn: Callable[[str], None]) -> str:
    """The answer to `$(shell,command)`, computed from its text alone."""
    command = command.strip()
    if len(command) > MAX_COMMAND:
        warn(f"$(shell,...) of {len(command):,} characters not read: read as empty")
        return ""
    if match := _IF_SUCCESS.match(command):
        yes, no = (_unquote(match.group(k)) for k in ("yes", "no"))
        return yes if _succeeds(match.group("cmd").strip().rstrip(";")) else no
    if match := _SET_ECHO.match(command):
        words = match.group("words").split()
        index = int(match.group("n")) - 1
        return words[index] if 0 <= index < len(words) else ""
    words = _split(command)
    if words and words[0] == "echo" and "|" not in command and ">" not in command:
        return " ".join(words[1:])
    if words:
        script = words[0].rsplit("/", 1)[-1]
        if script in TOOLCHAIN:
            return TOOLCHAIN[script]
    warn(f"$(shell,{command[:120]}) not run: read as empty")
    return ""


def _succeeds(command: str) -> bool:
    """Whether a probe succeeds: `test` expressions are evaluated, and a toolchain
    probe (compiling, linking) is taken to succeed."""
    words = _split(command)
    if words and words[0] in ("test", "["):
        body = words[1:-1] if words[0] == "[" and words[-1:] == ["]"] else words[1:]
        return _test(body)
    return True


def _test(words: list[str]) -> bool:
    if words[:1] == ["!"]:
        return not _test(words[1:])
    if len(words) == 0:
        return False
    if len(words) == 1:
        return words[0] != ""
    if len(words) == 2:
        flag, value = words
        if flag == "-z":
            return value == ""
        if flag == "-n":
            return value != ""
        return False  # -e, -f, -d ...: nothing on the host is looked at
    left, op, right = words[0], words[1], " ".join(words[2:])
    if op in ("=", "=="):
        return left == right
    if op == "!=":
        return left != right
    numbers = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__,
               "-le": int.__le__, "-gt": int.__gt__, "-ge": int.__ge__}
    if op in numbers:
        try:
            return bool(numbers[op](int(left), int(right)))
        except ValueError:
            return False
    return False


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _unquote(word: str) -> str:
    return word[1:-1] if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'" else word


def functions(warn: Callable[[str], None]) -> dict[str, tuple[Any, int, int]]:
    """The preprocessor functions, in kconfiglib's form: name -> (fn, min, max)."""

    def shell_fn(kconf: Any, _: str, command: str) -> str:
        return shell(command, lambda message: warn(_where(kconf) + message))

    def error_if(kconf: Any, _: str, cond: str, message: str) -> str:
        if cond == "y":
            warn(f"{_where(kconf)}$(error-if) would stop the build: {message[:200]}")
        return ""

    def warning_if(kconf: Any, _: str, cond: str, message: str) -> str:
        return ""

    def info(kconf: Any, _: str, message: str) -> str:
        return ""

    return {"shell": (shell_fn, 1, 1), "error-if": (error_if, 2, 2),
            "warning-if": (warning_if, 2, 2), "info": (info, 1, 1)}


def _where(kconf: Any) -> str:
    return f"{kconf.filename}:{kconf.linenr}: " if getattr(kconf, "filename", None) else ""


_VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$([A-Za-z_][A-Za-z0-9_]*)")
_SOURCE = re.compile(r'^[ \t]*((?:o|r|or)?source)[ \t]+"([^"\n]*)"', re.MULTILINE)


def source_lines(text: str) -> list[tuple[str, str]]:
    """(keyword, path) of every `source`/`rsource`/`osource`/`orsource` line."""
    return [(m.group(1), m.group(2)) for m in _SOURCE.finditer(text)]


ROOT_PATTERNS = 100  # `source` lines of the top that kconfig_root weighs (bounded work)


def kconfig_root(top: str, text: str, paths: Collection[str]) -> str:
    """The directory a top Kconfig's `source` paths are relative to: of the tree's root,
    the top's own directory and the directories between, the one below which the most
    of its `source` paths without variables name a file of the tree (a glob: at least
    one); the root on a tie. "" is the tree's root."""
    patterns = [path for kind, path in source_lines(text)
                if not kind.startswith(("r", "or")) and "$" not in path][:ROOT_PATTERNS]
    candidates = [""]
    directory = posixpath.dirname(top)
    while directory:
        candidates.insert(1, directory)
        directory = posixpath.dirname(directory)

    def found(root: str) -> int:
        count = 0
        for pattern in patterns:
            full = posixpath.normpath(f"{root}/{pattern}") if root else pattern
            if any(c in full for c in "*?["):
                count += any(fnmatch.fnmatchcase(p, full) for p in paths)
            else:
                count += full in paths
        return count

    best, score = "", found("")
    for root in candidates[1:]:
        here = found(root)
        if here > score:
            best, score = root, here
    return best


def source_variables(text: str) -> dict[str, list[str]]:
    """Variable -> the `source` paths of one Kconfig text that use it."""
    found: dict[str, list[str]] = {}
    for _kind, path in source_lines(text):
        for var in _VARIABLE.finditer(path):
            found.setdefault(var.group(1) or var.group(2), []).append(path)
    return found


def choose_env(top: str, files: Iterable[str], configs: Mapping[str, int],
               defined: Iterable[str] = (), root: str = "", tops: Iterable[str] = ()
               ) -> dict[str, str]:
    """Values for the variables the top Kconfig's `source` lines need.

    `files` are the tree's paths; `configs` counts shipped configurations per directory
    (`arch/arm/configs/x_defconfig` counts for `arch/arm`). A variable takes each
    candidate value that makes one of its `source` paths an existing file in a directory
    that ships configurations; the one with the most wins, then the first by name (no
    such value: the variable is left unset, and its `source` reads as empty). A variable
    that starts a path (`$(APPSDIR)/Kconfig`) names a place, not a choice among sibling
    directories: it is the Kconfig root itself (".") when most of the paths it starts
    are files there and none is a top (OpenSBI's `$(OPENSBI_SRC_DIR)/lib/utils/Kconfig`);
    else it is not guessed (NuttX's `$(APPSDIR)/Kconfig` is another repository's: here
    it would be the top again). Variables the Kconfig defines itself (`SRCARCH := ...`)
    are left alone. `root`: the directory the `source` paths are relative to
    (`kconfig_root`); `tops`: the top files."""
    paths = set(files)
    skip = set(defined)
    top_files = set(tops)
    env: dict[str, str] = {}
    for variable, patterns in sorted(source_variables(top).items()):
        if variable in skip:
            continue
        if _is_root(variable, patterns, paths, top_files, root):
            env[variable] = "."
            continue
        scores: dict[str, tuple[int, str]] = {}
        for pattern in patterns:
            if pattern.split("/", 1)[0].startswith("$"):
                continue  # `$(APPSDIR)/Kconfig` names a place, not one of sibling choices
            regex = _pattern_regex(f"{root}/{pattern}" if root else pattern, variable)
            if regex is None:
                continue
            for path in paths:
                match = regex.fullmatch(path)
                if match:
                    value = match.group(1)
                    prefix = path[:match.start(1)] + value
                    if configs.get(prefix, 0):  # a directory that ships configurations
                        scores[value] = (-configs[prefix], value)
        if scores:
            env[variable] = min(scores.values())[1]
    return env


def after_variable(pattern: str, variable: str) -> str | None:
    """The rest of a `source` path that starts with the variable and holds no other
    (`$(V)/lib/Kconfig` or `$V/lib/Kconfig` -> lib/Kconfig), else None."""
    first, _, rest = pattern.partition("/")
    if first in (f"$({variable})", f"${variable}") and rest and "$" not in rest:
        return rest
    return None


def _is_root(variable: str, patterns: Iterable[str], paths: set[str], tops: set[str],
             root: str) -> bool:
    rests = []
    for pattern in patterns:
        rest = after_variable(pattern, variable)
        if rest is None:
            return False
        rests.append(posixpath.normpath(f"{root}/{rest}" if root else rest))
    found = sum(1 for r in rests if r in paths)  # a stale `source` may name none
    return found > 0 and 2 * found >= len(rests) and not any(r in tops for r in rests)


def _pattern_regex(pattern: str, variable: str) -> re.Pattern[str] | None:
    """`arch/$(SRCARCH)/Kconfig` -> a regex with one group for the variable."""
    parts: list[str] = []
    last = 0
    seen = False
    for match in _VARIABLE.finditer(pattern):
        parts.append(re.escape(pattern[last:match.start()]))
        name = match.group(1) or match.group(2)
        if name == variable and not seen:
            parts.append(r"([A-Za-z0-9_.+-]+)")
            seen = True
        else:
            return None  # two variables in one path: not guessed
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts)) if seen else None


def variable_bases(texts: Iterable[str], root: str = "") -> dict[str, str]:
    """Variable -> the directory whose children it chooses among (`source
    "arch/$(SRCARCH)/Kconfig"` -> SRCARCH: arch), from every `source` line; below
    `root`, the directory the paths are relative to (`kconfig_root`)."""
    bases: dict[str, str] = {}
    for text in texts:
        for variable, patterns in source_variables(text).items():
            for pattern in patterns:
                head = pattern.split("$", 1)[0]
                if head.endswith("/") and head.strip("/"):
                    bases.setdefault(variable, f"{root}/{head.strip('/')}" if root
                                     else head.strip("/"))
    return bases
