"""Calendar arithmetic that is total: every result is a day Python holds.

`date` holds years 1 to 9999; a computation that would leave that range (`stale --today
0001-01-01` minus a stale limit, `backtest --horizon` past year 9999) is clamped to the
first or last day, which gives the exact answer wherever the result is compared with a
day of evidence or history (none can lie outside the range). Callers that show the
clamped day say so (`clamped`).
"""

from __future__ import annotations

import calendar
from datetime import date

FIRST_MONTH = 1 * 12  # the month index of 0001-01 (year * 12 + month - 1)
LAST_MONTH = 9999 * 12 + 11


def shift_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (earlier when negative), clamped to
    the last day of a shorter month (2026-03-31 minus one month is 2026-02-28), and to
    0001-01-01 or 9999-12-31 outside the calendar."""
    index = day.year * 12 + day.month - 1 + months
    if index < FIRST_MONTH:
        return date.min
    if index > LAST_MONTH:
        return date.max
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def clamped(day: date, months: int) -> bool:
    """Whether shift_months(day, months) left the calendar and was clamped."""
    index = day.year * 12 + day.month - 1 + months
    return not FIRST_MONTH <= index <= LAST_MONTH
