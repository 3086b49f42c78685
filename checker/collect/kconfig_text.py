"""Kconfig files read line by line: the fallback when kconfiglib cannot read a tree.

Each file is read on its own (no `source`, no macros): `config`/`menuconfig` entries
with their type, prompt, `depends on`, `select`, `imply`, `default` and help text;
`if`/`endif`, `menu`/`endmenu` (with the `depends on` right after `menu`) and
`choice`/`endchoice` blocks add their conditions to the entries inside. Every pattern
is anchored and has no nested repetition: linear on any line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping

from checker.collect.kconfig_model import KconfigModel, Symbol

_ENTRY = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*(?:#.*)?$")
_TYPE = re.compile(r"^\s*(bool|tristate|string|int|hex|def_bool|def_tristate)\b\s*(.*)$")
_PROMPT = re.compile(r'^\s*prompt\s+"((?:[^"\\]|\\.)*)"')
_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"')
_DEPENDS = re.compile(r"^\s*depends\s+on\s+(.*)$")
_SELECT = re.compile(r"^\s*(select|imply)\s+([A-Za-z0-9_]+)")
_DEFAULT = re.compile(r"^\s*default\s+\S")
_HELP = re.compile(r"^\s*(?:---\s*help\s*---|help)\s*$")
_IF = re.compile(r"^\s*if\s+(.*)$")
_MENU = re.compile(r'^\s*menu\s+"((?:[^"\\]|\\.)*)"')
_OPEN = re.compile(r"^\s*(choice|comment)\b")
_CLOSE = re.compile(r"^\s*(endif|endmenu|endchoice)\b")
_WORD = re.compile(r"[A-Za-z0-9_]+")

_TYPES = {"def_bool": "bool", "def_tristate": "tristate"}


class _Entry:
    def __init__(self, name: str, path: str, line: int, outer: list[str],
                 menus: tuple[str, ...]) -> None:
        self.name = name
        self.at = (path, line)
        self.type = "unknown"
        self.prompt: str | None = None
        self.help: list[str] = []
        self.depends: set[str] = set(outer)
        self.selects: set[str] = set()
        self.implies: set[str] = set()
        self.menus = menus
        self.has_default = False


def read_text(texts: Mapping[str, str]) -> KconfigModel:
    """Every symbol defined in `texts` (path -> Kconfig text)."""
    entries: list[_Entry] = []
    for path in sorted(texts):
        entries.extend(_read_file(path, texts[path]))
    merged: dict[str, list[_Entry]] = defaultdict(list)
    for entry in entries:
        merged[entry.name].append(entry)
    selected_by: dict[str, set[str]] = defaultdict(set)
    implied_by: dict[str, set[str]] = defaultdict(set)
    sites: dict[str, int] = defaultdict(int)
    for entry in entries:
        for target in entry.selects:
            selected_by[target].add(entry.name)
        for target in entry.implies:
            implied_by[target].add(entry.name)
        for target in entry.selects | entry.implies:
            sites[target] += 1
    symbols = {}
    for name, group in merged.items():
        kind = next((e.type for e in group if e.type != "unknown"), "unknown")
        symbols[name] = Symbol(
            name=name,
            type=kind,
            prompt=next((e.prompt for e in group if e.prompt), None),
            help=next(("\n".join(e.help).strip() + "\n" for e in group if e.help), ""),
            defined_at=tuple(e.at for e in group),
            depends=tuple(sorted(set().union(*(e.depends for e in group)) - {name})),
            selects=tuple(sorted(set().union(*(e.selects for e in group)))),
            implies=tuple(sorted(set().union(*(e.implies for e in group)))),
            selected_by=tuple(sorted(selected_by.get(name, ()))),
            implied_by=tuple(sorted(implied_by.get(name, ()))),
            menu=group[0].menus,
            has_default=any(e.has_default for e in group),
            select_sites=sites.get(name, 0),
        )
    return KconfigModel(symbols, tuple(sorted(texts)), (), "text")


def _symbols_of(expression: str) -> list[str]:
    text = re.sub(r'"[^"]*"', " ", expression.split("#", 1)[0])
    return [w for w in _WORD.findall(text) if w not in ("y", "m", "n", "if", "on")
            and not w.isdigit()]


def _read_file(path: str, text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    stack: list[tuple[str, list[str], str | None]] = []  # (kind, symbols, menu title)
    current: _Entry | None = None
    menu_pending = False
    help_indent: int | None = None
    lines = text.replace("\\\n", " ").split("\n")
    for number, raw in enumerate(lines, start=1):
        if help_indent is not None and current is not None:
            stripped = raw.strip()
            indent = len(raw) - len(raw.lstrip())
            if stripped and help_indent < 0:  # the first line of the text sets its indent
                help_indent = indent if indent > 0 else None
            if help_indent is not None and (not stripped or indent >= help_indent):
                current.help.append(stripped)
                continue
            help_indent = None
        line = raw.split("#", 1)[0] if '"' not in raw else raw
        if not line.strip():
            continue
        outer = [s for _, symbols, _ in stack for s in symbols]
        menus = tuple(title for _, _, title in stack if title)
        if match := _ENTRY.match(line):
            current = _Entry(match.group(1), path, number, outer, menus)
            entries.append(current)
            menu_pending = False
            continue
        if match := _IF.match(line):
            stack.append(("if", _symbols_of(match.group(1)), None))
            current, menu_pending = None, False
            continue
        if match := _MENU.match(line):
            stack.append(("menu", [], match.group(1)))
            current, menu_pending = None, True
            continue
        if match := _OPEN.match(line):
            if match.group(1) == "choice":
                stack.append(("choice", [], None))
            current, menu_pending = None, match.group(1) == "choice"
            continue
        if _CLOSE.match(line):
            if stack:
                stack.pop()
            current, menu_pending = None, False
            continue
        if match := _DEPENDS.match(line):
            symbols = _symbols_of(match.group(1))
            if current is not None:
                current.depends.update(symbols)
            elif menu_pending and stack:
                stack[-1][1].extend(symbols)
            continue
        if current is None:
            continue
        if _HELP.match(line):
            help_indent = -1  # the first non-empty line sets it
            continue
        if match := _TYPE.match(line):
            current.type = _TYPES.get(match.group(1), match.group(1))
            if match.group(1).startswith("def_"):
                current.has_default = True
            elif quoted := _QUOTED.match(match.group(2).strip()):
                current.prompt = current.prompt or quoted.group(1).strip() or None
            continue
        if match := _PROMPT.match(line):
            current.prompt = current.prompt or match.group(1).strip() or None
            continue
        if match := _SELECT.match(line):
            (current.selects if match.group(1) == "select" else current.implies).add(
                match.group(2))
            continue
        if _DEFAULT.match(line):
            current.has_default = True
    return entries
