"""The common layout of a driver file, read line by line without a YAML parser.

Most driver files are written by `new` and `collect` in one layout: block mappings and
sequences indented by spaces, one `key: value` a line, values that are plain words,
simply quoted strings, one-line flow lists and mappings of those, and folded or literal
block scalars whose lines all share one indentation. Such a text is read here with one
regular expression over the whole text, one row a line, and one loop over the rows
(libyaml makes, resolves and then converts a node object per value). Everything outside
that layout is declined (None), and the caller loads the text as before
(checker.load.fastyaml): a line this reader does not know, a deeper line after a value
(a plain scalar over several lines), a key with no value and nothing nested under it, a
sequence not indented under its key, a comment deeper than the lines around it, blank
lines inside a block scalar, escapes other than `\\"` and `\\\\`, a duplicate key, a
character Python does not print. The fast path's own gate (`needs_reference`) runs
first. Plain scalars resolve by checker.load.scalars, as in both loaders.
tests/test_linereader.py checks that whatever it takes, the reference reads alike.
"""

from __future__ import annotations

import re
from typing import Any

from checker.load.scalars import _FIRST as _NOT_ONLY_STRING
from checker.load.scalars import plain

# A plain scalar: a first character that starts no other token, then no `#` (a comment
# needs a space before it: `a#b` is declined), no `:` before a space or the end, and no
# trailing spaces. Quantifiers are possessive: a line that does not fit fails in time
# linear in its length.
_FIRST = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]"
_PLAIN = _FIRST + r"(?:[^:#\s]++|:(?=\S)| ++(?=[^\s#:]|:\S))*+"
# in flow collections: no flow indicator, `:` or `#` at all
_FLOW_PLAIN = _FIRST + r"(?:[^,\[\]{}:#\s]++| ++(?=[^,\[\]{}:#\s]))*+"
_DOUBLE = r'"(?:[^"\\\n]++|\\["\\])*+"'
_SINGLE = r"'(?:[^'\n]++|'')*+'"
# (an implicit key is at most 1,024 characters: libyaml and YAML 1.2 refuse longer ones)
_KEY = r"[A-Za-z_][A-Za-z0-9_-]{0,999}"
_FLOW_VALUE = f"(?:{_DOUBLE}|{_SINGLE}|{_FLOW_PLAIN})"
_FLOW_SEQUENCE = rf"\[ *+(?:{_FLOW_VALUE}(?: *+, *+{_FLOW_VALUE})*+)? *+\]"
_FLOW_MAPPING = (rf"\{{ *+(?:{_KEY}: ++{_FLOW_VALUE}"
                 rf"(?: *+, *+{_KEY}: ++{_FLOW_VALUE})*+)? *+\}}")

# One row a line: (indentation, a comment line, `- ` starting an item, a key, then its
# value: double-quoted, single-quoted, a flow sequence, a flow mapping, a block scalar's
# header, a plain scalar; or the line as it is when it is none of these).
_ROW = re.compile(
    rf"^( *+)(?:(#.*)"
    rf"|(- ++)?(?:({_KEY}):(?: ++|$))?"
    rf"(?:({_DOUBLE})|({_SINGLE})|({_FLOW_SEQUENCE})|({_FLOW_MAPPING})|([|>]-?)|({_PLAIN}))?"
    rf" *+(?:(?<= )#.*)?$"
    r"|(.+))$",
    re.M,
)
_FLOW_ITEM = re.compile(rf"({_DOUBLE})|({_SINGLE})|({_FLOW_PLAIN})")
_FLOW_PAIR = re.compile(rf"({_KEY}): ++(?:({_DOUBLE})|({_SINGLE})|({_FLOW_PLAIN}))")
_ESCAPE = re.compile(r"\\(.)")

_KEYS: dict[str, Any] = {}  # key text -> key; files repeat the same few keys
_VALUES: dict[str, Any] = {}  # short plain scalar -> its (immutable) value


class _Decline(Exception):
    pass


def line_load(text: str, max_depth: int) -> dict[Any, Any] | None:
    """The mapping `text` holds, when it is in the common layout; else None."""
    # Python's printable characters are all printable to YAML (not the other way: a
    # no-break space is declined), and a CR, a tab or a control character is none of them
    if not text.replace("\n", "").isprintable():
        return None
    rows = _ROW.findall(text)
    if len(rows) != text.count("\n") + 1:
        return None  # (every line is one row)
    try:
        return _read(rows, text, max_depth)
    except _Decline:
        return None


def _read(rows: list[tuple[str, ...]], text: str, max_depth: int) -> dict[Any, Any] | None:
    root: dict[Any, Any] = {}
    # open collections, innermost last: (indentation of their keys or dashes, the
    # collection, its depth)
    stack: list[tuple[int, Any, int]] = []
    pending: tuple[dict[Any, Any], Any, int, int] | None = None  # key awaiting a block
    limit = 0  # the deepest indentation the next content line may have
    lines: list[str] | None = None  # the text's lines, split for block scalars only
    index, count = 0, len(rows)
    while index < count:
        spaces, comment, dash, key, double, single, sequence, mapping, block, bare, other = \
            rows[index]
        index += 1
        indent = len(spaces)
        if comment:
            if pending is None and indent > limit:
                raise _Decline  # a comment deeper than the lines around it
            continue
        if other or not (key or dash or double or single or sequence or mapping or block
                         or bare):
            if other or indent:
                raise _Decline  # a line of another form, or of spaces only
            continue  # blank
        if pending is not None:  # the block under `key:`
            parent, name, key_indent, depth = pending
            pending = None
            if indent <= key_indent or depth + 1 > max_depth:
                raise _Decline  # no value, an unindented sequence, or too deep
            child: Any = [] if dash else {}
            parent[name] = child
            stack.append((indent, child, depth + 1))
        elif not stack:
            if indent:
                raise _Decline
            stack.append((0, root, 1))
        else:
            if indent > limit:
                raise _Decline  # a value over lines
            while stack[-1][0] > indent:
                stack.pop()
                if not stack:
                    raise _Decline
            if stack[-1][0] != indent:
                raise _Decline
        _, target, depth = stack[-1]
        limit = indent
        if type(target) is list:
            if not dash:
                raise _Decline
            if not key:
                if block or not (double or single or sequence or mapping or bare):
                    raise _Decline
                target.append(_value(double, single, sequence, mapping, bare, depth,
                                     max_depth))
                continue
            if depth + 1 > max_depth:
                raise _Decline
            inner: dict[Any, Any] = {}
            target.append(inner)
            limit = indent = indent + len(dash)
            stack.append((indent, inner, depth + 1))
            target, depth = inner, depth + 1
        elif dash or not key:
            raise _Decline
        name = _KEYS.get(key)
        if name is None:
            name = _key(key)
        if name in target:
            raise _Decline  # a duplicate key
        if block:
            if lines is None:
                lines = text.split("\n")
            target[name], index = _block(block, lines, index, indent)
        elif double or single or sequence or mapping or bare:
            target[name] = _value(double, single, sequence, mapping, bare, depth, max_depth)
        else:
            pending = (target, name, indent, depth)
            target[name] = None  # (replaced by the block; the key's place kept)
    if pending is not None:
        raise _Decline  # a key with no value at the end
    return root if stack else None


def _key(text: str) -> Any:
    try:
        key = plain(text)
    except ValueError:
        raise _Decline from None
    if key is None or type(key) not in (str, bool):
        raise _Decline
    if len(_KEYS) < 4096 and len(text) <= 64:
        _KEYS[text] = key
    return key


def _value(double: str, single: str, sequence: str, mapping: str, bare: str, depth: int,
           max_depth: int) -> Any:
    if bare:
        return _plain(bare)
    if double:
        return _ESCAPE.sub(r"\1", double[1:-1]) if "\\" in double else double[1:-1]
    if single:
        return single[1:-1].replace("''", "'")
    if depth + 1 > max_depth:
        raise _Decline
    if sequence:
        return [_item(*found) for found in _FLOW_ITEM.findall(sequence[1:-1])]
    out: dict[Any, Any] = {}
    for name, *found in _FLOW_PAIR.findall(mapping[1:-1]):
        key = _key(name)
        if key in out:
            raise _Decline
        out[key] = _item(*found)
    return out


def _item(double: str, single: str, bare: str) -> Any:
    return _value(double, single, "", "", bare, 0, 1)


def _plain(text: str) -> Any:
    if text[0] not in _NOT_ONLY_STRING:
        return text
    value = _VALUES.get(text, _VALUES)
    if value is _VALUES:
        try:
            value = plain(text)
        except ValueError:  # a date not on the calendar, an integer too long to convert
            raise _Decline from None
        if len(text) <= 16 and len(_VALUES) < 4096:
            _VALUES[text] = value  # None, bool, int, float, date, str: immutable
    return value


def _block(header: str, lines: list[str], index: int, key_indent: int) -> tuple[str, int]:
    """A block scalar whose lines all have one indentation, deeper than its key's, with
    no blank line between them (blank lines after them, which chomping drops, are fine)."""
    parts: list[str] = []
    width = -1
    while True:
        if index >= len(lines):
            raise _Decline  # the text ends without a line break after it
        line = lines[index]
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if not body:
            if indent or not parts:
                raise _Decline  # a line of spaces, or a blank first line
            following = index
            while following < len(lines) and not lines[following]:
                following += 1
            if following < len(lines):
                after = lines[following]
                if len(after) - len(after.lstrip(" ")) >= width:
                    raise _Decline  # a blank line inside the scalar
            break
        if width < 0:
            if indent <= key_indent:
                raise _Decline  # empty
            width = indent
        if indent != width:
            if indent > width:
                raise _Decline  # a more indented line: folded otherwise
            break
        if body.endswith(" "):
            raise _Decline
        parts.append(body)
        index += 1
    value = (" " if header[0] == ">" else "\n").join(parts)
    return (value if header.endswith("-") else value + "\n"), index
