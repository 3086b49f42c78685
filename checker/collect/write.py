"""Put collected signals into driver files, changing no byte that is not theirs.

Collect owns three top-level values of a driver file: `signals`, `kconfig` and
`maintainers_status`. `render` edits them through the YAML parser's marks: each edit
replaces exactly the span of one node (one value inside `signals` when only it
changed, so the comments and spacing around it stay), a missing key is inserted after
the line of the key it follows, and the file's line endings are kept. The result is
parsed again by the checker's loader, and every other key must read back unchanged,
or nothing is written (EditError). A file the loader refuses is never edited.

`signals` is written in the files' own style (`window` and the monthly buckets as flow
mappings, months quoted) by a small emitter for this fixed shape.

Writes are atomic (a temporary file in the same directory, then os.replace), keep the
file's mode, are skipped when the bytes would not change, and are refused when the
file no longer holds the bytes the edit was made from (someone edited it meanwhile).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from checker.collect.driverfile import _PLACE_AFTER, DriverFile
from checker.collect.yamltext import _QUOTED_KEYS, _keys, scalar, usage_lines
from checker.core.errors import CheckerError

# ---------------------------------------------------------------------------------
# Rendering


class EditError(CheckerError):
    """A driver file that collect cannot edit safely; nothing is written to it."""


_OWNED = ("kconfig", "maintainers_status", "signals")  # also the order of insertions


def _compose(text: str) -> Any:
    """The node tree with marks (character offsets into `text`), from libyaml."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.compose(text, Loader=loader)


def _canon(value: Any) -> str:
    """Values compared as the loader reads them (a date and its ISO text are equal)."""
    return json.dumps(value, sort_keys=True, default=str)


def _pairs(node: Any) -> dict[str, tuple[Any, Any]]:
    import yaml

    return {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _last_end(node: Any) -> int:
    """Where the node's own text ends: the end of its last scalar or flow collection
    (a block collection's end mark lies after the comments and blank lines that follow
    it, which belong to what comes next)."""
    import yaml

    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style \
            and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return int(node.end_mark.index)


def _is_block(node: Any) -> bool:
    import yaml

    return isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style


def _value_span(text: str, key: Any, value: Any) -> tuple[int, int]:
    """From the end of the key to the end of the value's own text; the colon and what
    lies between belong to the pair. An empty value ends at its colon."""
    colon = text.index(":", key.end_mark.index) + 1
    return key.end_mark.index, max(_last_end(value), colon)


def _flow_window(value: Mapping[str, Any]) -> str:
    return f"{{start: {scalar(value['start'])}, end: {scalar(value['end'])}}}"


def _monthly_lines(items: Sequence[Mapping[str, Any]]) -> list[str]:
    return [f"- {{month: {scalar(item['month'], True)}, commits: {item['commits']}, "
            f"added: {item['added']}, removed: {item['removed']}}}" for item in items]


def _signal_value(key: str, value: Any, column: int, nl: str) -> str:
    """What follows `key` (from its colon) in a block mapping whose keys are at `column`."""
    if key == "removed_in":
        return ": " + ("null" if value is None else f"{{commit: {scalar(value['commit'], True)}, "
                       f"date: {scalar(value['date'])}}}")
    if key == "window":
        return ": " + _flow_window(value)
    if key == "monthly":
        if not value:
            return ": []"
        pad = " " * (column + 2)
        return ":" + nl + nl.join(pad + line for line in _monthly_lines(value))
    if key == "usage":
        if value is None:
            return ": null"
        pad = " " * (column + 2)
        return ":" + nl + nl.join(pad + line for line in usage_lines(value))
    quote = key in _QUOTED_KEYS and value is not None
    return ": " + scalar(value, quote)


def _signals_block(values: Mapping[str, Any], column: int, nl: str) -> str:
    pad = " " * column
    return nl.join(pad + key + _signal_value(key, values[key], column, nl)
                   for key in _keys(values))


def render(doc: DriverFile, signals: Mapping[str, Any] | None,
           kconfig: Sequence[str] | None = None, status: str | None = None) -> str:
    """The file's new text, changing only the values collect owns, and only when they
    change.

    Each edit replaces exactly the span of one node, taken from the parser's marks:
    one value inside `signals` when only it changed (comments and spacing around it
    stay), the whole `signals` value when its shape differs, `kconfig` and
    `maintainers_status` values; a missing key is inserted after the line of the key it
    follows. The file's line endings are kept. The result is parsed again and every
    other key must read back unchanged (and the owned ones as collected), or it is an
    EditError and nothing is written.
    """
    import yaml

    from checker.load.document import parse_document

    shown = doc.path.as_posix()
    parsed, problems = parse_document(doc.text.encode("utf-8"), shown)
    if parsed is None:
        raise EditError(f"{problems[0]} (not edited)")
    data = parsed.data
    wanted: dict[str, Any] = {}
    if signals is not None:
        wanted["signals"] = dict(signals)
    if kconfig is not None:
        wanted["kconfig"] = list(kconfig)
    if status is not None:
        wanted["maintainers_status"] = status
    changes = {k: v for k, v in wanted.items() if k not in data or _canon(data[k]) != _canon(v)}
    if not changes:
        return doc.text
    text = doc.text
    nl = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
    try:
        root = _compose(text)
    except yaml.YAMLError as exc:
        raise EditError(f"{shown}: cannot edit: {str(exc).splitlines()[0]}") from None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise EditError(f"{shown}: cannot edit: the document is not a block mapping")
    pairs = _pairs(root)
    edits: list[tuple[int, int, float, str]] = []  # (start, end, order, replacement)
    for order, key in enumerate(_OWNED):
        if key not in changes:
            continue
        value = changes[key]
        if key in pairs:
            key_node, node = pairs[key]
            if key == "signals":
                edits += _signal_edits(text, key_node, node, value, data.get(key), nl)
                continue
            start, end = _value_span(text, key_node, node)
            flow = ("[" + ", ".join(scalar(s) for s in value) + "]" if key == "kconfig"
                    else scalar(value))
            edits.append((start, end, order, ": " + flow))
            continue
        at = _insertion_point(text, pairs, key)
        if key == "signals":
            block = "signals:" + nl + _signals_block(value, 2, nl) + nl
        elif key == "kconfig":
            block = "kconfig: [" + ", ".join(scalar(s) for s in value) + "]" + nl
        else:
            block = f"{key}: {scalar(value)}{nl}"
        edits.append((at, at, order, block))
    if not text.endswith(("\n", "\r")) and any(e[0] == e[1] == len(text) for e in edits):
        # Insertions at the end of a file without a final line break: the break goes
        # first, unless the file ends in a block scalar, whose value would then gain a
        # line break; the keys then go before the last top-level key's line instead.
        if _ends_in_block_scalar(root):
            last = root.value[-1][0]
            line = last.start_mark.index - last.start_mark.column
            edits = [(line, line, e[2], e[3]) if e[0] == e[1] == len(text) else e
                     for e in edits]
        else:
            edits.append((len(text), len(text), -1, nl))
    out = text
    # from the end backwards, so offsets stay valid; insertions at one place in order
    ordered = sorted(enumerate(edits), key=lambda e: (e[1][0], e[1][1], e[1][2], e[0]),
                     reverse=True)
    for _, (start, end, _, replacement) in ordered:
        out = out[:start] + replacement + out[end:]
    _verify(shown, data, out, changes)
    return out


def _signal_edits(text: str, key_node: Any, node: Any, values: Mapping[str, Any],
                  current: Any, nl: str) -> list[tuple[int, int, float, str]]:
    """One edit per changed value when `signals` is a block mapping of exactly the
    collected keys; otherwise one edit of the whole value."""
    import yaml

    order = -0.5  # inside `signals`: before a top-level key inserted at the same place
    inner = _pairs(node) if isinstance(node, yaml.MappingNode) else {}
    if _is_block(node) and isinstance(node, yaml.MappingNode) and inner \
            and len(inner) == len(node.value) and isinstance(current, dict):
        edits = []
        previous: int | None = None  # where the line of the last collected key ends
        wanted = _keys(values)
        for key in wanted:
            column = node.value[0][0].start_mark.column
            if key not in inner:  # inserted after the key before it, or first
                line = " " * column + key + _signal_value(key, values[key], column, nl) + nl
                if previous is None:
                    first = node.value[0][0].start_mark.index - column
                    edits.append((first, first, order, line))
                else:
                    edits.append((previous, previous, order, line))
                continue
            sub_key, sub_value = inner[key]
            previous = _line_end(text, _last_end(sub_value))
            if key in current and _canon(current[key]) == _canon(values[key]):
                continue
            start, end = _value_span(text, sub_key, sub_value)
            column = sub_key.start_mark.column
            edits.append((start, end, order, _signal_value(key, values[key], column, nl)))
        for key, (sub_key, sub_value) in inner.items():
            if key not in wanted:  # a key collect does not write: its lines go
                begin = sub_key.start_mark.index - sub_key.start_mark.column
                edits.append((begin, _line_end(text, _last_end(sub_value)), order, ""))
        return edits
    column = 2
    if _is_block(node) and isinstance(node, yaml.MappingNode) and node.value:
        column = max(node.value[0][0].start_mark.column, key_node.start_mark.column + 1)
    start, end = _value_span(text, key_node, node)
    return [(start, end, order, ":" + nl + _signals_block(values, column, nl))]


def _ends_in_block_scalar(node: Any) -> bool:
    import yaml

    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")


def _line_end(text: str, end: int) -> int:
    """Just after the line break that ends the line holding offset `end`."""
    if end > 0 and text[end - 1] in "\n\r":
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _insertion_point(text: str, pairs: Mapping[str, tuple[Any, Any]], key: str) -> int:
    """After the line that ends the pair `key` is placed after (the first of
    _PLACE_AFTER present, else the last key); at the end of the file otherwise."""
    anchor = next((k for k in _PLACE_AFTER[key] if k in pairs), None)
    if anchor is None:
        return len(text)
    return _line_end(text, _last_end(pairs[anchor][1]))


def _verify(shown: str, before: Mapping[str, Any], text: str, changes: Mapping[str, Any]) -> None:
    """The edited text must load, hold every other key with its old value in its old
    place, and hold the collected values."""
    from checker.load.document import parse_document

    after, problems = parse_document(text.encode("utf-8"), shown)
    if after is None:
        raise EditError(f"{shown}: not edited: the edit would not load ({problems[0].message})")
    others_before = [(k, _canon(v)) for k, v in before.items() if k not in changes]
    others_after = [(k, _canon(v)) for k, v in after.data.items() if k not in changes]
    if others_before != others_after:
        raise EditError(f"{shown}: not edited: the edit would change other keys")
    for key, value in changes.items():
        if _canon(after.data.get(key)) != _canon(value):
            raise EditError(f"{shown}: not edited: {key} would not read back as collected")


class ConcurrentChange(CheckerError):
    """The file changed on disk while collect ran."""


def write_if_changed(path: Path, text: str, expected: bytes | None = None,
                     display: str | None = None) -> bool:
    """Atomically replace `path` with `text` (same mode); False when nothing changed.

    With `expected` (the bytes the edit was made from), the file is read again under its
    directory's lock just before the replace (checker.load.rewrite): if someone changed
    it meanwhile, it is a ConcurrentChange and their edit is kept. Failures (disk full,
    read-only) are FileAccessErrors naming it.
    """
    from checker.load.rewrite import FileChanged, replace_if_unchanged

    shown = display or path.as_posix()
    try:
        return replace_if_unchanged(path, text.encode("utf-8"), expected, display=shown)
    except FileChanged:
        raise ConcurrentChange(f"{shown}: changed while collect ran; not written (run "
                               "collect again)") from None
