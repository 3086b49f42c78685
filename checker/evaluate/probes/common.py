"""Helpers shared by probes: unknown findings, bands, month arithmetic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from checker.core.model import Finding, PartialDate


def unknown(probe: str, reason: str) -> Finding:
    return Finding(probe, None, 0.0, reason, known=False)


def band(
    value: float, bands: Sequence[Mapping[str, Any]], key: str, higher_is_better: bool
) -> Mapping[str, Any] | None:
    """The first band whose bound holds (`at_least` bands: value >= bound; `at_most`: <=)."""
    for entry in bands:
        bound = entry[key]
        if (value >= bound) if higher_is_better else (value <= bound):
            return entry
    return None


def at_least(value: int, config: Mapping[str, Any]) -> tuple[float, str]:
    """The points and label of the `at_least` band `value` falls in (more is better),
    else (0, "no band")."""
    hit = band(value, config["bands"], "at_least", higher_is_better=True)
    return (float(hit["points"]), str(hit["label"])) if hit else (0.0, "no band")


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (0 when in the same month)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def months_since(period: PartialDate, as_of: date) -> int:
    """Whole months from a period ("2022", "2022-05" or a day) to `as_of`, the period
    taken as what it is: measured from its last day, so a report dated "2022" is as
    recent as December 2022 allows (0 while `as_of` falls inside the period)."""
    return max(0, months_between(min(period.last_day(), as_of), as_of))


def signed(points: float) -> str:
    return f"{points:+g}"
