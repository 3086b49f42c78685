"""The reference reader: every document the fast path declines, read as YAML 1.2.

Two independent YAML 1.2 readers read the document. ruamel.yaml's pure-Python parser
gives the events (with their line and column), from which the data are built here, so
that every refusal is located: tags (`!`, `!!x`, `!foo`, `!<...>`), anchors and
aliases, directives, several documents, duplicate keys, mapping keys, more than
MAX_VALUES values or MAX_DEPTH levels. Plain scalars resolve as on the fast path
(checker.load.scalars). ruamel's parser is not a complete YAML 1.2 reader (it reads
`{?a: b}` as the key `a` and accepts `"a"#b`), so py-yaml12 (saphyr, which reads the
whole yaml-test-suite as the suite says) reads the same text, and the document is
taken only when the two give the same data: where they differ, or where only py-yaml12
refuses the text, the file gets one located problem and no data. py-yaml12 expands
aliases and keeps the last of duplicate keys, so it runs only on a text whose events
hold neither.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from checker.load.scalars import NotADate, plain

KeyPath = tuple[str | int, ...]
# keypath -> (line, column) of the value, of its key (None in a list), and whether the
# value is a collection; 1-based. The empty keypath is the document's own collection.
Marks = dict[KeyPath, tuple[tuple[int, int], tuple[int, int] | None, bool]]

ALIASES = "YAML anchors and aliases are not allowed in evidence files"
SEVERAL = "file holds several YAML documents; keep exactly one"
DIRECTIVES = "YAML directives (%YAML, %TAG) are not allowed"
DISAGREE = ("YAML that YAML readers read differently; write it plainly (quote the value, "
            "one value a line)")
UNREAD = "YAML that not every YAML reader reads ({detail}); write it plainly"
# An anchor or alias starts a token: at a line's start or after a space or flow indicator
_ANCHOR = re.compile(r"(?:^|(?<=[\s\[{,:]))&\S", re.MULTILINE)
_STAR = re.compile(r"(?:^|(?<=[\s\[{,:]))\*", re.MULTILINE)
MAX_STARS = 8  # tokens starting with `*` a text with an `&x` may hold and go to py-yaml12


class Refused(Exception):
    """One located reason the document is not read."""

    def __init__(self, message: str, line: int = 1, col: int = 1,
                 keypath: KeyPath = ()) -> None:
        super().__init__(message)
        self.message, self.line, self.col, self.keypath = message, line, col, keypath


def load(text: str, max_depth: int, max_values: int) -> tuple[Any, Marks]:
    """The data of `text` and where each value is, or Refused."""
    from ruamel.yaml.error import YAMLError

    swapped, back = _without_old_breaks(text)
    try:
        data, marks = _build(_events(swapped), max_depth, max_values)
        if back:
            data = _restored(data, back)
            marks = {tuple(_fix(key, back) for key in path): at for path, at in marks.items()}
    except Refused:
        raise
    except YAMLError as exc:
        raise _syntax_refusal(exc, text) from None
    except (AssertionError, AttributeError, ValueError, TypeError, IndexError, KeyError,
            RecursionError) as exc:
        detail = _first_line(str(exc)) or type(exc).__name__
        if _yaml12(text) is not None:  # ruamel.yaml's parser failed on YAML (`%YAML 1.3`)
            raise Refused(UNREAD.format(detail=detail)) from None
        raise Refused(f"YAML error: {detail}") from None
    _cross_check(text, data, marks)
    return data, marks


def _without_old_breaks(text: str) -> tuple[str, dict[str, str]]:
    """`text` with NEL, LS and PS (line breaks in YAML 1.1, and to ruamel.yaml's
    scanner; ordinary characters in YAML 1.2) replaced by private-use characters the
    text does not hold, one for one (columns stay), and the way back."""
    if text.isascii():
        return text, {}
    back: dict[str, str] = {}
    spare = (chr(code) for code in range(0xE000, 0xF900) if chr(code) not in text)
    for old in ("\x85", "\u2028", "\u2029"):
        if old in text:
            new = next(spare)
            text, back[new] = text.replace(old, new), old
    return text, back


def _restored(data: Any, back: dict[str, str]) -> Any:
    """`data` with the characters _without_old_breaks replaced put back, in strings,
    keys and list items."""
    fix = functools.partial(_fix, back=back)
    stack = [data] if isinstance(data, (dict, list)) else []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = [(fix(key), value) for key, value in node.items()]
            node.clear()
            for key, value in items:
                node[key] = fix(value)
                if isinstance(value, (dict, list)):
                    stack.append(value)
        else:
            for index, value in enumerate(node):
                node[index] = fix(value)
                if isinstance(value, (dict, list)):
                    stack.append(value)
    return fix(data)


def _fix(value: Any, back: dict[str, str]) -> Any:
    if isinstance(value, str):
        for new, old in back.items():
            value = value.replace(new, old)
        return value
    if isinstance(value, tuple):
        return tuple(_fix(item, back) for item in value)
    return value


def _events(text: str) -> Iterator[Any]:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).parse(text)  # type: ignore[no-any-return]


def _at(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Open:
    """A collection being built: its data, keypath and, for a mapping, the pending key."""

    __slots__ = ("data", "first", "in_key", "key", "key_at", "keypath")

    def __init__(self, data: Any, keypath: KeyPath, in_key: bool) -> None:
        self.data, self.keypath, self.in_key = data, keypath, in_key
        self.key: Any = _NO_KEY
        self.key_at: tuple[int, int] | None = None
        self.first: dict[Any, int] = {}  # key -> line it was first written on


_NO_KEY = object()


def _build(events: Iterator[Any], max_depth: int, max_values: int) -> tuple[Any, Marks]:
    """Data from parser events, without recursion; Refused at the first event that
    breaks a rule."""
    stack: list[_Open] = []
    marks: Marks = {}
    root: Any = None
    anchor: tuple[int, int] | None = None
    documents = values = 0
    for event in events:
        kind = type(event).__name__
        if kind == "DocumentStartEvent":
            documents += 1
            if documents > 1:
                raise Refused(SEVERAL, *_at(event))
            if event.version is not None or event.tags:
                raise Refused(DIRECTIVES, *_at(event))
            continue
        if kind in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
            continue
        if kind in ("SequenceEndEvent", "MappingEndEvent"):
            done = stack.pop()
            value = tuple(done.data) if done.in_key else done.data
            if stack:
                _place(stack, value, marks, None)
            else:
                root = value
            continue
        at = _at(event)
        if kind == "AliasEvent":
            raise Refused(ALIASES, *at)
        if event.anchor is not None and anchor is None:
            anchor = at  # refused at the end, unless an alias comes first
        if event.tag is not None:
            raise Refused(f"YAML tags are not allowed ({event.tag})", *at)
        values += 1
        if values > max_values + 1:  # +1: the document's own mapping
            from checker.load.bounds import TOO_MANY

            raise Refused(TOO_MANY, *at)
        parent = stack[-1] if stack else None
        in_key = parent is not None and (parent.in_key or (
            type(parent.data) is dict and parent.key is _NO_KEY))
        if kind == "ScalarEvent":
            value = event.value
            if event.implicit[0]:
                try:
                    value = plain(value)
                except NotADate as exc:
                    keypath = (() if parent is None else parent.keypath if in_key
                               else _child_path(parent))
                    raise Refused(f"{value!r} is not a date on the calendar ({exc})",
                                  *at, keypath=keypath) from None
                except ValueError as exc:
                    raise Refused(f"YAML error: a value cannot be read ({_first_line(str(exc))})",
                                  *at) from None
            if stack:
                _place(stack, value, marks, at)
            else:
                root = value
            continue
        if len(stack) + 1 > max_depth + 1:
            from checker.load.bounds import TOO_DEEP

            raise Refused(TOO_DEEP, *at)
        if kind == "MappingStartEvent" and in_key:
            raise Refused("a mapping cannot be a key; field names are strings", *at)
        keypath = _child_path(parent) if parent is not None else ()
        if parent is None:
            marks[()] = (at, None, True)
        elif not in_key:
            _mark(parent, keypath, marks, at, True)
        stack.append(_Open({} if kind == "MappingStartEvent" else [], keypath, in_key))
    if anchor is not None:
        raise Refused(ALIASES, *anchor)
    if documents == 0:
        return None, marks
    return root, marks


def _child_path(parent: _Open | None) -> KeyPath:
    if parent is None:
        return ()
    if type(parent.data) is dict:
        return (*parent.keypath, str(parent.key))
    return (*parent.keypath, len(parent.data))


def _mark(parent: _Open, keypath: KeyPath, marks: Marks, at: tuple[int, int],
          collection: bool) -> None:
    marks[keypath] = (at, parent.key_at if type(parent.data) is dict else None, collection)


def _place(stack: list[_Open], value: Any, marks: Marks, at: tuple[int, int] | None) -> None:
    """Put a finished value into the innermost open collection (as its key, its value
    or its next item)."""
    parent = stack[-1]
    if type(parent.data) is list:
        if at is not None and not parent.in_key:
            _mark(parent, (*parent.keypath, len(parent.data)), marks, at, False)
        parent.data.append(value)
    elif parent.key is _NO_KEY:
        if value in parent.first:
            line = parent.first[value]
            shown = "null" if value is None else str(value)
            raise Refused(f"duplicate key {shown!r} (first defined on line {line})",
                          *(at or (1, 1)))
        parent.key, parent.key_at = value, at
        parent.first[value] = at[0] if at else 1
    else:
        if at is not None and not parent.in_key:
            _mark(parent, (*parent.keypath, str(parent.key)), marks, at, False)
        parent.data[parent.key] = value
        parent.key = _NO_KEY


def _syntax_refusal(exc: Any, text: str) -> Refused:
    """ruamel.yaml's error as one located problem; py-yaml12 says whether the text is
    YAML at all (then the message says it is only unusual)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    position = getattr(exc, "position", None)
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
    elif isinstance(position, int):
        before = text[:position]
        line, col = before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
    else:
        line, col = 1, 1
    if type(exc).__name__ == "ReaderError":
        return Refused("YAML error: control characters are not allowed", line, col)
    context = _first_line(getattr(exc, "context", None) or "")
    problem = _first_line(getattr(exc, "problem", None) or "") or _first_line(str(exc))
    detail = f"{context}: {problem}" if context and problem else context or problem
    if _yaml12(text) is not None:
        return Refused(UNREAD.format(detail=detail), line, col)
    lines = text.splitlines()
    if 0 < line <= len(lines) and lines[line - 1][col - 1 : col] == "\t":
        return Refused("tab character in indentation; YAML indents with spaces", line, col)
    return Refused(f"YAML syntax error: {detail}", line, col)


def _yaml12(text: str) -> list[Any] | None:
    """py-yaml12's documents of `text`, or None when it refuses the text (or when the
    text could make it expand aliases)."""
    if _expandable(text) is not None:
        return None
    try:
        return _parse12(text)
    except ValueError:
        return None


def _parse12(text: str) -> list[Any]:
    """py-yaml12's documents of `text`; ValueError for whatever it raises, a Rust panic
    too (pyo3 raises it as a BaseException)."""
    import yaml12

    try:
        return list(yaml12.parse_yaml(text, multi=True))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except ValueError:
        raise
    except BaseException as exc:  # PanicException, TypeError: any failure of the reader
        raise ValueError(f"YAML parse error: {type(exc).__name__}: {exc}") from None


def _expandable(text: str) -> re.Match[str] | None:
    """The first `*` token past MAX_STARS in a text that may define anchors: py-yaml12
    would copy each alias of an anchor it reads (ruamel.yaml saw none, but they may
    read the text differently), and copies of copies grow exponentially."""
    if _ANCHOR.search(text) is None:
        return None
    stars = _STAR.finditer(text)
    return next(itertools.islice(stars, MAX_STARS, None), None)


_YAML12_AT = re.compile(r"line (\d+) column (\d+)")


def _cross_check(text: str, data: Any, marks: Marks) -> None:
    """Refused unless py-yaml12 reads `text` as the same data."""
    where = _expandable(text)
    if where is not None:
        before = text[: where.start()]
        raise Refused(f"more than {MAX_STARS} words start with '*' in a text with '&', which "
                      "YAML reads as aliases and anchors in places; rephrase or quote them",
                      before.count("\n") + 1, where.start() - (before.rfind("\n") + 1) + 1)
    try:
        documents = _parse12(text)
    except ValueError as exc:
        message = _first_line(str(exc)).removeprefix("YAML parse error: ")
        found = _YAML12_AT.search(message)
        line, col = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        detail = _YAML12_AT.sub("", message).removesuffix(" at byte").strip()
        detail = re.sub(r" at byte \d+$", "", detail)
        raise Refused(f"YAML syntax error: {detail}", line, col) from None
    theirs = documents[0] if len(documents) == 1 else None if not documents else _NO_KEY
    path = _difference(data, theirs, ())
    if path is None:
        return
    line, col = _located(marks, path)
    raise Refused(DISAGREE, line, col, keypath=path)


def _located(marks: Marks, path: KeyPath) -> tuple[int, int]:
    """Where the value at `path` is, or its deepest parent that has a place."""
    for end in range(len(path), -1, -1):
        found = marks.get(path[:end])
        if found is not None:
            return found[0]
    return 1, 1


def locate(marks: Marks, keys: KeyPath, at_key: bool) -> tuple[int, int]:
    """1-based (line, col) of the value at `keys` (of its key with `at_key`, or when the
    path goes on past a scalar), or of its deepest existing parent: what
    Document.locate gives from libyaml's nodes, from the reference's marks."""
    line_col = marks.get((), ((1, 1), None, True))[0]
    path: KeyPath = ()
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        found = marks.get((*path, key))
        if found is None and not isinstance(key, str):
            key = str(key)
            found = marks.get((*path, key))
        if found is None:
            break
        path = (*path, key)
        value_at, key_at, collection = found
        to_key = (last and at_key) or (not last and not collection)
        line_col = key_at if to_key and key_at is not None else value_at
        if not last and not collection:
            break
    return line_col


def _difference(ours: Any, theirs: Any, path: KeyPath) -> KeyPath | None:
    """The first keypath where the two readings differ, or None when they agree (our
    dates are their strings; a list used as a key is our tuple)."""
    stack = [(ours, theirs, path)]
    while stack:
        mine, other, at = stack.pop()
        other = getattr(other, "value", other) if type(other).__name__ == "Yaml" else other
        if isinstance(mine, dict):
            if not isinstance(other, dict) or len(mine) != len(other):
                return at
            keys = {_key(k): k for k in other}
            for key, value in mine.items():
                if _key(key) not in keys:
                    return (*at, str(key))
                stack.append((value, other[keys[_key(key)]], (*at, str(key))))
        elif isinstance(mine, (list, tuple)):
            if not isinstance(other, (list, tuple)) or len(mine) != len(other):
                return at
            stack.extend((m, o, (*at, i)) for i, (m, o) in enumerate(zip(mine, other,
                                                                         strict=True)))
        elif not _same_scalar(mine, other):
            return at
    return None


def _key(key: Any) -> Any:
    if type(key).__name__ == "Yaml":
        key = key.value
    if isinstance(key, (list, tuple)):
        return ("seq", tuple(_key(k) for k in key))
    if isinstance(key, date):
        return ("str", key.isoformat())
    return (type(key).__name__, key)


def _same_scalar(mine: Any, other: Any) -> bool:
    if isinstance(mine, date):
        return isinstance(other, str) and other == mine.isoformat()
    if type(mine) is not type(other):
        # an integer past what py-yaml12 holds in 64 bits comes as a float
        if type(mine) is int and type(other) is float:
            return math.isinf(other) if abs(mine) > 2**1000 else float(mine) == other
        return False
    if type(mine) is float and math.isnan(mine):
        return math.isnan(other)
    return bool(mine == other)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
