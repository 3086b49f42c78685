"""How commands talk to a terminal: `--quiet`, colour only where it can be seen, and
untrusted text escaped.

Set once by the CLI (`configure`) and read by reporters. Colour is used on a terminal
unless NO_COLOR is set (https://no-color.org) or TERM is dumb; `--color always|never`
decides explicitly. Pipes, files and CI logs get plain text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO

from checker.core.hidden import Table

_STATE = {"quiet": False, "color": "auto"}

STYLES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36", "dim": "2"}


def configure(*, quiet: bool = False, color: str = "auto") -> None:
    _STATE["quiet"] = quiet
    _STATE["color"] = color


def quiet() -> bool:
    """--quiet: print problems and results only, no summaries, notes or progress."""
    return bool(_STATE["quiet"])


def color_enabled(stream: IO[str]) -> bool:
    choice = _STATE["color"]
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str, stream: IO[str]) -> str:
    """`text` in `style` when `stream` shows colour; else `text` unchanged."""
    if not color_enabled(stream):
        return text
    return f"\x1b[{STYLES[style]}m{text}\x1b[0m"


# -- text from files, policies, templates, revisions and trees --------------------------
#
# Every value a command prints that it did not write itself (a driver's name or reasons,
# a rule's `why`, a fixture or template name, a revision, a path or a commit subject
# from a kernel tree) goes through `safe` (one line) or, for a block of lines the
# checker composed, `terminal`. What is hidden (checker.core.hidden: controls and escape
# sequences, format and bidirectional characters, default-ignorable code points,
# fillers, line separators) is shown as a backslash escape; a byte of a name that is not
# UTF-8 is shown as `\xNN`.


def _escape(code: int) -> str:
    if code in _NAMED:
        return _NAMED[code]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_NAMED = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_ONE_LINE = Table(_escape)
_LINES = Table(_escape, keep="\n\t")


def safe(value: object) -> str:
    """Untrusted text for a terminal, on one line: every hidden character, line breaks
    and tabs included, shown escaped (`\\x1b`, `\\n`, `\\u202e`), so that no value can
    colour, move or retitle the terminal, reorder what is shown, or forge a line."""
    return _ONE_LINE.apply(str(value))


def terminal(text: str) -> str:
    """A block of lines the checker composed (a diff, a list of problems) for a
    terminal: line breaks and tabs kept, every other hidden character escaped."""
    return _LINES.apply(text)


def emit(lines: Iterable[str], stream: IO[str] | None = None) -> None:
    """Lines a command composed, each escaped by `safe` (so a value in one cannot break
    it in two or carry a control character), to `stream` (default: standard output)."""
    out = stream if stream is not None else sys.stdout
    for line in lines:
        out.write(safe(line) + "\n")


def width(text: str) -> int:
    """Columns `text` takes in a terminal: wide and full-width characters two,
    combining marks none."""
    import unicodedata

    if text.isascii():
        return len(text)
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def columns(rows: Sequence[Sequence[object]], *, right: Sequence[int] = ()) -> list[str]:
    """Rows of cells as aligned lines: every cell escaped (`safe`), each column as wide
    as its widest cell, two spaces between columns, the last column not padded;
    columns whose index is in `right` are aligned to the right."""
    cells = [[safe(cell) for cell in row] for row in rows]
    count = max((len(row) for row in cells), default=0)
    widths = [max((width(row[i]) for row in cells if i < len(row)), default=0)
              for i in range(count)]
    lines = []
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - width(cell))
            last = i == len(row) - 1
            parts.append(pad + cell if i in right else cell + ("" if last else pad))
        lines.append("  ".join(parts))
    return lines
