"""Every regular expression of the checker runs in linear time on what it reads (issue 23).

Repository files, kernel trees and git output are hostile, and a backtracking regular
expression that is quadratic (a lazy or optional repetition followed by one that can
match the same characters, a search that retries at every position and scans to the
end each time) turns 256 KiB into hours. Policies' patterns run in RE2
(checker/core/saferegex.py); the code's own patterns are reviewed here:

- `REVIEWED` lists every `re.compile`, `re.search`, `re.match`, `re.sub`, ... call in
  checker/ (found with `ast`), with how the code runs it (`match` tries one position,
  `search`, `finditer`, `sub`, `split` and `findall` try every position) and hostile
  fragments chosen for it. A new or changed pattern fails
  `test_every_regular_expression_of_the_checker_is_reviewed` until it is reviewed and
  listed; what needs rewriting becomes a hand scan (checker/collect/kbuild.py's
  device tables, checker/validate/driver.py's `# guessed` comments) or RE2.
- `test_each_reviewed_expression_is_linear_on_256_kib` runs each the way the code runs
  it over 256 KiB made of each of its own characters, and of its hostile fragments,
  under a hang guard: a quadratic pattern takes minutes to hours there (the ones fixed
  took 30 minutes and more), a linear one milliseconds. `pytest -m fuzz` also tries
  every pair of its characters.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, hang_guard

CALLS = {"compile", "search", "match", "fullmatch", "finditer", "findall", "sub", "subn",
         "split"}
SIZE = 256 * 1024


@dataclass(frozen=True)
class Use:
    how: str  # match (one position) | search | finditer | findall | sub | split
    hostile: tuple[str, ...] = ()  # fragments repeated to SIZE, besides each character
    flags: int = 0
    why: str = ""
    around: tuple[str, str] = ("", "")  # what the code's subject always holds around them
    characters: bool = True  # also runs of each character (False: the subject is shaped)


# (module, pattern) -> how the code runs it. Patterns built at run time are keyed by
# their source text with a "dynamic: " prefix and say why they are bounded.
REVIEWED: dict[tuple[str, str | bytes], Use] = {
    ("checker/backtest/engine.py", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"): Use("match"),
    ("checker/check/history.py", r"^[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*$"):
        Use("match", ("a/", "a/-")),
    ("checker/check/history.py", r"\n([A-Za-z_][A-Za-z0-9_]*):(?=[ \n]|\Z)"):
        Use("finditer", ("\na", "\na:", "\n_:x")),
    ("checker/check/history.py", r"[|>](?:[1-9]?\+|\+[1-9])"): Use("search", ("|1", ">+")),
    ("checker/cli/commands/new.py", r"[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*"):
        Use("match", ("a/", "0"), why="fullmatch of one command-line id"),
    ("checker/collect/driverfile.py", r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]|$)"):
        Use("match", ("a ", "a:", "a\t")),
    ("checker/collect/gitrepo.py", r"[0-9a-f]{40}|[0-9a-f]{64}"): Use("match"),
    ("checker/collect/history.py", rb"(?:\A|\0)\n?(-?[0-9]+) ([0-9a-f]+)\n?(?=\0|\Z)"):
        Use("finditer", ("\x001 a", "\x00\n1", "1 ")),
    ("checker/collect/history.py",
     rb"(?:\A|\0)\n?(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\0]*)"):
        Use("finditer", ("\x001 a\x1f", "\x001 a\x1fx", "\x1f")),
    ("checker/collect/kbuild.py", r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$"):
        Use("match", ("config a ", " ")),
    ("checker/collect/kbuild.py", r"^\s*depends\s+on\s+(.*)$"): Use("match", ("depends on ",)),
    ("checker/collect/kbuild.py", r"^\s*if\s+(.*)$"): Use("match", ("if ",)),
    ("checker/collect/kbuild.py", r"^\s*(menu|choice)\b"): Use("match"),
    ("checker/collect/kbuild.py", r"^\s*(endif|endmenu|endchoice)\b"): Use("match"),
    ("checker/collect/kbuild.py", r"(?<![!\w])BROKEN\b"): Use("search", ("BROKEN", "!BROKEN")),
    ("checker/collect/kbuild.py",
     r"^\s*([A-Za-z0-9_.-]+?)-(\$\(CONFIG_(?:\$\([A-Za-z0-9_]+\))?([A-Za-z0-9_]+)\)|y|m|objs)"
     r"\s*[:+]?=\s*(.*)$"): Use("match", ("a-", "a-$(CONFIG_", "obj-y")),
    ("checker/collect/kbuild.py", r"\bMODULE_DEVICE_TABLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)"):
        Use("finditer", ("MODULE_DEVICE_TABLE(", "MODULE_DEVICE_TABLE(a, b",
                         "MODULE_DEVICE_TABLE")),
    ("checker/collect/kbuild.py", r"^[\s,0{}]*$"): Use("match", ("{0,", "{0,}x")),
    ("checker/collect/kbuild.py", "\\\\\\n"): Use("sub", ("\\\n", "\\")),
    ("checker/collect/maintainers.py", r"([A-Z]):(.*)"): Use("match", ("A:", "A: ")),
    ("checker/collect/naming.py", r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$"):
        Use("match", ("config a ",)),
    ("checker/collect/naming.py",
     r'^\s*(?:bool|tristate|prompt|string|int|hex)\s+"((?:[^"\\]|\\.)*)"'):
        Use("match", ('bool "', '\\"', "\\")),
    ("checker/collect/naming.py", r"\s+"): Use("sub"),
    ("checker/collect/naming.py", r"[^a-z0-9_.+-]+"): Use("sub"),
    ("checker/collect/rules.py", r"^\(\?([aiLmsux]+)\)"): Use("match", ("(?a",)),
    ("checker/collect/series.py", "dynamic: f'(?:[^\\\\s:]{{1,{MAX_TAG}}}: +)+'"):
        Use("match", ("a: ", "a:", "a" * 64 + ": ", ":"),
            why="each repetition ends at `: ` and its run cannot hold `:` or a blank"),
    ("checker/collect/yamltext.py",
     r"^[A-Za-z_][A-Za-z0-9 _./()+,-]*[A-Za-z0-9_./)+-]$|^[A-Za-z_]$"):
        Use("match", ("a ", "a,")),
    ("checker/core/paths.py", "dynamic: fnmatch.translate(part)"):
        Use("match", why="a path component is at most 255 characters (NAME_MAX), and "
            "fnmatch's translation of `*` does not backtrack"),
    ("checker/core/paths.py", "dynamic: fnmatch.translate(part[index - 1:end + 1])"):
        Use("match", why="one character class, tested on one character"),
    ("checker/core/saferegex.py", "dynamic: pattern"):
        Use("compile", why="a policy's pattern is compiled to be checked, never run: RE2 runs it"),
    ("checker/load/cache.py", r"[0-9a-f]{32}"): Use("match"),
    ("checker/load/document.py", r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt ]|$)"):
        Use("match"),
    ("checker/load/document.py",
     "dynamic: f\"\"\"^\\\\s{{{indent}}}(?:- )?['\\\\\"]?{name}['\\\\\"]?\\\\s*:\"\"\""):
        Use("match", why="one try at the start of each line before the duplicate"),
    ("checker/load/document.py", r'duplicate key "(.*?)" with'):
        Use("search", ('duplicate key "', '" wit'), around=('found duplicate key "', '" with v'),
            why="the first line of ruamel's message; it holds `\" with` after the first "
            "`duplicate key \"` unless the key itself holds a line break: then a key of "
            "many `duplicate key \"` makes the search quadratic (7 s for a 240 KB file, "
            "capped by the file limit). load/document.py is the YAML reader's (issue 23, "
            "another branch): reported there, not changed here"),
    ("checker/load/fastyaml.py", r"[-+]?(0|[1-9][0-9]*)\Z"): Use("match"),
    ("checker/load/fastyaml.py", r"[-+]?(0|[1-9][0-9]*)\.[0-9]+\Z"): Use("match"),
    ("checker/load/fastyaml.py", r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"): Use("match"),
    ("checker/load/fastyaml.py",
     r"(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?0b[0-1_]+|[-+]?0o[0-7_]+"
     r"|[-+]?0x[0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
     r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?|[-+0-9_.:eE]+|y|Y|yes|Yes|YES|n|N|no|No"
     r"|NO|on|On|ON|off|Off|OFF|<<|=)\Z"): Use("match", ("1:", "1:5", "1_", "0x")),
    ("checker/load/fastyaml.py", r"monthly:[ \t]*\n"): Use("finditer", ("monthly: ",)),
    ("checker/load/fastyaml.py",
     r'( *)- \{month: "([0-9]{4}-[0-9]{2})", commits: (0|[1-9][0-9]{0,17}), added: '
     r"(0|[1-9][0-9]{0,17}), removed: (0|[1-9][0-9]{0,17})\}[ \t]*(?:\n|\Z)"):
        Use("findall", ('- {month: "2024-01", commits: 1, added: 1, removed: 1}\n',),
            characters=False, why="runs only over what _MONTH_BLOCK matched: whole month "
            "lines (over a run of blanks it would be quadratic)"),
    ("checker/load/fastyaml.py",
     "dynamic: '(?:' + re.sub('\\\\((?!\\\\?)', '(?:', _MONTH_LINE.pattern) + ')+'"):
        Use("match", why="the month line pattern, repeated; each repetition ends at a line break"),
    ("checker/load/fastyaml.py", r"(?:[ \t]*(?:#[^\n]*)?\n)*( *)(\S?)"):
        Use("match", ("\t", " #", "#\n "), why="run once, after the month lines"),
    ("checker/load/fastyaml.py", r"(^|[\s\[{,:-])[&*!][^\s,\]}]"): Use("search", ("&", " &")),
    ("checker/load/fastyaml.py", r"\((?!\?)"): Use("sub", why="over the module's own pattern"),
    ("checker/load/layout.py", r"^drivers/([^/]+)/([^/]+)\.yaml$"):
        Use("match", ("drivers/a/", ".yaml")),
    ("checker/load/marks.py", r"\n(name|path|paths)[ \t]*:(?=[ \t]|$)"):
        Use("finditer", ("\nname ", "\npaths:", "\npath\t"), flags=re.M),
    ("checker/load/marks.py",
     r"[ \t]*(\"[^\"\\\n]*\"|'[^'\n]*'|[^,\]\s\"'](?:[ \t]*+[^,\]\n \t])*+)[ \t]*(,|\])"):
        Use("match", ("a ", " \t", "a, ", '"a')),
    ("checker/render/markdown.py",
     "[\x00-\x08\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
     "\u2066-\u2069\ufeff\U000e0000-\U000e007f]"): Use("sub"),
    ("checker/render/markdown.py",
     r"@(?=[\w-])|#(?=[0-9])|\bGH-(?=[0-9])|\bwww(?=\.)|\b[A-Za-z]{2,10}(?=://)"):
        Use("sub", ("www", "GH-", "abcdefghij:/")),
    ("checker/render/markdown.py",
     r"^(#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|[0-9]{1,9}(?=[.)]([ \t]|$))|=+[ \t]*$|-[- \t]*$)"):
        Use("sub", ("= ", "- ", "-x")),
    ("checker/render/markdown.py",
     r"[\\*\[\]<>|~$`]|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
     r"|(?<![^\W_])_|_(?![^\W_])"): Use("sub", ("&#", "&a", "a_")),
    ("checker/render/markdown.py", r"\n[ \t]*\n"): Use("split", ("\n ", "\n\t")),
    ("checker/render/markdown.py", r"`+"): Use("finditer", ("`a",)),
    ("checker/render/seal.py", rb"Seal: ([0-9a-f]{32})"): Use("search", ("Seal: 0",)),
    ("checker/validate/driver.py", r"\bTODO\b"): Use("search", ("TODO", "TODOx")),
    ("checker/validate/driver.py", r"\bguess(?:ed)?\b"): Use("search", ("guess", "guesse"),
                                                             flags=re.IGNORECASE),
    ("checker/validate/driver.py", "dynamic: schemas.NAME_RE"):
        Use("match", why="checker.validate.schemas.NAME_RE, tested below with the schemas"),
    ("checker/validate/fastcheck.py",
     "dynamic: pattern if pattern.endswith('$') else pattern + '$'"):
        Use("match", why="the schemas' own patterns, tested below"),
    ("checker/validate/values.py", r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"):
        Use("match"),
    ("checker/validate/values.py",
     r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!#-;=?-_a-~]*)?\Z"):
        Use("match", ("http://a", "http://a/")),
}


def _found() -> dict[tuple[str, str | bytes], int]:
    """(module, pattern) -> flags of every regular-expression call in checker/."""
    found: dict[tuple[str, str | bytes], int] = {}
    for path in sorted((ROOT / "checker").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in CALLS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "re" and node.args):
                continue
            try:
                pattern: str | bytes = ast.literal_eval(node.args[0])
            except ValueError:
                pattern = "dynamic: " + ast.unparse(node.args[0])
            flags = 0
            for arg in [*node.args[1:], *(k.value for k in node.keywords)]:
                for name in ("DOTALL", "IGNORECASE", "MULTILINE", "M"):
                    if f"re.{name}" in ast.unparse(arg):
                        flags |= getattr(re, name)
            found[(rel, pattern)] = flags
    return found


FOUND = _found()


def test_every_regular_expression_of_the_checker_is_reviewed() -> None:
    """A pattern added or changed in checker/ is listed in REVIEWED once it has been
    reviewed for super-linear backtracking (and a stale entry is removed)."""
    new = sorted(map(str, set(FOUND) - set(REVIEWED)))
    assert new == [], "review these for linear time and list them in REVIEWED"
    gone = sorted(map(str, set(REVIEWED) - set(FOUND)))
    assert gone == [], "no longer in the code: remove them from REVIEWED"


def _fragments(pattern: str | bytes, use: Use, pairs: bool) -> list[str]:
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    alphabet = sorted({c for c in text if c.isprintable() or c in "\t\n\0\x1f"}
                      | set(" \t\naA0_"))  # what \s, \w and \d stand for
    out = [*(alphabet if use.characters else ()), *use.hostile]
    if pairs and use.characters:
        out += [a + b for a, b in itertools.product(alphabet, repeat=2)]
    return out


def _run(regex: re.Pattern[Any], how: str, subject: Any) -> None:
    if how == "match":
        regex.match(subject)
    elif how == "search":
        regex.search(subject)
    elif how == "finditer":
        for _ in regex.finditer(subject):
            pass
    elif how == "findall":
        regex.findall(subject)
    elif how == "sub":
        regex.sub(subject[:0], subject)
    elif how == "split":
        regex.split(subject)


LITERAL = sorted((key for key in REVIEWED if not str(key[1]).startswith("dynamic: ")), key=str)


def _check_linear(key: tuple[str, str | bytes], pairs: bool) -> None:
    pattern = key[1]
    use = REVIEWED[key]
    regex = re.compile(pattern, FOUND.get(key, 0) | use.flags)
    for fragment in _fragments(pattern, use, pairs):
        body = fragment * (SIZE // len(fragment))
        subjects = [use.around[0] + body + use.around[1]]
        if use.around == ("", ""):
            subjects.append(body + "\n")
        for subject in subjects:
            with hang_guard():
                _run(regex, use.how, subject.encode("latin-1") if isinstance(pattern, bytes)
                     else subject)


@pytest.mark.parametrize("key", LITERAL, ids=lambda k: f"{Path(k[0]).stem}:{str(k[1])[:30]}")
def test_each_reviewed_expression_is_linear_on_256_kib(key: tuple[str, str | bytes]) -> None:
    _check_linear(key, pairs=False)


@pytest.mark.fuzz
@pytest.mark.parametrize("key", LITERAL, ids=lambda k: f"{Path(k[0]).stem}:{str(k[1])[:30]}")
def test_each_reviewed_expression_is_linear_on_256_kib_of_any_pair(
    key: tuple[str, str | bytes]
) -> None:
    _check_linear(key, pairs=True)


def _schema_patterns() -> list[str]:
    from checker.validate import policy_schema, schemas

    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("regex"), str):
                found.add(value["regex"])
            for item in value.values():
                walk(item)

    walk(schemas.DRIVER_SCHEMA)
    walk(policy_schema.POLICY_SCHEMA)
    walk(policy_schema.FIXTURE_SCHEMA)
    return sorted(found)


@pytest.mark.parametrize("pattern", _schema_patterns())
def test_the_schemas_patterns_are_linear_on_256_kib(pattern: str) -> None:
    """fastcheck and cerberus match the schemas' patterns against evidence values (a
    value may be most of a 256 KiB file)."""
    regex = re.compile(pattern if pattern.endswith("$") else pattern + "$")
    for fragment in _fragments(pattern, Use("match", ("a/", "../", "a" * 255 + "/")), False):
        with hang_guard():
            regex.match(fragment * (SIZE // len(fragment)))


def test_the_runtime_built_patterns_are_linear() -> None:
    """The patterns built at run time, as the code builds them, on hostile input."""
    from checker.collect import series
    from checker.core.paths import _component_matcher
    from checker.load import fastyaml

    with hang_guard():
        series._TAGS.match("a: " * (SIZE // 3) + "x")
        series._TAGS.match(("a" * 64 + ":") * (SIZE // 65))
        fastyaml._MONTH_BLOCK.match(' - {month: "2024-01", commits: 1, added: 1, removed: 1}'
                                    * (SIZE // 56))
        test = _component_matcher("*a*a*a*a*a*a*a*a*b")
        assert not test("a" * 255)
    assert importlib.import_module("checker.core.saferegex")  # compiles only, RE2 runs
