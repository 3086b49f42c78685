"""File-scope constructs of C files: what a tree's drivers register themselves with.

`constructs(text)` -> the constructs one file uses at file scope (column 0):

- a macro invocation that is a statement or a definition, not a function:
  `module_platform_driver(foo_driver);`, `RTE_PMD_REGISTER_PCI(net_x, drv);`,
  `DRIVER(name) = {` -> `macro:module_platform_driver`;
- a definition of a structure variable: `static const struct pci_driver foo = {`,
  `struct chip_operations x = {` -> `struct:pci_driver`;
- a macro with one string argument, where names come from:
  `MODULE_DESCRIPTION("...")` -> `string:MODULE_DESCRIPTION` with its text.

Each construct becomes a pattern for the policy (`pattern(kind, name)`), matched
anywhere in a file by RE2. The scan is linear: line-anchored patterns with single
character classes, and a bounded look at what follows each invocation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MACRO = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(", re.MULTILINE)
_STRUCT = re.compile(
    r"^(?:static[ \t]+)?(?:const[ \t]+)?struct[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+"
    r"(?:const[ \t]+)?[A-Za-z_][^=;{(\n]*=[ \t]*\n?[ \t]*\{", re.MULTILINE)
_STRING = re.compile(r'[ \t]*"((?:[^"\\\n]|\\.){1,300})"[ \t]*\)')

# Words of C itself and of its preprocessor, never a registration.
_C_WORDS = frozenset({
    "if", "for", "while", "switch", "return", "sizeof", "typeof", "defined", "do",
    "else", "case", "goto", "static_assert", "_Static_assert", "asm", "__asm__",
})

LOOKAHEAD = 400  # characters read after an invocation to tell a statement from a body


@dataclass
class FileConstructs:
    used: set[str] = field(default_factory=set)  # "macro:NAME" | "struct:TYPE"
    strings: dict[str, str] = field(default_factory=dict)  # "string:NAME" -> first text


def constructs(text: str) -> FileConstructs:
    found = FileConstructs()
    for match in _MACRO.finditer(text):
        name = match.group(1)
        if name in _C_WORDS:
            continue
        after = text[match.end():match.end() + LOOKAHEAD]
        kind = _statement_kind(after)
        if kind is None:
            continue
        found.used.add(f"macro:{name}")
        string = _STRING.match(after)
        if string and f"string:{name}" not in found.strings:
            found.strings[f"string:{name}"] = string.group(1)
    for match in _STRUCT.finditer(text):
        found.used.add(f"struct:{match.group(1)}")
    return found


def _statement_kind(after: str) -> str | None:
    """What follows `NAME(`: a statement (`...);`, or `...)` alone on its line), a
    definition (`...) = {`), or None (a function's body or parameter declarations)."""
    depth = 1
    for index, char in enumerate(after):
        if char == "(":
            depth += 1
        elif char in "{;":
            return None
        elif char == ")":
            depth -= 1
            if depth:
                continue
            line_rest = after[index + 1:].split("\n", 1)
            same = line_rest[0].strip()
            if same.startswith(";"):
                return "statement"
            if same.startswith("=") and same[1:].lstrip().startswith("{"):
                return "definition"
            if same and not same.startswith(("//", "/*")):
                return None
            following = line_rest[1] if len(line_rest) > 1 else ""
            # `module_init(x)` with no semicolon, followed by another top-level line
            return "statement" if following[:1] not in ("{", " ", "\t") else None
    return None


def pattern(key: str) -> str:
    """The policy pattern (RE2, multi-line) for a construct key; `*` in a name (a
    family, `module_*_driver`) stands for one or more name characters."""
    kind, name = key.split(":", 1)
    name = r"[A-Za-z0-9_]+".join(re.escape(part) for part in name.split("*"))
    if kind == "struct":
        return (rf"^(?:static\s+)?(?:const\s+)?struct\s+{name}\s+(?:const\s+)?"
                rf"\w+[^=;{{(\n]*=[ \t]*\n?[ \t]*\{{")
    if kind == "string":
        return rf'^{name}\(\s*"((?:[^"\\\n]|\\.)+)"'
    return rf"^{name}\s*\("
