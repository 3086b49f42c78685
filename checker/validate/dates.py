"""Dates in evidence against the day a command runs.

A date after today is a typo or a guess, never evidence, and it would move verdicts (a
report dated "2062-03" counts as current; a source dated "2062-07" moves the evidence
date). Validation cannot see the clock (its results are cached by content), so the
check is a separate, cheap pass: `dated_values` lists every date of a driver with its
place, and `future_problems` compares them with `today`, which the CLI reads once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import NamedTuple

from checker.core.errors import Problem
from checker.core.model import Driver, PartialDate

KeyPath = tuple[str | int, ...]
Locate = Callable[[str, KeyPath], tuple[int, int]]


class Dated(NamedTuple):
    """One date of an evidence file: the first day it may stand for, and where it is."""

    first_day: date
    keypath: KeyPath
    shown: str


def dated_values(driver: Driver) -> Iterator[Dated]:
    """Every date the evidence states (an override's `until` is a deadline, not evidence)."""

    def item(value: PartialDate | date | None, *keypath: str | int) -> Iterator[Dated]:
        if value is None:
            return
        day = value.first_day() if isinstance(value, PartialDate) else value
        yield Dated(day, keypath, str(value))

    for index, source in enumerate(driver.sources):
        yield from item(source.date, "sources", index, "date")
        yield from item(source.retrieved, "sources", index, "retrieved")
    for index, action in enumerate(driver.upstream):
        yield from item(action.date, "upstream", index, "date")
    for index, report in enumerate(driver.users_reported):
        yield from item(report.date, "users_reported", index, "date")
    signals = driver.signals
    if signals is not None:
        yield from item(signals.window_end, "signals", "window", "end")
        for key in ("first_commit", "last_commit", "last_substantive_commit"):
            yield from item(getattr(signals, key), "signals", key)


def future_problems(driver: Driver, today: date, locate: Locate) -> list[Problem]:
    return [
        future_problem(driver.file, value, today, locate(driver.file, value.keypath))
        for value in dated_values(driver)
        if value.first_day > today
    ]


def future_problem(file: str, value: Dated, today: date, where: tuple[int, int]) -> Problem:
    from checker.load.document import field_name

    return Problem(
        file,
        where[0],
        where[1],
        field_name(value.keypath),
        future_message(value.shown, today),
        rule="date",
    )


def future_message(shown: str, today: date) -> str:
    return (
        f"{shown} is after today ({today}): evidence cannot come from the future "
        "(a typo?); `--today YYYY-MM-DD` checks as of another day"
    )
