"""How commands talk to a terminal: `--quiet`, and colour only where it can be seen.

Set once by the CLI (`configure`) and read by reporters. Colour is used on a terminal
unless NO_COLOR is set (https://no-color.org) or TERM is dumb; `--color always|never`
decides explicitly. Pipes, files and CI logs get plain text.
"""

from __future__ import annotations

import os
from typing import IO

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
