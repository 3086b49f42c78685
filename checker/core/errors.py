"""One exception base, and Problem: a located finding that reporters render."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


class CheckerError(Exception):
    """An expected failure: reported as a clean message with exit code 1."""


class UsageError(CheckerError):
    """The command line asked for something impossible: exit code 2."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at one place; `line` and `col` are 1-based."""

    path: str
    line: int
    col: int
    field: str
    message: str
    severity: str = dataclasses.field(default="error", compare=False)
    rule: str = dataclasses.field(default="schema", compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.field, self.message)

    def __str__(self) -> str:
        """One line: line breaks and other control characters in the (untrusted) field or
        message are shown escaped, so no text can forge a second problem line."""
        return _one_line(self._plain())

    def _plain(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\x85"})


def _one_line(text: str) -> str:
    return terminal(text.translate(_CONTROL))


# What a terminal must not receive raw from untrusted text: C0 and C1 controls (escape
# sequences move the cursor, retitle the window, hide text), the bidirectional marks,
# embeddings, overrides and isolates ("trojan source"), and invisible characters that
# make two different strings look alike (zero-width, word joiner, BOM, tag characters).
_TERMINAL = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))
             if code not in (0x0A, 0x09)}
_TERMINAL.update({code: f"\\u{code:04x}" for code in (
    0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F),
    0x2028, 0x2029, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, *range(0x2066, 0x206A), 0xFEFF)})
_TERMINAL.update({code: f"\\U{code:08x}" for code in range(0xE0000, 0xE0080)})


def terminal(text: str) -> str:
    """Untrusted text for a terminal: line breaks and tabs kept, every control, bidi
    and invisible character shown escaped (`\\x1b`, `\\u202e`), and text that is not
    valid Unicode (a file name that is not UTF-8) shown with backslash escapes."""
    escaped = text.translate(_TERMINAL)
    try:
        escaped.encode("utf-8")
    except UnicodeEncodeError:
        escaped = escaped.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return escaped
