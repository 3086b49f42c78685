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
    text: str, name: object, path: object, include: Sequence[str],
    top: TopLevel | None = None,
) -> tuple[Mark, ...] | None:
    """(keypath, line, col) of name, path and each include item, 1-based; or None.

    With `top`, the file's top-level keys when it is in that layout (top_level), the
    three keys are not searched for again and only `paths` is split into lines: every
    line at column 1 is one of `top`'s keys, so they are the lines _TOP_KEY finds."""
    if top is not None:
        if not {"name", "path", "paths"} <= set(top.names):
            return None
        numbers = top.lines()
        start, end = top.span("paths")
        return _marks(_key_line(text, top, "name"), numbers["name"] - 1,
                      _key_line(text, top, "path"), numbers["path"] - 1,
                      text[start:end].split("\n"), numbers["paths"] - 1, name, path, include)
    lines = text.split("\n")
    found: dict[str, int] = {}
    for match in _TOP_KEY.finditer("\n" + text):
        key = match.group(1)
        if key in found:
            return None
        found[key] = text.count("\n", 0, match.start())  # match.start() - 1 in text
    if len(found) != 3:
        return None
    return _marks(lines[found["name"]], found["name"], lines[found["path"]], found["path"],
                  lines[found["paths"] :], found["paths"], name, path, include)


def _key_line(text: str, top: TopLevel, key: str) -> str:
    start = top.span(key)[0]
    end = text.find("\n", start)
    return text[start : end if end >= 0 else len(text)]


def _marks(
    name_line: str, name_number: int, path_line: str, path_number: int,
    paths_lines: list[str], paths_number: int,
    name: object, path: object, include: Sequence[str],
) -> tuple[Mark, ...] | None:
    """The marks from the lines of `name` and `path` and the lines from `paths` on
    (0-based line numbers of each)."""
    marks: list[Mark] = []
    for key, value, line, number in (("name", name, name_line, name_number),
                                     ("path", path, path_line, path_number)):
        col = _value_column(line, value)
        if col is None:
            return None
        marks.append(((key,), number + 1, col))
    items = _include_items(paths_lines, 0)
    if items is None or len(items) != len(include):
        return None
    for position, ((number, col, shown), pattern) in enumerate(zip(items, include, strict=True)):
        if not _shows(shown, pattern):
            return None
        marks.append((("paths", "include", position), paths_number + number + 1, col))
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


# -- top-level keys ----------------------------------------------------------------
# Most positions reported in a driver file are of top-level fields (`status` of every
# draft, a guessed `category`, a recorded verdict's place), and most files are written
# in one layout: a block mapping whose keys start at column 1. For such a file every
# top-level key's line is found from the text in one pass, so that locating one needs
# no parse. Sound because it is verified: every line starting at column 1 must be a
# plain key (a comment, a blank line or an indented line aside) and their names, in
# order, must be exactly the loaded mapping's keys. A line at column 1 inside a
# multi-line scalar or flow collection would be one key too many, and a real key
# written otherwise (quoted, complex, with spaces) makes its line refused; so when the
# names match, each of those lines is the key it names.
# a line starting at column 1 that is not a comment: a plain key (group 1) or not
_COLUMN_ONE = re.compile(r"\n(?:([A-Za-z_][A-Za-z0-9_-]*) *:(?= |\n|\Z)|[^ \t\n#])")
_LEADING = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")
# libyaml breaks lines at these too (YAML 1.1): their line numbers would differ
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
# a value starting with one of these does not start its node where it is written
# (anchor, tag, alias), or is a block scalar, or is a comment (the value comes later)
_NOT_AT_VALUE = frozenset("&!*|>#\t")


class TopLevel:
    """Where each top-level key of a file's root mapping is written (line numbers are
    counted when first asked for: most files never report a problem)."""

    __slots__ = ("_lines", "_text", "names", "starts")

    def __init__(self, text: str, names: list[str], starts: list[int]) -> None:
        self._text = text
        self.names = names  # the keys, in order
        self.starts = starts  # where each key's line starts in the text
        self._lines: dict[str, int] | None = None

    @property
    def first(self) -> int:
        """The line of the first key: the root mapping's position."""
        return self.line(self.names[0])

    def line(self, key: str) -> int:
        """The 1-based line of `key` (one of `names`)."""
        return self.lines()[key]

    def lines(self) -> dict[str, int]:
        if self._lines is None:
            lines, number, counted = {}, 1, 0
            for name, at in zip(self.names, self.starts, strict=True):
                number += self._text.count("\n", counted, at)
                counted = at
                lines[name] = number
            self._lines = lines
        return self._lines

    def value_column(self, key: str) -> int | None:
        """The 1-based column where the value of `key` starts when it starts on the key's
        line where its node does (a scalar or a flow collection), else None."""
        start = self.starts[self.names.index(key)]
        end = self._text.find("\n", start)
        line = self._text[start : end if end >= 0 else len(self._text)]
        colon = line.index(":")
        rest = line[colon + 1 :]
        shown = rest.lstrip(" ")
        if not shown or shown[0] in _NOT_AT_VALUE:
            return None
        return colon + 1 + len(rest) - len(shown) + 1

    def span(self, key: str) -> tuple[int, int]:
        """The text `key` and its value are written in: from its line to the next key's
        (every character of its value lies within)."""
        index = self.names.index(key)
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self._text)
        return self.starts[index], end


def top_level(text: str, keys: Sequence[object]) -> TopLevel | None:
    """The top-level keys' lines, verified against `keys` (the loaded root mapping's
    keys, in order); None when the file is not in that layout."""
    if any(other in text for other in _OTHER_BREAKS):
        return None
    start = _LEADING.match(text)
    first = start.end() if start else 0
    if first >= len(text) or text[first] in " \t":
        return None  # the root mapping does not start at column 1 (or no content)
    names: list[str] = []
    starts: list[int] = []
    for match in _COLUMN_ONE.finditer("\n" + text):
        name = match.group(1)
        if name is None:
            return None
        names.append(name)
        starts.append(match.start())  # in `text`: one character less, plus its "\n"
    if not names or names != list(keys):
        return None
    return TopLevel(text, names, starts)
