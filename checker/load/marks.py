"""Where a driver's claim sits in its file, read from the text in one cheap pass.

Cross-file problems (two drivers with one path, overlapping include patterns) are found
after every file was loaded, in the main process; locating them by parsing the files
again would cost a parse per problem. So each driver's result carries the positions
of `name`, `path` and every `paths.include` item, found here from the text of the
common layout (top-level keys at column 1, `include` as a block or one-line flow list
of plain or simply quoted patterns). Every position is verified against the loaded
values; anything unusual returns None and the caller asks the parser
(checker.load.document.Document.locate), which gives the same positions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

KeyPath = tuple[str | int, ...]
Mark = tuple[KeyPath, int, int]

# at the start of a line: searched in "\n" + text, whose literal first character lets the
# regex engine skip from line to line instead of trying every position
_TOP_KEY = re.compile(r"\n(name|path|paths)[ \t]*:(?=[ \t]|$)", re.M)
# A plain item is its first character and then (blanks, one character) pairs taken
# possessively, so that it ends at its last non-blank character without backtracking: a
# lazy `[^,\]\n]*?` followed by `[ \t]*` is quadratic on a long run of blanks.
_FLOW_ITEM = re.compile(
    r"[ \t]*(\"[^\"\\\n]*\"|'[^'\n]*'|[^,\]\s\"'](?:[ \t]*+[^,\]\n \t])*+)[ \t]*(,|\])")


def claim_marks(
    text: str, name: object, path: object, include: Sequence[str]
) -> tuple[Mark, ...] | None:
    """(keypath, line, col) of name, path and each include item, 1-based; or None."""
    lines = text.split("\n")
    found: dict[str, int] = {}
    for match in _TOP_KEY.finditer("\n" + text):
        key = match.group(1)
        if key in found:
            return None
        found[key] = text.count("\n", 0, match.start())  # match.start() - 1 in text
    if len(found) != 3:
        return None
    marks: list[Mark] = []
    for key, value in (("name", name), ("path", path)):
        number = found[key]
        col = _value_column(lines[number], value)
        if col is None:
            return None
        marks.append(((key,), number + 1, col))
    items = _include_items(lines, found["paths"])
    if items is None or len(items) != len(include):
        return None
    for position, ((number, col, shown), pattern) in enumerate(zip(items, include, strict=True)):
        if not _shows(shown, pattern):
            return None
        marks.append((("paths", "include", position), number + 1, col))
    return tuple(marks)


def _value_column(line: str, value: object) -> int | None:
    """1-based column of the scalar after `key:` on this line, if it shows `value`."""
    colon = line.index(":")
    rest = line[colon + 1 :]
    shown = rest.lstrip(" ")
    if not isinstance(value, str) or not _shows(_strip_comment(shown), value):
        return None
    return colon + 1 + (len(rest) - len(shown)) + 1


def _strip_comment(text: str) -> str:
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        rest = text[end + 1 :].strip() if end > 0 else ""
        return text[: end + 1] if end > 0 and (not rest or rest.startswith("#")) else text
    if text.startswith("#"):
        return ""
    cut = text.find(" #")
    return (text if cut < 0 else text[:cut]).rstrip()


def _shows(shown: str, value: str) -> bool:
    """Whether scalar text `shown` (plain, or quoted without escapes) reads as `value`."""
    if shown[:1] in ("'", '"'):
        return len(shown) >= 2 and shown[-1] == shown[0] and shown[1:-1] == value and (
            shown[0] not in shown[1:-1] and "\\" not in shown[1:-1]
        )
    return shown == value and value.strip() == value and "#" not in value and ": " not in value


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _include_items(lines: list[str], paths_line: int) -> list[tuple[int, int, str]] | None:
    """(line index, 1-based column, text) of each item of `paths: include:`."""
    if lines[paths_line].split(":", 1)[1].strip():
        return None  # a flow mapping or a comment: let the parser decide
    block: list[int] = []
    for number in range(paths_line + 1, len(lines)):
        line = lines[number]
        if _blank(line):
            continue
        if _indent(line) == 0:
            break
        block.append(number)
    if not block:
        return None
    inner = _indent(lines[block[0]])
    keys = [n for n in block if _indent(lines[n]) == inner and lines[n][inner:].startswith(
        ("include:", "include :"))]
    if len(keys) != 1:
        return None
    start = keys[0]
    rest = lines[start].split(":", 1)[1]
    value = _strip_comment(rest.lstrip(" "))
    if value.startswith("["):
        return _flow_items(lines[start], start, len(lines[start]) - len(rest.lstrip(" ")))
    if value:
        return None
    items: list[tuple[int, int, str]] = []
    for number in block[block.index(start) + 1 :]:
        line = lines[number]
        indent = _indent(line)
        if indent < inner or (indent == inner and not line[indent:].startswith("- ")):
            break
        body = line[indent:]
        if not body.startswith("- "):
            return None  # a continuation line or a nested node
        item = body[2:]
        shown = item.lstrip(" ")
        col = indent + 2 + (len(item) - len(shown)) + 1
        items.append((number, col, _strip_comment(shown)))
    return items


def _flow_items(line: str, number: int, bracket: int) -> list[tuple[int, int, str]] | None:
    """Items of a one-line flow sequence starting at `line[bracket]` ('[')."""
    position = bracket + 1
    if line[position:].lstrip().startswith("]"):
        return [] if _strip_comment(line[line.index("]", position) + 1 :].lstrip()) == "" else None
    items = []
    while True:
        match = _FLOW_ITEM.match(line, position)
        if match is None:
            return None
        items.append((number, match.start(1) + 1, match.group(1)))
        position = match.end()
        if match.group(2) == "]":
            break
    if _strip_comment(line[position:].lstrip()):
        return None
    return items
