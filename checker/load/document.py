"""Bytes on disk -> plain data plus a way back to line/column.

The common path parses with ruamel.yaml's C-based safe loader. Locations come from a
round-trip parse that is done only when a problem has to be reported, so a clean file
never pays for it. Loading never raises for a bad file: it returns problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # ruamel.yaml is imported where it runs: a clean file never needs it
    from ruamel.yaml.error import MarkedYAMLError

    from checker.load.marks import TopLevel

from datetime import date

from checker.core.errors import Problem
from checker.load.bounds import (
    ALIASES,
    MAX_DEPTH,
    _anchor_or_alias,
    _check_shape,
    _first_alias,
    _first_content_line,
    _safe_yaml,
    _too_large,
)
from checker.load.fastyaml import Declined, fast_load

MAX_BYTES = 256 * 1024
BOM = b"\xef\xbb\xbf"

KeyPath = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML mapping and the text it came from."""

    path: str
    text: str
    data: dict[str, Any]
    _tree: Any = field(default=None, repr=False)
    prefix: KeyPath = ()  # where `data` sits inside the file (a fixture's `driver:`)
    # key -> (key node, value node) of each mapping node looked into, by id(node): a file
    # with thousands of keys is located in linear time, not quadratic
    _pairs: dict[int, dict[str, tuple[Any, Any]]] = field(default_factory=dict, repr=False)
    # where the top-level keys are written, from the text (checker.load.marks.top_level);
    # False when the file is not in that layout
    _top: Any = field(default=None, repr=False)

    def sub(self, key: str) -> Document:
        """A view of one mapping inside this document, locating in the same file."""
        view = Document(self.path, self.text, self.data[key], prefix=(*self.prefix, key))
        view._tree = self._tree
        view._pairs = self._pairs
        return view

    def locate(self, keypath: Iterable[str | int], *, at_key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the node at `keypath`, or of its deepest existing parent.

        `at_key` points at a mapping key instead of its value (for unknown fields).
        Positions come from libyaml's node marks, composed only when a problem is
        reported, so a clean file never pays for them; a top-level field of a file in
        the common layout is found from the text, without composing (the same position).
        """
        keys = [*self.prefix, *keypath]
        if len(keys) <= 1 and not self.prefix:
            top = self.top_level()
            if top is not None:
                if not keys or keys[0] not in top.names:
                    return top.first, 1  # no such key: the mapping's own position
                name = str(keys[0])  # one of `top.names`
                if at_key:
                    return top.line(name), 1
                col = top.value_column(name)
                if col is not None:
                    return top.line(name), col
        if self._tree is None:
            try:
                self._tree = yaml.compose(self.text, Loader=yaml.CBaseLoader)
            except (yaml.YAMLError, RecursionError):
                self._tree = False
        node = self._tree
        if not node:
            return 1, 1
        line, col = _mark_of(node)
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            if isinstance(node, yaml.MappingNode):
                pair = self._pairs_of(node).get(str(key))
                if pair is None:
                    break
                key_node, node = pair
                pointed = (
                    key_node
                    if (last and at_key) or (not last and isinstance(node, yaml.ScalarNode))
                    else node
                )
                line, col = _mark_of(pointed)
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(key, int)
                and 0 <= key < len(node.value)
            ):
                node = node.value[key]
                line, col = _mark_of(node)
            else:
                break
        return line, col

    def top_level(self) -> TopLevel | None:
        """Where the file's top-level keys are written, when it is in the common layout
        (a view inside the file has none)."""
        if self._top is None:
            from checker.load.marks import top_level

            self._top = (not self.prefix and top_level(self.text, list(self.data))) or False
        return self._top or None

    def _pairs_of(self, node: Any) -> dict[str, tuple[Any, Any]]:
        pairs = self._pairs.get(id(node))
        if pairs is None:
            pairs = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    pairs.setdefault(k.value, (k, v))
            self._pairs[id(node)] = pairs
        return pairs


def _mark_of(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def read_document(path: Path, display: str | None = None, *,
                  root: Path | None = None) -> tuple[Document | None, list[Problem]]:
    """Read (through checker.load.fsutil.read_file: no links, a regular file, at most
    MAX_BYTES) and parse one YAML file; never raises for the file or its content."""
    from checker.load.fsutil import FileAccessError, read_file

    shown = display if display is not None else str(path)
    try:
        raw = read_file(path, shown, root=root, limit=MAX_BYTES)
    except FileAccessError as exc:
        return None, [Problem(shown, 1, 1, "", exc.reason, rule="io")]
    return parse_document(raw, shown)


def parse_document(raw: bytes, display: str) -> tuple[Document | None, list[Problem]]:
    """Parse bytes that claim to be one YAML mapping."""

    def fail(message: str, line: int = 1, col: int = 1) -> tuple[None, list[Problem]]:
        return None, [Problem(display, line, col, "", message, rule="yaml")]

    if len(raw) > MAX_BYTES:
        return fail(f"file is {len(raw)} bytes; the limit is {MAX_BYTES} bytes")
    if raw.startswith(BOM):
        return fail("file starts with a UTF-8 byte-order mark; save it without one")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _offset_to_line_col(raw, exc.start)
        return fail(f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, col)
    if not text.strip():
        return fail("file is empty")
    too_large = _too_large(text)
    if too_large is not None:
        return fail(*too_large)
    try:
        data = fast_load(text, MAX_DEPTH)  # refuses aliases and deep nesting itself
        if isinstance(data, dict):
            return Document(display, text, data), []
    except Declined:
        if "&" in text or "*" in text:
            # before constructing: aliases (in merge keys too) can expand exponentially
            where = _anchor_or_alias(text)
            if where is not None:
                return fail(ALIASES, *where)
        data, problems = _reference_load(text, display)
        if problems:
            return None, problems
    if data is None:
        return fail("file holds no YAML document")
    if not isinstance(data, dict):
        first = _first_content_line(text)
        return fail(f"document must be a mapping, not a {_yaml_type(data)}", first, 1)
    shape_problem = _check_shape(data)
    if shape_problem and "nested" in shape_problem:
        return fail(*(_too_large(text, force=True) or (shape_problem, 1, 1)))
    if shape_problem:
        return fail(shape_problem, *_first_alias(text, shape_problem))
    return Document(display, text, data), []


def _reference_load(text: str, display: str) -> tuple[Any, list[Problem]]:
    """ruamel.yaml's load: the reference semantics, and every error with its location."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError


    def fail(message: str, line: int = 1, col: int = 1) -> tuple[None, list[Problem]]:
        return None, [Problem(display, line, col, "", message, rule="yaml")]

    try:
        return _safe_yaml().load(text), []
    except MarkedYAMLError as exc:
        line, col = _mark(exc)
        return fail(_yaml_message(exc, text, line, col), line, col)
    except RecursionError:
        return fail(f"document is nested more than {MAX_DEPTH} levels deep")
    except (ValueError, TypeError, OverflowError) as exc:  # the loader's own converters
        bad = _unreadable_value(text)
        if bad is not None:
            line, col, where, value = bad
            reason = _first_line(str(exc))
            return None, [Problem(display, line, col, where,
                                  f"{value!r} is not a date on the calendar ({reason})",
                                  rule="yaml")]
        return fail(f"YAML error: a value cannot be read ({_first_line(str(exc))})")
    except YAMLError as exc:
        position = getattr(exc, "position", None)
        line, col = _index_to_line_col(text, position) if isinstance(position, int) else (1, 1)
        reason = getattr(exc, "reason", None) or _first_line(str(exc))
        return fail(f"YAML error: {reason}", line, col)


_DATE_LIKE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt ]|$)")


def _unreadable_value(text: str) -> tuple[int, int, str, str] | None:
    """Where the first scalar that YAML reads as a date but no calendar holds is
    (2021-04-31): line, column, field path and the text, from composed nodes."""

    from ruamel.yaml.error import YAMLError

    try:
        root = _safe_yaml().compose(text)
    except YAMLError:
        return None
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, keypath = stack.pop()
        kind = type(node).__name__
        if kind == "MappingNode":
            stack.extend((value, (*keypath, str(key.value))) for key, value in
                         reversed(node.value))
        elif kind == "SequenceNode":
            stack.extend((item, (*keypath, index)) for index, item in
                         reversed(list(enumerate(node.value))))
        elif kind == "ScalarNode" and str(node.tag).endswith(":timestamp"):
            match = _DATE_LIKE.match(str(node.value))
            if match is None:
                continue
            try:
                date(*(int(part) for part in match.groups()))
            except ValueError:
                from checker.load.document import field_name

                mark = node.start_mark
                return mark.line + 1, mark.column + 1, field_name(keypath), str(node.value)
    return None


def _index_to_line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _mark(exc: MarkedYAMLError) -> tuple[int, int]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _yaml_message(exc: MarkedYAMLError, text: str, line: int, col: int) -> str:
    name = type(exc).__name__
    problem = _first_line(exc.problem or "")
    if name == "DuplicateKeyError":
        key = re.search(r'duplicate key "(.*?)" with', problem)
        shown = key.group(1) if key else "?"
        return f"duplicate key {shown!r}" + _first_definition(text, shown, line, col)
    if "could not determine a constructor" in problem:
        tag = problem.split("tag ")[-1].split(" ")[0].strip("'")
        return f"YAML tags are not allowed ({tag})"
    if "expected a single document" in (exc.context or "") + problem:
        return "file holds several YAML documents; keep exactly one"
    lines = text.splitlines()
    if 0 < line <= len(lines) and lines[line - 1][col - 1 : col] == "\t":
        return "tab character in indentation; YAML indents with spaces"
    context = _first_line(exc.context or "")
    text = f"{context}: {problem}" if context and problem else context or problem
    return f"YAML syntax error: {text}"


def _first_definition(text: str, key: str, line: int, col: int) -> str:
    """Where the duplicated key was first written: same indentation, earlier line."""
    indent, name = col - 1, re.escape(key)
    pattern = re.compile(rf"^\s{{{indent}}}(?:- )?['\"]?{name}['\"]?\s*:")
    for number, content in enumerate(text.splitlines()[: line - 1], start=1):
        if pattern.match(content):
            return f" (first defined on line {number})"
    return ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _offset_to_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def field_name(keypath: KeyPath) -> str:
    out = ""
    for key in keypath:
        # list positions count from 1, as people count (and as `sources: [1]` refers)
        out += f"[{key + 1}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
