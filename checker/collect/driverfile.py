"""A driver file as collect reads it: its top-level segments and where signals go."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker.collect.run import DriverPaths

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]|$)")




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
    from checker.load.fsutil import walk_files

    return [root / rel for rel in walk_files(root, "drivers") if rel.endswith(".yaml")]


def read_driver(root: Path, path: Path) -> tuple[DriverFile | None, DriverPaths | None, str]:
    """(file, its paths, "") or (None, None, problem).

    Read through the one door (no links, a regular file, at most MAX_BYTES) and parsed
    by the checker's own loader: a file that does not load (a YAML error, a duplicate
    key, an alias, a tag) is refused, never edited.
    """
    from checker.load.document import MAX_BYTES, parse_document
    from checker.load.fsutil import FileAccessError, read_file

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
    from checker.core.paths import parse_pattern

    for pattern in [*include, *exclude]:
        try:
            parse_pattern(pattern)
        except ValueError as exc:
            return None, None, f"{shown}: paths: {exc}"
    kconfig = document.data.get("kconfig")
    symbols = tuple(s for s in kconfig if isinstance(s, str)) if isinstance(kconfig, list) \
        else ()
    return doc, DriverPaths(doc.id, tuple(include), tuple(exclude), symbols), ""
