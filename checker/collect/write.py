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

import contextlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from checker.collect.run import ABSENT_KEYS, SIGNAL_KEYS, DriverPaths
from checker.errors import CheckerError

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]|$)")
_TOP_KEY_AT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*[ \t]*:(?:[ \t\r\n]|$)")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9 _./()+,-]*[A-Za-z0-9_./)+-]$|^[A-Za-z_]$")
_RESERVED = {"yes", "no", "on", "off", "y", "n", "true", "false", "null", "~"}

# Where new top-level keys go when a file lacks them: after the first of these found.
_PLACE_AFTER = {
    "kconfig": ("granularity_note", "granularity", "paths"),
    "maintainers_status": ("replacement", "hardware", "deployment"),
    "signals": ("users_reported", "upstream", "maintainers_status"),
}


@dataclass
class Segment:
    key: str | None  # None: lines before the first key
    lines: list[str]  # with their line endings

    @property
    def body(self) -> list[str]:
        return self.lines[: len(self.lines) - len(self.trailing)]

    @property
    def trailing(self) -> list[str]:
        """Blank lines and column-0 comments at the end: they belong to what follows."""
        count = 0
        for line in reversed(self.lines[1:] if self.key is not None else self.lines):
            if line.strip() == "" or line.startswith("#"):
                count += 1
            else:
                break
        return self.lines[len(self.lines) - count:] if count else []


def split_segments(text: str) -> list[Segment]:
    segments = [Segment(None, [])]
    for line in text.splitlines(keepends=True):
        match = _TOP_KEY.match(line)
        if match:
            segments.append(Segment(match.group(1), [line]))
        else:
            segments[-1].lines.append(line)
    return segments


@dataclass
class DriverFile:
    path: Path
    id: str
    text: str
    raw: bytes = b""  # the bytes read: the file must still hold them when it is replaced

    def segment(self, key: str) -> Segment | None:
        for segment in split_segments(self.text):
            if segment.key == key:
                return segment
        return None


def driver_id(root: Path, path: Path) -> str:
    relative = path.relative_to(root / "drivers").with_suffix("")
    return relative.as_posix()


def find_driver_files(root: Path) -> list[Path]:
    """Every `.yaml` entry under drivers/ (links and FIFOs too: reading refuses them
    with a message); a directory that cannot be listed is a FileAccessError."""
    from checker.fsutil import walk_files

    return [root / rel for rel in walk_files(root, "drivers") if rel.endswith(".yaml")]


def read_driver(root: Path, path: Path) -> tuple[DriverFile | None, DriverPaths | None, str]:
    """(file, its paths, "") or (None, None, problem).

    Read through the one door (no links, a regular file, at most MAX_BYTES) and parsed
    by the checker's own loader: a file that does not load (a YAML error, a duplicate
    key, an alias, a tag) is refused, never edited.
    """
    from checker.fsutil import FileAccessError, read_file
    from checker.load import MAX_BYTES, parse_document

    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        raw = read_file(path, shown, root=root, limit=MAX_BYTES)
    except FileAccessError as exc:
        return None, None, str(exc)
    document, problems = parse_document(raw, shown)
    if document is None:
        return None, None, f"{problems[0]} (not edited: fix the file first)"
    doc = DriverFile(path, driver_id(root, path), document.text, raw)
    value = document.data.get("paths")
    if value is None:
        return None, None, f"{shown}: no `paths:` mapping (collect needs paths.include)"
    include = value.get("include") if isinstance(value, dict) else None
    exclude = (value.get("exclude") or []) if isinstance(value, dict) else []
    if (not isinstance(include, list) or not include or not isinstance(exclude, list)
            or not all(isinstance(p, str) for p in [*include, *exclude])):
        return None, None, f"{shown}: paths.include must be a non-empty list of path patterns"
    from checker.paths import parse_pattern

    for pattern in [*include, *exclude]:
        try:
            parse_pattern(pattern)
        except ValueError as exc:
            return None, None, f"{shown}: paths: {exc}"
    return doc, DriverPaths(doc.id, tuple(include), tuple(exclude)), ""


# ---------------------------------------------------------------------------------
# Rendering


def scalar(value: Any, quote: bool = False) -> str:
    """One scalar in flow or block context, plain when that reads back the same."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if quote or not needs_no_quotes(value):
            return double_quoted(value)
        return value
    raise TypeError(f"cannot write {type(value).__name__} {value!r}")


def double_quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes, plus YAML's for non-printables."""
    out = []
    for char in json.dumps(text, ensure_ascii=False):
        code = ord(char)
        if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD \
                or code >= 0x10000:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def needs_no_quotes(text: str) -> bool:
    return bool(_PLAIN.match(text)) and text.lower() not in _RESERVED


_QUOTED_KEYS = {"kernel_rev", "maintainers_entry"}


def render_signals(values: Mapping[str, Any], key_indent: int = 2, dash_indent: int = 4) -> str:
    """The `signals:` block for collected values, in the seed files' style."""
    pad, dash = " " * key_indent, " " * dash_indent
    out = ["signals:\n"]
    for key in _keys(values):
        value = values[key]
        if key == "removed_in":
            out.append(f"{pad}removed_in: " + ("null\n" if value is None else
                       f"{{commit: {scalar(value['commit'], True)}, "
                       f"date: {scalar(value['date'])}}}\n"))
        elif key == "window":
            out.append(f"{pad}window: {{start: {scalar(value['start'])}, "
                       f"end: {scalar(value['end'])}}}\n")
        elif key == "monthly":
            out.append(f"{pad}monthly:\n")
            for item in value:
                out.append(
                    f"{dash}- {{month: {scalar(item['month'], True)}, "
                    f"commits: {item['commits']}, added: {item['added']}, "
                    f"removed: {item['removed']}}}\n"
                )
        else:
            quote = key in _QUOTED_KEYS and value is not None
            out.append(f"{pad}{key}: {scalar(value, quote)}\n")
    return "".join(out)


def _keys(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys written, in order: the absent-driver keys only when collect gave them."""
    return (*SIGNAL_KEYS, *(key for key in ABSENT_KEYS if key in values))


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

    from checker.load import parse_document

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
    from checker.load import parse_document

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

    With `expected` (the bytes the edit was made from), the file is read again just
    before the replace: if someone changed it meanwhile, it is a ConcurrentChange and
    their edit is kept. Failures (disk full, read-only) are FileAccessErrors naming it.
    """
    from checker.fsutil import read_optional, write_error

    shown = display or path.as_posix()
    data = text.encode("utf-8")
    current = read_optional(path, shown)
    if current == data:
        return False
    if expected is not None and current != expected:
        raise ConcurrentChange(f"{shown}: changed while collect ran; not written (run "
                               "collect again)")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    except OSError as exc:
        raise write_error(shown, exc) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(shown, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if expected is not None and read_optional(path, shown) != expected:
            raise ConcurrentChange(f"{shown}: changed while collect ran; not written (run "
                                   "collect again)")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise write_error(shown, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True
