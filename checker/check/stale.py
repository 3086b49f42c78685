"""Sources, signals and overrides older than the policy's `stale` limits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from checker.core.days import shift_months
from checker.core.errors import Problem

if TYPE_CHECKING:
    from checker.core.model import Driver
    from checker.validate.policy import Policy


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's end, and to
    0001-01-01: nothing is dated before it, so nothing is older than that cutoff)."""
    return shift_months(day, -months)


Locate = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


def stale_findings(
    drivers: Sequence[Driver], policy: Policy, today: date, locate: Locate
) -> list[Problem]:
    """Evidence older than the policy's limits on `today`, one finding per item."""
    source_limit = policy.stale["source_months"]
    signals_limit = policy.stale["signals_months"]
    source_cutoff = months_before(today, source_limit)
    signals_cutoff = months_before(today, signals_limit)
    out: list[Problem] = []

    def finding(driver: Driver, keypath: tuple[str | int, ...], field: str, text: str) -> None:
        line, col = locate(driver.file, keypath)
        out.append(Problem(driver.file, line, col, field, text, severity="warning", rule="stale"))

    for driver in drivers:
        for index, source in enumerate(driver.sources):
            if source.historical:
                continue  # an event stays true however old it is (docs/evidence.md)
            if source.date is not None and source.date.last_day() < source_cutoff:
                finding(
                    driver,
                    ("sources", index, "date"),
                    f"sources[{index + 1}].date",
                    f"{driver.id}: source {index + 1} ({source.domain}) is dated {source.date}, "
                    f"more than {source_limit} months before {today} (stale.source_months); "
                    "check that its claim still holds and update the claim and its date",
                )
        signals = driver.signals
        if signals is not None and signals.window_end < signals_cutoff:
            finding(
                driver,
                ("signals", "window", "end"),
                "signals.window.end",
                f"{driver.id}: signals end on {signals.window_end}, more than {signals_limit} "
                f"months before {today} (stale.signals_months); recompute them with "
                "driver-policy collect",
            )
        override = driver.verdict.override if driver.verdict else None
        if override is not None and override.until < today:
            finding(
                driver,
                ("verdict", "override", "until"),
                "verdict.override.until",
                f"{driver.id}: override to {override.verdict} expired on {override.until}; "
                "renew it with a reason or remove it",
            )
    return sorted(out)
