"""Put collected signals into driver files, changing no byte that is not theirs.

A driver file is a YAML block mapping, so every top-level key starts a line at column
0 and owns the lines up to the next such key: its *segment*. Collect rewrites only the
segments of `signals`, `kconfig` and `maintainers_status`, and only when their values
change; every other byte (comments, key order, quoting, blank lines) is kept as it
is. Full-line comments at the end of a segment belong to whatever follows, so they
stay too.

The `signals` block is rendered in the files' own style (`window` and the monthly
buckets as flow mappings, months quoted), by a small emitter for this fixed shape:
a ruamel.yaml round-trip load costs about 50 ms per file and a dump about 16 ms, too
slow for thousands of drivers. When the old block holds comments, it goes through a
ruamel.yaml round trip instead, which keeps them. Tests check that both paths give
the same bytes and that ruamel.yaml reads back exactly the collected values.

Writes are atomic (a temporary file in the same directory, then os.replace), keep the
file's mode, and are skipped when the bytes would not change.
"""

from __future__ import annotations

import contextlib
import io
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

    def segment(self, key: str) -> Segment | None:
        for segment in split_segments(self.text):
            if segment.key == key:
                return segment
        return None


def _quick_segment(text: str, key: str) -> Segment | None:
    """The segment of a top-level `key`, without splitting the whole file (None: use
    split_segments)."""
    start = text.find(f"\n{key}:")
    if start < 0:
        return None
    start += 1
    end = start
    while True:
        end = text.find("\n", end)
        if end < 0 or end + 1 >= len(text):
            end = len(text)
            break
        end += 1
        if _TOP_KEY_AT.match(text, end):
            break
    return Segment(key, text[start:end].splitlines(keepends=True))


def driver_id(root: Path, path: Path) -> str:
    relative = path.relative_to(root / "drivers").with_suffix("")
    return relative.as_posix()


def find_driver_files(root: Path) -> list[Path]:
    base = root / "drivers"
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.yaml") if p.is_file())


def read_driver(root: Path, path: Path) -> tuple[DriverFile | None, DriverPaths | None, str]:
    """(file, its paths, "") or (None, None, problem)."""
    from ruamel.yaml.error import YAMLError

    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, f"{shown}: cannot read: {exc}"
    doc = DriverFile(path, driver_id(root, path), text)
    segment = _quick_segment(text, "paths") or doc.segment("paths")
    if segment is None:
        return None, None, f"{shown}: no `paths:` mapping (collect needs paths.include)"
    try:
        data = _safe_loader().load("".join(segment.lines))
    except YAMLError as exc:
        return None, None, f"{shown}: paths: not valid YAML ({str(exc).splitlines()[0]})"
    value = data.get("paths") if isinstance(data, dict) else None
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


def render_signals_roundtrip(old_block: str, values: Mapping[str, Any], key_indent: int = 2,
                             dash_indent: int = 4) -> str:
    """Like render_signals, through a ruamel.yaml round trip that keeps the old block's
    comments (end-of-line comments of keys, comments between keys)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    yaml = _roundtrip_yaml(key_indent, dash_indent)
    loaded = yaml.load(old_block)
    old = loaded.get("signals") if isinstance(loaded, CommentedMap) else None
    new = CommentedMap()
    for key in _keys(values):
        value = values[key]
        if key == "removed_in" and value is not None:
            value = CommentedMap([("commit", DoubleQuotedScalarString(value["commit"])),
                                  ("date", value["date"])])
            value.fa.set_flow_style()
        elif key == "window":
            value = CommentedMap([("start", value["start"]), ("end", value["end"])])
            value.fa.set_flow_style()
        elif key == "monthly":
            seq = CommentedSeq()
            for item in value:
                entry = CommentedMap(item)
                entry["month"] = DoubleQuotedScalarString(item["month"])
                entry.fa.set_flow_style()
                seq.append(entry)
            value = seq
        elif isinstance(value, str) and (key in _QUOTED_KEYS or not needs_no_quotes(value)):
            value = DoubleQuotedScalarString(value)
        new[key] = value
    if isinstance(old, CommentedMap):
        new.ca.comment = old.ca.comment
        for key in SIGNAL_KEYS:
            token = old.ca.items.get(key)
            if token and not isinstance(old.get(key), (dict, list)):
                new.ca.items[key] = token
    document = CommentedMap([("signals", new)])
    if isinstance(loaded, CommentedMap):
        document.ca.comment = loaded.ca.comment
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def _keys(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys written, in order: the absent-driver keys only when collect gave them."""
    return (*SIGNAL_KEYS, *(key for key in ABSENT_KEYS if key in values))


_LOADER: Any = None


def _safe_loader() -> Any:
    """One C-based safe loader, made once (making one costs more than a small load)."""
    global _LOADER
    if _LOADER is None:
        from ruamel.yaml import YAML

        _LOADER = YAML(typ="safe", pure=False)
    return _LOADER


def _roundtrip_yaml(key_indent: int, dash_indent: int) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=key_indent, sequence=dash_indent, offset=max(0, dash_indent - key_indent))

    def null(representer: Any, _: None) -> Any:
        return representer.represent_scalar("tag:yaml.org,2002:null", "null")

    yaml.representer.add_representer(type(None), null)
    return yaml


def _indents(block: Sequence[str]) -> tuple[int, int]:
    key_indent = dash_indent = None
    for line in block[1:]:
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        width = len(line) - len(stripped)
        if stripped.startswith("- ") and dash_indent is None:
            dash_indent = width
        elif key_indent is None and not stripped.startswith("- "):
            key_indent = width
    key_indent = key_indent or 2
    if dash_indent is None or dash_indent < key_indent:
        dash_indent = key_indent + 2
    return key_indent, dash_indent


def _has_comment(lines: Sequence[str]) -> bool:
    return any("#" in line for line in lines[1:]) or " #" in lines[0]


def _replace_scalar_line(line: str, key: str, rendered: str) -> str:
    """`key: old  # comment` -> `key: new  # comment` (the comment and spacing kept)."""
    match = re.match(rf"^({re.escape(key)}[ \t]*:[ \t]*)(.*?)([ \t]+#.*)?(\r?\n)?$", line)
    if match is None:
        return f"{key}: {rendered}\n"
    head, _, comment, ending = match.groups()
    return f"{head}{rendered}{comment or ''}{ending or chr(10)}"


def render(doc: DriverFile, signals: Mapping[str, Any] | None,
           kconfig: Sequence[str] | None = None, status: str | None = None) -> str:
    """The file's new text: only the segments whose values change are rewritten."""
    segments = split_segments(doc.text)
    by_key = {s.key: s for s in segments if s.key is not None}
    loader = _safe_loader()

    def current(key: str) -> Any:
        """The key's value now (Ellipsis when absent or unreadable: rewrite it)."""
        from ruamel.yaml.error import YAMLError

        segment = by_key.get(key)
        if segment is None:
            return ...
        try:
            data = loader.load("".join(segment.body))
        except YAMLError:
            return ...
        return data.get(key) if isinstance(data, dict) else ...

    replacements: dict[str, list[str]] = {}
    if signals is not None:
        segment = by_key.get("signals")
        body = segment.body if segment else ["signals:\n"]
        key_indent, dash_indent = _indents(body)
        if segment is not None and _has_comment(body):
            text = render_signals_roundtrip("".join(body), signals, key_indent, dash_indent)
        else:
            text = render_signals(signals, key_indent, dash_indent)
        if segment is None or text != "".join(body):
            replacements["signals"] = text.splitlines(keepends=True)
    for key, value, rendered in (
        ("kconfig", list(kconfig or ()), "[" + ", ".join(scalar(s) for s in kconfig or ()) + "]"),
        ("maintainers_status", status, scalar(status)),
    ):
        if (key == "kconfig" and kconfig is None) or (key != "kconfig" and status is None):
            continue
        lines = _one_line(by_key.get(key), key, rendered)
        segment = by_key.get(key)
        if segment is not None and (lines == segment.body or current(key) == value):
            continue
        replacements[key] = lines
    if not replacements:
        return doc.text

    out: list[str] = []
    present = {s.key for s in segments}
    inserts: dict[str | None, list[str]] = {}
    for key, lines in replacements.items():
        if key not in present:
            anchor = next((k for k in _PLACE_AFTER[key] if k in present), segments[-1].key)
            inserts.setdefault(anchor, []).extend(lines)
    for segment in segments:
        if segment.key in replacements:
            out.extend(replacements[segment.key])
            out.extend(segment.trailing)
        else:
            out.extend(segment.lines)
        if segment.key in inserts:
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
            out.extend(inserts[segment.key])
    return "".join(out)


def _one_line(segment: Segment | None, key: str, rendered: str) -> list[str]:
    if segment is not None and len(segment.body) == 1:
        return [_replace_scalar_line(segment.body[0], key, rendered)]
    return [f"{key}: {rendered}\n"]


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace `path` with `text` (same mode); False when nothing changed."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True
