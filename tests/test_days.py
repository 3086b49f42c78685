"""Calendar arithmetic that is total (checker/core/days.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.core.days import clamped, shift_months


@pytest.mark.parametrize(("day", "months", "expected", "outside"), [
    (date(2026, 3, 31), -1, date(2026, 2, 28), False),
    (date(2024, 1, 31), 1, date(2024, 2, 29), False),
    (date(2026, 1, 15), -13, date(2024, 12, 15), False),
    (date(1, 1, 1), -1, date.min, True),  # stale --today 0001-01-01
    (date(1, 12, 31), -12, date.min, True),
    (date(1, 12, 31), -11, date(1, 1, 31), False),
    (date(9999, 12, 31), 1, date.max, True),  # backtest --horizon past year 9999
    (date(9999, 1, 31), 11, date(9999, 12, 31), False),
    (date(2024, 5, 31), 10**30, date.max, True),
    (date(2024, 5, 31), -(10**30), date.min, True),
])
def test_shift_months(day: date, months: int, expected: date, outside: bool) -> None:
    assert shift_months(day, months) == expected
    assert clamped(day, months) is outside


@given(st.dates(), st.integers(-(10**6), 10**6))
def test_shift_months_is_total_and_monotonic(day: date, months: int) -> None:
    shifted = shift_months(day, months)
    assert date.min <= shifted <= date.max
    if months >= 0:
        assert shifted >= day
    else:
        assert shifted <= day
