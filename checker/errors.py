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


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\x85"})


def _one_line(text: str) -> str:
    return text.translate(_CONTROL)
