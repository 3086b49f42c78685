"""What a hostile file cannot make the loader do: grow past the size, depth and value
limits, or use anchors, aliases and tags. Each refusal is one located problem."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # ruamel.yaml is imported where it runs: a clean file never needs it
    from ruamel.yaml import YAML


MAX_DEPTH = 24


# Keys, values and list items in one document (the root mapping aside). The largest real
# files hold under 1,000 and a full 600-month signals window about 6,000; 256 KiB of
# tiny values would hold 100,000, and every later stage pays per value.
MAX_VALUES = 10_000


def _safe_yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = False
    return yaml


TOO_DEEP = f"document is nested more than {MAX_DEPTH} levels deep"


TOO_MANY = (f"document holds more than {MAX_VALUES:,} values (keys, values and list items); "
            "a driver file holds far fewer")


_NODES = ("ScalarEvent", "AliasEvent", "SequenceStartEvent", "MappingStartEvent")


def _too_large(text: str, *, force: bool = False) -> tuple[str, int, int] | None:
    """The first limit the document breaks (nesting deeper than MAX_DEPTH, more than
    MAX_VALUES values) and where, found from parser events.

    The C composer recurses per level and crashes the process on very deep input, and
    composing, validating and locating cost time per value, so such documents are
    refused before composing. libyaml's event parser does not recurse, and it stops at
    the first value over a limit; it runs only when the text holds enough nesting
    characters to be deep, or enough characters that introduce values to hold too many.
    """
    deep = text.count("[") + text.count("{") + text.count("- ") >= 1000
    if not (force or deep or (len(text) > MAX_VALUES and _values_bound(text) > MAX_VALUES)):
        return None
    from ruamel.yaml.error import YAMLError

    depth = values = 0
    try:
        for event in _safe_yaml().parse(text):
            kind = type(event).__name__
            if kind in _NODES:
                values += 1
                if values > MAX_VALUES + 1:  # +1: the document's own mapping
                    return (TOO_MANY, *_event_mark(event))
            if kind in ("SequenceStartEvent", "MappingStartEvent"):
                depth += 1
                if depth > MAX_DEPTH + 1:
                    return (TOO_DEEP, *_event_mark(event))
            elif kind in ("SequenceEndEvent", "MappingEndEvent"):
                depth -= 1
    except YAMLError:
        return None  # the real parse reports the syntax error with its location
    return None


def _values_bound(text: str) -> int:
    """At least the number of values `text` can hold: every value but the root is a
    key or value introduced by `:`, `?`, `{` or `,`, or an item introduced by `-`, `[`
    or `,`, and each of those introduces at most two."""
    return 2 * sum(text.count(char) for char in ":?,-[{") + 1


def _event_mark(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number
    return 1


def _check_shape(data: Any) -> str | None:
    """Refuse aliases (a shared node) and deep nesting before anything walks the data."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if id(node) in seen:
            return ALIASES
        if depth > MAX_DEPTH:
            return f"document is nested more than {MAX_DEPTH} levels deep"
        seen.add(id(node))
        stack.extend((child, depth + 1) for child in children)
    return None


ALIASES = "YAML anchors and aliases are not allowed in evidence files"


def _anchor_or_alias(text: str) -> tuple[int, int] | None:
    """Where the first alias is, or else the first anchor, from parser events (which do
    not expand aliases); None when there is neither, or when a syntax error comes first
    (the reference loader reports it)."""
    from ruamel.yaml.error import YAMLError

    anchor = None
    try:
        for event in _safe_yaml().parse(text):
            if type(event).__name__ == "AliasEvent":
                return _event_mark(event)
            if anchor is None and getattr(event, "anchor", None) is not None:
                anchor = _event_mark(event)
    except YAMLError:
        return anchor
    return anchor


def _first_alias(text: str, problem: str) -> tuple[int, int]:
    if "alias" not in problem:
        return 1, 1
    for event in _safe_yaml().parse(text):
        if type(event).__name__ == "AliasEvent" and event.start_mark is not None:
            return event.start_mark.line + 1, event.start_mark.column + 1
    return 1, 1
