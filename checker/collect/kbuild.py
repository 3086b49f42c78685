"""Kconfig, Makefiles and device-id tables, read as text: symbols, BROKEN, ids."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

_CONFIG = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$")


_DEPENDS = re.compile(r"^\s*depends\s+on\s+(.*)$")


_IF = re.compile(r"^\s*if\s+(.*)$")


_BLOCK_OPEN = re.compile(r"^\s*(menu|choice)\b")


_BLOCK_CLOSE = re.compile(r"^\s*(endif|endmenu|endchoice)\b")


_BROKEN = re.compile(r"(?<![!\w])BROKEN\b")


def kconfig_symbols(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _CONFIG.match(line))]


def broken_symbols(text: str) -> dict[str, bool]:
    """For each symbol defined in one Kconfig file: does it depend on BROKEN?"""
    result: dict[str, bool] = {}
    stack: list[bool] = []  # per open if/menu/choice: its condition involves BROKEN
    current: str | None = None
    block_pending = False  # `depends on` lines right after menu/choice belong to it
    for raw in _join_continuations(text).splitlines():
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        if m := _CONFIG.match(line):
            current = m.group(1)
            result[current] = result.get(current, False) or any(stack)
            block_pending = False
            continue
        if m := _IF.match(line):
            stack.append(bool(_BROKEN.search(m.group(1))))
            current, block_pending = None, False
            continue
        if _BLOCK_OPEN.match(line):
            stack.append(False)
            current, block_pending = None, True
            continue
        if _BLOCK_CLOSE.match(line):
            if stack:
                stack.pop()
            current, block_pending = None, False
            continue
        if m := _DEPENDS.match(line):
            broken = bool(_BROKEN.search(m.group(1)))
            if current is not None:
                result[current] = result[current] or broken
            elif block_pending and stack:
                stack[-1] = stack[-1] or broken
            continue
        if not line[:1].isspace():
            current, block_pending = None, False
    return result


def _join_continuations(text: str) -> str:
    return re.sub(r"\\\n", " ", text)


# `obj-$(CONFIG_X)`, also with a build-phase prefix inside the reference, as trees that
# build one driver for several boot phases write it: `obj-$(CONFIG_$(PHASE_)X)`,
# `$(SPL_)`, `$(SPL_TPL_)`, `$(XPL_)`; the symbol is X.
_ASSIGN = re.compile(
    r"^\s*([A-Za-z0-9_.-]+?)-(\$\(CONFIG_(?:\$\([A-Za-z0-9_]+\))?([A-Za-z0-9_]+)\)|y|m|objs)"
    r"\s*[:+]?=\s*(.*)$"
)


@dataclass
class Makefile:
    gates: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    always: set[str] = field(default_factory=set)  # `obj-y`/`obj-m` targets (no symbol)
    order: dict[str, int] = field(default_factory=dict)  # target -> first line naming it


def parse_makefile(directory: str, text: str) -> Makefile:
    """`obj-$(CONFIG_X) += a.o b/` -> gates; `foo-y := a.o` -> members of foo.o;
    `obj-y += c.o d/` -> always."""
    result = Makefile()
    base = f"{directory}/" if directory else ""
    for number, raw in enumerate(_join_continuations(text).splitlines()):
        line = raw.split("#", 1)[0]
        match = _ASSIGN.match(line)
        if not match:
            continue
        target, _, symbol, values = match.groups()
        items = [item for item in values.split() if not item.startswith("$")]
        if target == "obj":
            for item in items:
                result.order.setdefault(base + item, number)
                if symbol:
                    result.gates[base + item].add(symbol)
                else:
                    result.always.add(base + item)
        else:
            for item in items:
                if item.endswith(".o"):
                    result.members[f"{base}{target}.o"].add(base + item)
    return result


_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


_TABLE = re.compile(r"\bMODULE_DEVICE_TABLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")


_SENTINEL = re.compile(r"^[\s,0{}]*$")


# An array definition `name[...] <words> = {`; the words after `]` are one character
# class (no nested quantifier: `(?:\w+\s*)*` backtracked exponentially on a long word).
_ARRAY = re.compile(r"\b(\w+)\s*\[[^\]]*\][\w\s]*=\s*\{")


def device_ids(text: str) -> int:
    """Entries of the tables that MODULE_DEVICE_TABLE names in one C file."""
    if "MODULE_DEVICE_TABLE" not in text:
        return 0
    code = _COMMENTS.sub(" ", text)
    arrays = {m.group(1): m.end() for m in _ARRAY.finditer(code)}
    total = 0
    for match in _TABLE.finditer(code):
        name = match.group(2)
        if name == "name":  # the macro's own definition
            continue
        start = arrays.get(name)
        total += 1 if start is None else max(1, _count_entries(code, start))
    return total


def _count_entries(code: str, start: int) -> int:
    depth, count, entry_start = 1, 0, -1
    for index in range(start, len(code)):
        char = code[index]
        if char == "{":
            depth += 1
            if depth == 2:
                entry_start = index
        elif char == "}":
            depth -= 1
            if depth == 1 and not _SENTINEL.match(code[entry_start:index + 1]):
                count += 1
            if depth == 0:
                break
    return count
