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
    ("checker/collect/kbuild.py", r"MODULE_DEVICE_TABLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)"):
        Use("finditer", ("MODULE_DEVICE_TABLE(", "MODULE_DEVICE_TABLE(a, b",
                         "MODULE_DEVICE_TABLE")),
    ("checker/collect/kbuild.py", "\\\\\\n"): Use("sub", ("\\\n", "\\")),
    ("checker/collect/maintainers.py", r"([A-Z]):(.*)"): Use("match", ("A:", "A: ")),
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
    ("checker/load/fastyaml.py", r"\((?!\?)"): Use("sub", why="over the module's own pattern"),
    ("checker/load/linereader.py", r"\\(.)"):
        Use("sub", ("\\\\", '\\"'), why="over a double-quoted scalar _ROW took"),
    ("checker/load/linereader.py", "dynamic: f'({_DOUBLE})|({_SINGLE})|({_FLOW_PLAIN})'"):
        Use("findall", why="over the inside of a one-line flow sequence _ROW took; every "
            "repetition possessive"),
    ("checker/load/linereader.py",
     "dynamic: f'({_KEY}): ++(?:({_DOUBLE})|({_SINGLE})|({_FLOW_PLAIN}))'"):
        Use("findall", why="over the inside of a one-line flow mapping _ROW took; every "
            "repetition possessive"),
    ("checker/load/linereader.py",
     "dynamic: f'^( *+)(?:(#.*)|(- ++)?(?:({_KEY}):(?: ++|$))?(?:({_DOUBLE})|({_SINGLE})|"
     "({_FLOW_SEQUENCE})|({_FLOW_MAPPING})|([|>]-?)|({_PLAIN}))? *+(?:(?<= )#.*)?$|(.+))$'"):
        Use("findall", why="tried at line starts (MULTILINE `^`); every repetition "
            "possessive, so each alternative reads a line once, and the last takes it whole"),
    ("checker/load/layout.py", r"^drivers/([^/]+)/([^/]+)\.yaml$"):
        Use("match", ("drivers/a/", ".yaml")),
    ("checker/load/marks.py", r"\n(name|path|paths)[ \t]*:(?=[ \t]|$)"):
        Use("finditer", ("\nname ", "\npaths:", "\npath\t"), flags=re.M),
    ("checker/load/marks.py",
     r"[ \t]*(\"[^\"\\\n]*\"|'[^'\n]*'|[^,\]\s\"'](?:[ \t]*+[^,\]\n \t])*+)[ \t]*(,|\])"):
        Use("match", ("a ", " \t", "a, ", '"a')),
    ("checker/load/marks.py", r"(?:[ \t]*(?:#[^\n]*)?\n)*"):
        Use("match", (" ", " #", "#\n ", "\t\n"),
            why="each line is consumed whole or the run ends: a failed line costs its length"),
    ("checker/load/marks.py", r"\n(?:([A-Za-z_][A-Za-z0-9_-]*) *:(?= |\n|\Z)|[^ \t\n#])"):
        Use("finditer", ("\na", "\na ", "\na :", "\n#", "\n_-"),
            why="tried only at line starts; an attempt reads at most its line"),
    ("checker/render/markdown.py",
     r"^(#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|[0-9]{1,9}(?=[.)]([ \t]|$))|=+[ \t]*$|-[- \t]*$)"):
        Use("sub", ("= ", "- ", "-x")),
    ("checker/render/markdown.py",
     r"[\\*\[\]<>|~$`]|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
     r"|(?<![^\W_])_|_(?![^\W_])"): Use("sub", ("&#", "&a", "a_")),
    ("checker/render/markdown.py", r"\n[ \t]*\n"): Use("split", ("\n ", "\n\t")),
    ("checker/render/markdown.py", r"`+"): Use("finditer", ("`a",)),
    ("checker/render/seal.py", rb"Seal: ([0-9a-f]{32})"): Use("search", ("Seal: 0",)),
    ("checker/validate/crossfile.py", r"[*?\[]"): Use("search", ("*", "[")),
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
    # -- added with discovery, usage signals, calibration, the YAML 1.2 reference
    #    reader and output escaping (issues 21-23)
    ("checker/backtest/calibrate.py", r"-?[0-9]+(?:\.[0-9]+)?"): Use("match", ("1.", "-1.1")),
    ("checker/collect/buildfiles.py", r"'([^'\n]*)'"): Use("findall", ("'a", "''")),
    ("checker/collect/buildfiles.py", r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*\("):
        Use("match", ("a ", "a\t")),
    ("checker/collect/buildfiles.py",
     r"\$[({]CONFIG_(?:\$\([A-Za-z0-9_]+\))?([A-Za-z0-9_]+)[)}]"):
        Use("search", ("$(CONFIG_", "$(CONFIG_a", "$(CONFIG_$(a", "$(CONFIG_$(a)b")),
    ("checker/collect/buildfiles.py", r"\b(files|subdir)\s*\(([^()]*)\)"):
        Use("finditer", ("files(", "files ", "subdir(a")),
    ("checker/collect/buildfiles.py", r"^(ifn?def)\s+(?:CONFIG_)?([A-Za-z0-9_]+)\s*$"):
        Use("match", ("ifdef a ", "ifndef CONFIG_")),
    ("checker/collect/buildfiles.py", r"^-?s?include\s+(.+)$"): Use("match", ("include ",)),
    ("checker/collect/history.py",
     rb"(?:\A|\0)\n?(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\0]*)"):
        Use("finditer", ("\x001 a\x1f", "\x001 a\x1fx\x1f", "\x1f")),
    ("checker/collect/history.py",
     rb"(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\0]*)()"):
        Use("match", ("1 a\x1f", "1 a\x1fx\x1f", "\x1f"),
            why="one commit's header, split from the listing (sweeps.listed_commits)"),
    ("checker/collect/history.py",
     rb"(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\0]*)"):
        Use("match", ("1 a\x1f", "1 a\x1fx\x1f", "\x1f"),
            why="one commit's header, split from the listing (sweeps.listed_commits)"),
    ("checker/collect/kconfig_shims.py", "dynamic: ''.join(parts)"):
        Use("match", why="escaped text around one `[A-Za-z0-9_.+-]+` group, fullmatched "
            "once against each path of the tree (at most PATH_MAX characters)"),
    ("checker/collect/kconfig_shims.py",
     r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$([A-Za-z_][A-Za-z0-9_]*)"):
        Use("finditer", ("$(a", "$a", "$(")),
    ("checker/collect/kconfig_shims.py", r"^[ \t]*(?:help|---help---)[ \t]*$"):
        Use("match", (" help", "\t---help--- ", "help\t")),
    ("checker/collect/kconfig_shims.py", r"^(\s+)(modules|transitional)\s*(#.*)?$"):
        Use("match", (" modules ", " ")),
    ("checker/collect/kconfig_shims.py", r'^[ \t]*((?:o|r|or)?source)[ \t]+"([^"\n]*)"'):
        Use("finditer", ('source "', "source ", ' osource "a')),
    ("checker/collect/kconfig_shims.py",
     r"^\{(?P<cmd>.*)\}\s*(?:>\s*/dev/null\s*)?(?:2>&1\s*)?"
     r"&&\s*echo\s+(?P<yes>\"[^\"]*\"|'[^']*'|\S*)\s*\|\|\s*echo\s+"
     r"(?P<no>\"[^\"]*\"|'[^']*'|\S*)\s*$"):
        Use("match", ("} ", "}&& echo ", "} && echo a || echo ", "}>/dev/null "),
            around=("{", ""), why="anchored once per `$(shell,...)` of at most 4096 "
            "characters; the greedy command backtracks once to each `}`, whose tail "
            "ends at the next blank"),
    ("checker/collect/kconfig_shims.py",
     r"^set\s+--(?=\s)(?P<words>[^&]*)&&\s*echo\s+\$(?P<n>[0-9])\s*$"):
        Use("match", (" ", "&& echo $1 ", "a "), around=("set -- ", "")),
    ("checker/collect/kconfig_text.py", r'"[^"]*"'): Use("sub", ('"a',)),
    ("checker/collect/kconfig_text.py", r"[A-Za-z0-9_]+"): Use("findall"),
    ("checker/collect/kconfig_text.py", r'^"((?:[^"\\]|\\.)*)"'): Use("match", ('\\"', "\\")),
    ("checker/collect/kconfig_text.py", r"^\s*(?:---\s*help\s*---|help)\s*$"):
        Use("match", ("--- help ", "help ")),
    ("checker/collect/kconfig_text.py", r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*(?:#.*)?$"):
        Use("match", ("config a ", "config a #")),
    ("checker/collect/kconfig_text.py",
     r"^\s*(bool|tristate|string|int|hex|def_bool|def_tristate)\b\s*(.*)$"):
        Use("match", ("bool ",)),
    ("checker/collect/kconfig_text.py", r"^\s*(choice|comment)\b"): Use("match"),
    ("checker/collect/kconfig_text.py", r"^\s*(endif|endmenu|endchoice)\b"): Use("match"),
    ("checker/collect/kconfig_text.py", r"^\s*(select|imply)\s+([A-Za-z0-9_]+)"):
        Use("match", ("select ",)),
    ("checker/collect/kconfig_text.py", r"^\s*default\s+\S"): Use("match", ("default ",)),
    ("checker/collect/kconfig_text.py", r"^\s*depends\s+on\s+(.*)$"):
        Use("match", ("depends on ",)),
    ("checker/collect/kconfig_text.py", r"^\s*if\s+(.*)$"): Use("match", ("if ",)),
    ("checker/collect/kconfig_text.py", r'^\s*menu\s+"((?:[^"\\]|\\.)*)"'):
        Use("match", ('menu "', '\\"')),
    ("checker/collect/kconfig_text.py", r'^\s*prompt\s+"((?:[^"\\]|\\.)*)"'):
        Use("match", ('prompt "', '\\"')),
    ("checker/collect/kconfiglib_reader.py", r"\s*([^\s:]+):(\d+):"):
        Use("match", ("a:", "a:1", " ")),
    ("checker/collect/kconfiglib_reader.py", r"at end of '([^'\n]{1,4096})'"):
        Use("search", ("at end of '", "at end of 'a", "'")),
    ("checker/collect/kconfiglib_reader.py", r"^([ \t]*)(?:menu)?config\b"):
        Use("match", (" \t", "\t ")),
    ("checker/collect/kconfiglib_reader.py", r"^(?:# )?CONFIG_([A-Za-z0-9_]+)[= ]"):
        Use("findall", ("CONFIG_a", "# CONFIG_", "\n# CONFIG_a"), flags=re.MULTILINE),
    ("checker/collect/reverts.py", rb'(Revert|Reapply) "(.*)"'):
        Use("match", ('Revert "', '"'), around=('Revert "', "")),
    ("checker/collect/reverts.py", rb"This reverts commit ([0-9a-f]{7,64})"):
        Use("search", ("This reverts commit ", "This reverts commit 0")),
    ("checker/collect/tree.py", r"(?<![0-9])(?:19[7-9][0-9]|20[0-9][0-9])(?![0-9])"):
        Use("findall", ("1999", "20", "2019-2020", "0000")),
    ("checker/collect/tree.py", r'\.compatible\s*=\s*"([^"\n]{1,200})"'):
        Use("findall", ('.compatible = "', '.compatible="a', ".compatible ")),
    ("checker/collect/usage.py", r'"([^"\n]{1,200})"'): Use("findall", ('"a',)),
    ("checker/collect/kconfig_model.py",
     r"(?:(?<![-\w])(?:is|are|was|were|be|been|being|now)[ \t\n]+(?:(?:an?|the)[ \t\n]+)?"
     r"(?:deprecated|obsolete)"
     r"|(?:\A[ \t\n]*|[.!?:][ \t\n]+)(?:deprecated|obsolete)|\((?:deprecated|obsolete)\)"
     r"|(?<![-\w])(?:will be removed|scheduled for removal|to be removed|"
     r"no longer (?:supported|maintained)))(?![-\w])"):
        Use("search", ("is ", " \t", ". ", "is a ", "will be ", "\n\t"),
            flags=re.IGNORECASE),
    ("checker/collect/kconfig_model.py",
     r"(?<![-\w])(?:deprecated|obsolete|will be removed|scheduled for removal|to be removed"
     r"|no longer (?:supported|maintained))(?![-\w])"):
        Use("search", ("deprecate", "no longer ", "will be ", "-deprecated"),
            flags=re.IGNORECASE),
    ("checker/collect/usage.py", r"\bcompatible\s*=\s*([^;{}=]*);"):
        Use("finditer", ("compatible=", "compatible = a", "compatible ")),
    ("checker/collect/usage.py",
     rb"^(?:CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)"):
        Use("search", ("CONFIG_a", "# CONFIG_a", "\nCONFIG_")),
    ("checker/core/hidden.py", "dynamic: '[' + re.escape(controls) + ']'"):
        Use("search", why="one character class"),
    ("checker/discover/constructs.py", r'[ \t]*"((?:[^"\\\n]|\\.){1,300})"[ \t]*\)'):
        Use("match", ('"a', '\\"', ' "')),
    ("checker/discover/constructs.py",
     r"^(?:static[ \t]+)?(?:const[ \t]+)?struct[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+"
     r"(?:const[ \t]+)?[A-Za-z_][^=;{(\n]*=[ \t]*\n?[ \t]*\{"):
        Use("finditer", ("struct a b", "struct a b=", "static const struct ", "a"),
            around=("struct a b", "")),
    ("checker/discover/constructs.py", r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*\("):
        Use("finditer", ("a ", "a\n", "a(\n")),
    ("checker/discover/naming.py", r"[^a-z0-9_.+-]+"): Use("sub"),
    ("checker/discover/naming.py", r"\s+"): Use("sub"),
    ("checker/load/fastyaml.py", r" +#| *(?:\r?\n|\Z|[,\]}]|:(?:[ \r\n]|\Z))"):
        Use("match", (" ", " :")),
    ("checker/load/fastyaml.py", r"[|>]-?(?: +#[^\r\n]*)? *\r?\n"):
        Use("match", (" ", " #"), around=("|", "")),
    ("checker/load/reference.py", r" at byte \d+$"): Use("sub", (" at byte 1", " at byte ")),
    ("checker/load/reference.py", r"(?:^|(?<=[\s\[{,:]))&\S"): Use("search", ("&", " &")),
    ("checker/load/reference.py", r"(?:^|(?<=[\s\[{,:]))\*"): Use("finditer", ("*", " *")),
    ("checker/load/reference.py", r"line (\d+) column (\d+)"):
        Use("search", ("line 1 column ", "line 1")),
    ("checker/load/scalars.py", r"0o[0-7]+\Z"): Use("match", ("0o",)),
    ("checker/load/scalars.py", r"0x[0-9a-fA-F]+\Z"): Use("match", ("0x",)),
    ("checker/load/scalars.py",
     r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z"):
        Use("match", ("1.", "1e", ".1")),
    ("checker/load/scalars.py", r"[-+]?[0-9]+\Z"): Use("match"),
    ("checker/load/scalars.py", r"[-+]?\.(?:inf|Inf|INF)\Z"): Use("match"),
    ("checker/load/scalars.py", r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"): Use("match"),
    ("checker/load/scalars.py", r"\.(?:nan|NaN|NAN)\Z"): Use("match"),
    ("checker/render/markdown.py", "dynamic: _AUTOLINK + '|#(?=[0-9])|-(?<=GH-)(?=[0-9])'"):
        Use("sub", why="checker.render.markdown._LIVE, tested below"),
    ("checker/render/markdown.py", "dynamic: _AUTOLINK"):
        Use("sub", why="checker.render.markdown._NOT_LINKS, tested below"),
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
    from checker.collect import kconfig_shims, series
    from checker.core.paths import _component_matcher
    from checker.load import fastyaml, linereader
    from checker.render import markdown

    with hang_guard():
        series._TAGS.match("a: " * (SIZE // 3) + "x")
        series._TAGS.match(("a" * 64 + ":") * (SIZE // 65))
        fastyaml._MONTH_BLOCK.match(' - {month: "2024-01", commits: 1, added: 1, removed: 1}'
                                    * (SIZE // 56))
        for fragment in ("a: x ", "a: [x, ", "a: {b: x, ", "- ", "k", 'a: "\\"', "a: 'x''",
                         " ", "#", ": ", "a:b ", "a: x:", "- a: ", "a: x #", "a: [\"x\" , "):
            linereader._ROW.findall(fragment * (SIZE // len(fragment)))
            linereader._FLOW_ITEM.findall(fragment * (SIZE // len(fragment)))
            linereader._FLOW_PAIR.findall(fragment * (SIZE // len(fragment)))
            linereader.line_load(fragment * (SIZE // len(fragment)), 24)
        for regex in (markdown._LIVE, markdown._NOT_LINKS):
            for fragment in ("@", "a:", "mailto:", "www.", "GH-", "#", "-"):
                regex.sub("", fragment * (SIZE // len(fragment)))
        source = kconfig_shims._pattern_regex("arch/$(SRCARCH)/Kconfig", "SRCARCH")
        assert source is not None
        source.fullmatch("arch/" + "a" * 4096 + "/Kconfi")
        test = _component_matcher("*a*a*a*a*a*a*a*a*b")
        assert not test("a" * 255)
    assert importlib.import_module("checker.core.saferegex")  # compiles only, RE2 runs
