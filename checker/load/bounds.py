"""What a hostile file cannot make the fast loader do: grow past the depth and value
limits before libyaml composes it. Each refusal is one located problem. (The reference
reader, checker.load.reference, counts the same limits on its own events.)"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 24


# Keys, values and list items in one document (the root mapping aside). The largest real
# files hold under 1,000 and a full 600-month signals window about 6,000; 256 KiB of
# tiny values would hold 100,000, and every later stage pays per value.
MAX_VALUES = 10_000


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
    import yaml

    depth = values = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CBaseLoader):
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
    except yaml.YAMLError:
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
