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
        where = f"{self.path}:{self.line}:{self.col}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
