"""One exception base, and Problem: a located finding that reporters render."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from checker.core.output import safe, terminal

__all__ = ["CheckerError", "Problem", "UsageError", "safe", "terminal"]


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
        return safe(self._plain())

    def _plain(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
