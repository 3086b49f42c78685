"""Bytes on disk -> plain data plus a way back to line/column.

A plain document is read by libyaml (checker.load.fastyaml); every other one, and every
one libyaml declines, by the YAML 1.2 reference reader (checker.load.reference). For a
document read by libyaml, locations come from libyaml's nodes, composed only when a
problem has to be reported, so a clean file never pays for them; the reference reader
keeps the places of the values it reads. Loading never raises for a bad file: it
returns problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.core.errors import Problem
from checker.load.bounds import MAX_DEPTH, MAX_VALUES, _first_content_line, _too_large
from checker.load.fastyaml import Declined, fast_load

if TYPE_CHECKING:
    from checker.load.marks import TopLevel
    from checker.load.reference import Marks

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
    # where each value is, for a document the reference reader read (None: libyaml's)
    _marks: Marks | None = field(default=None, repr=False)
    # where the top-level keys are written, from the text (checker.load.marks.top_level);
    # False when the file is not in that layout
    _top: Any = field(default=None, repr=False)

    def sub(self, key: str) -> Document:
        """A view of one mapping inside this document, locating in the same file."""
        view = Document(self.path, self.text, self.data[key], prefix=(*self.prefix, key))
        view._tree = self._tree
        view._pairs = self._pairs
        view._marks = self._marks
        return view

    def locate(self, keypath: Iterable[str | int], *, at_key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the node at `keypath`, or of its deepest existing parent.

        `at_key` points at a mapping key instead of its value (for unknown fields).
        Positions come from libyaml's node marks, composed only when a problem is
        reported, so a clean file never pays for them, or from the reference reader's; a
        top-level field of a file in the common layout is found from the text, without
        composing (the same position).
        """
        keys = [*self.prefix, *keypath]
        if self._marks is not None:
            from checker.load.reference import locate

            return locate(self._marks, tuple(keys), at_key)
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
        import yaml  # here: a file in the common layout is located without libyaml

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
        import yaml

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
    too_large = _too_large(text)  # before libyaml composes (it recurses per level)
    if too_large is not None:
        return fail(*too_large)
    try:
        data = fast_load(text, MAX_DEPTH)
        if isinstance(data, dict):
            return Document(display, text, data), []
    except Declined:
        pass
    from checker.load.reference import Refused, load

    try:
        data, marks = load(text, MAX_DEPTH, MAX_VALUES)
    except Refused as refused:
        return None, [Problem(display, refused.line, refused.col,
                              field_name(refused.keypath), refused.message, rule="yaml")]
    if data is None:
        return fail("file holds no YAML document")
    if not isinstance(data, dict):
        first = _first_content_line(text)
        return fail(f"document must be a mapping, not a {_yaml_type(data)}", first, 1)
    return Document(display, text, data, _marks=marks), []


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
