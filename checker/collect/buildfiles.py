"""Build files read as what they build: which files and directories, under which symbols.

Three grammars, one result (`BuildFile`: items, each a file or a directory with the
Kconfig symbols that gate it, outermost first):

- **make** (Kbuild `Makefile`/`Kbuild`, and any Make file such as `Makefile.inc`,
  `Makefile.mk`, `Make.defs`): `<list>-$(CONFIG_X) += a.o b.c dir/` (any list name:
  `obj`, `lib`, `ramstage`, ...; a phase prefix inside the reference,
  `$(CONFIG_$(PHASE_)X)`, names X), `<list>-y`, plain `<list> += ...` (`CSRCS +=
  x.c`), composite objects (`foo-y := a.o`, `foo-objs`, `foo-$(CONFIG_Y)` when `foo.o`
  is listed), `subdirs-y += dir` (a word naming a subdirectory), conditionals
  (`ifeq ($(CONFIG_X),y)`, `ifneq ($(CONFIG_X),)`, `ifdef CONFIG_X`; a negated test
  or an `else` branch adds no symbol) and `include dir/Make.defs`;
- **cmake** (`CMakeLists.txt`, `*.cmake`): `<anything>_ifdef(CONFIG_X files|dir)`,
  `add_subdirectory(dir)`, `*_sources(...)`, `target_sources`, `list(APPEND ...)`,
  `set(...)`, `add_library(...)`, any command whose arguments name source files, and
  `if(CONFIG_X [AND ...])` blocks;
- **meson** (`meson.build`): `files('a.c', ...)`, `subdir('x')`, and string lists that
  name subdirectories holding a meson.build when the file subdirs by variable
  (DPDK's `drivers = [...]` with `foreach`).

Every scan is linear in the text: conditionals and commands are read line by line or
with a hand-written bracket scan, and no pattern has nested repetition.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SOURCE_EXTENSIONS = (".c", ".S", ".s", ".rs", ".cpp", ".cc", ".cxx")

# The names build files have, by grammar (fnmatch patterns on the file name).
GRAMMARS: dict[str, tuple[str, ...]] = {
    "make": ("Makefile", "Kbuild", "Makefile.*", "*.mk", "Make.defs"),
    "cmake": ("CMakeLists.txt", "*.cmake"),
    "meson": ("meson.build",),
}


@dataclass(frozen=True)
class BuildItem:
    """One thing a build file builds: a file (`x.o` or `x.c`) or a directory (`d/`)."""

    target: str  # a tree path; a directory ends with "/"
    gates: tuple[str, ...]  # Kconfig symbols without CONFIG_, outermost first
    own: str | None  # the symbol of the statement itself (obj-$(CONFIG_X)), if any
    list: str  # the list or command that names it: obj, CSRCS, zephyr_sources_ifdef...
    line: int
    member_of: str | None = None  # the composite object it is linked into

    @property
    def is_dir(self) -> bool:
        return self.target.endswith("/")


@dataclass
class BuildFile:
    path: str
    grammar: str
    items: list[BuildItem] = field(default_factory=list)
    includes: list[BuildItem] = field(default_factory=list)  # build files it includes

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.path)


@functools.lru_cache(maxsize=4096)
def grammar_of(name: str) -> str | None:
    for grammar, names in GRAMMARS.items():
        if any(fnmatch.fnmatchcase(name, p) for p in names):
            return grammar
    return None


def parse_build_file(path: str, text: str, is_dir: Callable[[str], bool],
                     grammar: str | None = None) -> BuildFile:
    """The items of one build file; `is_dir(path)` says whether a tree path is a
    directory (bare words and meson strings name directories only when one exists)."""
    kind = grammar or grammar_of(posixpath.basename(path)) or "make"
    parser = {"make": _parse_make, "cmake": _parse_cmake, "meson": _parse_meson}[kind]
    result = BuildFile(path, kind)
    parser(result, text, is_dir)
    return result


def _resolve(directory: str, item: str) -> str | None:
    """A build file's word as a tree path; None for what is not a path in the tree."""
    for prefix in ("$(obj)/", "$(src)/", "$(srctree)/$(src)/", "${CMAKE_CURRENT_SOURCE_DIR}/",
                   "${CMAKE_CURRENT_LIST_DIR}/", "./"):
        if item.startswith(prefix):
            item = item[len(prefix):]
            break
    root_relative = False
    for prefix in ("$(srctree)/", "${ZEPHYR_BASE}/", "$(TOPDIR)/", "${CMAKE_SOURCE_DIR}/"):
        if item.startswith(prefix):
            item, root_relative = item[len(prefix):], True
            break
    if not item or "$" in item or "*" in item or item.startswith("/") or "%" in item:
        return None
    joined = item if root_relative or not directory else f"{directory}/{item}"
    trailing = "/" if item.endswith("/") else ""
    clean = posixpath.normpath(joined)
    if clean == "." or clean.startswith("../") or clean == "..":
        return None
    return clean + trailing


def _is_source(word: str) -> bool:
    return word.endswith((".o", *SOURCE_EXTENSIONS))


# --- make --------------------------------------------------------------------------

_CONFIG_REF = re.compile(r"\$[({]CONFIG_(?:\$\([A-Za-z0-9_]+\))?([A-Za-z0-9_]+)[)}]")
_IFDEF = re.compile(r"^(ifn?def)\s+(?:CONFIG_)?([A-Za-z0-9_]+)\s*$")
_INCLUDE = re.compile(r"^-?s?include\s+(.+)$")


def _make_condition(line: str) -> tuple[bool, str | None] | None:
    """`ifeq/ifneq/ifdef/ifndef` -> (is a conditional, the symbol it requires or None)."""
    word = line.split(None, 1)[0] if line.split() else ""
    if word not in ("ifeq", "ifneq", "ifdef", "ifndef"):
        return None
    if word in ("ifdef", "ifndef"):
        match = _IFDEF.match(line)
        if match and word == "ifdef" and match.group(2).isupper():
            return True, match.group(2)
        return True, None
    refs = _CONFIG_REF.findall(line)
    if len(refs) != 1:
        return True, None
    rest = line[len(word):].strip()
    if rest.startswith("(") and rest.endswith(")"):
        parts = [p.strip().strip("'\"") for p in rest[1:-1].split(",")]
    else:
        parts = [p.strip().strip("'\"") for p in rest.split()]
    if len(parts) != 2:
        return True, None
    other = parts[1] if _CONFIG_REF.search(parts[0]) else parts[0]
    wants = (word == "ifeq" and other in ("y", "m")) or \
        (word == "ifneq" and other in ("", "n"))
    return True, refs[0] if wants else None


def _split_assignment(line: str) -> tuple[str, str, str] | None:
    """`name += values` -> (name, op, values); linear, no regex."""
    at = line.find("=")
    if at <= 0:
        return None
    op_start = at
    while op_start > 0 and line[op_start - 1] in "+:?!":
        op_start -= 1
    name = line[:op_start].strip()
    if not name or any(c.isspace() for c in name) or name.startswith(("export", "override")):
        return None
    return name, line[op_start:at + 1], line[at + 1:]


def _list_and_symbol(name: str) -> tuple[str, str | None, bool]:
    """`obj-$(CONFIG_X)` -> ("obj", "X", True); `obj-y` -> ("obj", None, True);
    `CSRCS` -> ("CSRCS", None, True); `obj-n` -> (..., False): never built."""
    if name.endswith(")") and "-$(" in name:
        head, ref = name.split("-$(", 1)
        # `$(CONFIG_X)`, also inside a function: `obj-$(subst m,y,$(CONFIG_HYPERV))`
        match = _CONFIG_REF.search("$(" + ref)
        return head, (match.group(1) if match else None), match is not None
    if "-" in name:
        head, suffix = name.rsplit("-", 1)
        if suffix in ("y", "m", "objs", "obj"):
            return head, None, True
        if suffix in ("n", ""):
            return head, None, False
    return name, None, True


def _parse_make(result: BuildFile, text: str, is_dir: Callable[[str], bool]) -> None:
    directory = result.directory
    stack: list[str | None] = []  # one entry per open conditional: its symbol or None
    raw_lines = text.replace("\\\r\n", " ").replace("\\\n", " ").split("\n")
    pending: list[tuple[str, str | None, tuple[str, ...], list[str], int]] = []
    for number, raw in enumerate(raw_lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word = line.split(None, 1)[0]
        if word == "else":
            if stack:
                stack[-1] = None
            rest = line[4:].strip()
            if rest and stack:
                condition = _make_condition(rest)
                stack[-1] = condition[1] if condition else None
            continue
        if word == "endif":
            if stack:
                stack.pop()
            continue
        condition = _make_condition(line)
        if condition is not None:
            stack.append(condition[1])
            continue
        gates = tuple(s for s in stack if s)
        if match := _INCLUDE.match(line):
            for word_ in match.group(1).split():
                _include(result, directory, word_, gates, number, is_dir)
            continue
        assignment = _split_assignment(line)
        if assignment is None:
            continue
        name, _op, values = assignment
        list_name, symbol, built = _list_and_symbol(name)
        if not built:
            continue
        pending.append((list_name, symbol, gates, values.split(), number))
    listed = {posixpath.basename(t)[:-2] for (_, _, _, words, _) in pending
              for t in words if t.endswith(".o")}
    for list_name, symbol, gates, words, number in pending:
        own_gates = (*gates, symbol) if symbol else gates
        member_of = f"{directory}/{list_name}.o" if directory else f"{list_name}.o"
        composite = list_name in listed and list_name != "obj"
        for word in words:
            if word.startswith("-"):
                continue
            target = _resolve(directory, word)
            if target is None:
                continue
            if target.endswith("/") or (list_name.startswith("subdir") and is_dir(target)):
                target = target.rstrip("/") + "/"
                if composite:
                    continue
            elif not _is_source(target):
                continue
            result.items.append(BuildItem(target, own_gates, symbol, list_name, number,
                                          member_of if composite else None))


def _include(result: BuildFile, directory: str, word: str, gates: tuple[str, ...],
             number: int, is_dir: Callable[[str], bool]) -> None:
    inner = word
    if inner.startswith("$(wildcard ") and inner.endswith(")"):
        inner = inner[len("$(wildcard "):-1].strip()
    star = inner.split("/", 1)[0] == "*"
    target = _resolve(directory, inner.replace("*/", "", 1) if star else inner)
    if target is None:
        return
    if star:
        result.includes.append(BuildItem(f"{directory}/*/{posixpath.basename(target)}"
                                         if directory else f"*/{posixpath.basename(target)}",
                                         gates, None, "include", number))
    else:
        result.includes.append(BuildItem(target, gates, None, "include", number))


# --- cmake -------------------------------------------------------------------------

_COMMAND = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(")


def _cmake_commands(text: str) -> Iterable[tuple[str, list[str], int]]:
    """(command, arguments, line) for every command invocation, with a bracket scan."""
    at, line, size = 0, 1, len(text)
    while at < size:
        char = text[at]
        if char == "#":
            end = text.find("\n", at)
            at = size if end < 0 else end
            continue
        if char == "\n":
            line += 1
            at += 1
            continue
        starts = (char.isalpha() or char == "_") and not (
            at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_"))
        match = _COMMAND.match(text, at) if starts else None
        if match is None:
            at += 1
            continue
        start_line = line
        depth, cursor, args, word = 1, match.end(), [], []
        quoted = False
        while cursor < size and depth:
            c = text[cursor]
            if c == "\n":
                line += 1
            if quoted:
                if c == '"':
                    quoted = False
                else:
                    word.append(c)
            elif c == '"':
                quoted = True
            elif c == "#":
                end = text.find("\n", cursor)
                cursor = size if end < 0 else end
                continue
            elif c == "(":
                depth += 1
                word.append(c)
            elif c == ")":
                depth -= 1
                if depth:
                    word.append(c)
            elif c.isspace():
                if word:
                    args.append("".join(word))
                    word = []
            else:
                word.append(c)
            cursor += 1
        if word:
            args.append("".join(word))
        yield match.group(1), args, start_line
        at = cursor


def _cmake_condition(args: list[str]) -> str | None:
    words = [a for a in args if a not in ("DEFINED",)]
    if len(words) == 1 and words[0].startswith("CONFIG_"):
        return words[0][len("CONFIG_"):]
    if words and all(w == "AND" or w.startswith("CONFIG_") for w in words) and "AND" in words:
        return words[0][len("CONFIG_"):]
    return None


def _parse_cmake(result: BuildFile, text: str, is_dir: Callable[[str], bool]) -> None:
    directory = result.directory
    stack: list[str | None] = []
    for command, args, number in _cmake_commands(text):
        lower = command.lower()
        if lower == "if":
            stack.append(_cmake_condition(args))
            continue
        if lower in ("elseif", "else"):
            if stack:
                stack[-1] = _cmake_condition(args) if lower == "elseif" else None
            continue
        if lower == "endif":
            if stack:
                stack.pop()
            continue
        gates = tuple(s for s in stack if s)
        own = None
        words = args
        if lower.endswith("_ifdef") and args and args[0].startswith("CONFIG_"):
            own, words = args[0][len("CONFIG_"):], args[1:]
        elif lower.endswith(("_ifndef", "_ifnotdef")):
            continue
        subdirs = "subdir" in lower
        for word in words:
            target = _resolve(directory, word)
            if target is None:
                continue
            if subdirs and not _is_source(target) and is_dir(target.rstrip("/")):
                target = target.rstrip("/") + "/"
            elif not _is_source(target):
                continue
            result.items.append(BuildItem(target, (*gates, own) if own else gates, own,
                                          command, number))


# --- meson -------------------------------------------------------------------------

_MESON_CALL = re.compile(r"\b(files|subdir)\s*\(([^()]*)\)")
_STRING = re.compile(r"'([^'\n]*)'")


def _parse_meson(result: BuildFile, text: str, is_dir: Callable[[str], bool]) -> None:
    directory = result.directory
    lines = text.split("\n")
    code = "\n".join(line.split("#", 1)[0] for line in lines)  # calls may span lines
    by_variable = False
    number, counted = 1, 0
    for match in _MESON_CALL.finditer(code):
        number += code.count("\n", counted, match.start())  # each newline counted once
        counted = match.start()
        strings = _STRING.findall(match.group(2))
        if match.group(1) == "subdir" and not strings:
            by_variable = True
        for word in strings:
            target = _resolve(directory, word)
            if target is None:
                continue
            if match.group(1) == "subdir":
                result.items.append(BuildItem(target.rstrip("/") + "/", (), None, "subdir",
                                              number))
            elif _is_source(target):
                result.items.append(BuildItem(target, (), None, "files", number))
    if by_variable:
        for number, raw in enumerate(lines, start=1):
            for word in _STRING.findall(raw.split("#", 1)[0]):
                target = _resolve(directory, word)
                if target and "/" not in word and is_dir(target) \
                        and not any(i.target == target + "/" for i in result.items):
                    result.items.append(BuildItem(target + "/", (), None, "subdir", number))
