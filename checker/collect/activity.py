"""Per-driver activity: what one driver's history looks like, and how commits add to it.

The walks (walker.py), the listing's settled commits (sweeps.py) and settle() all add
commits this way; sums do not depend on the order they are added in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Activity:
    """What one driver's history looks like in one or more runs."""

    commits: int = 0
    substantive: int = 0
    mechanical: int = 0
    added: int = 0
    removed: int = 0
    authors: set[str] = field(default_factory=set)
    months: dict[str, list[int]] = field(default_factory=dict)  # month -> [commits, +, -]
    first: int | None = None
    last: int | None = None
    last_substantive: int | None = None

    def merge(self, other: Activity) -> None:
        self.commits += other.commits
        self.substantive += other.substantive
        self.mechanical += other.mechanical
        self.added += other.added
        self.removed += other.removed
        self.authors |= other.authors
        for month, (commits, added, removed) in other.months.items():
            bucket = self.months.setdefault(month, [0, 0, 0])
            bucket[0] += commits
            bucket[1] += added
            bucket[2] += removed
        self.first = _min(self.first, other.first)
        self.last = _max(self.last, other.last)
        self.last_substantive = _max(self.last_substantive, other.last_substantive)


def count(activity: dict[str, Activity], stamp: int, author: str, month: str,
          touched: Iterable[tuple[str, list[int]]], mechanical: bool, counting: bool) -> None:
    """Add one commit to the activity of every driver it touched."""
    for owner, (added, removed) in touched:
        act = activity.get(owner)
        if act is None:
            act = activity[owner] = Activity()
        if act.first is None or stamp < act.first:
            act.first = stamp
        if act.last is None or stamp > act.last:
            act.last = stamp
        if not mechanical and (act.last_substantive is None or stamp > act.last_substantive):
            act.last_substantive = stamp
        if not counting:
            continue
        act.commits += 1
        if mechanical:
            act.mechanical += 1
        else:
            act.substantive += 1
        act.added += added
        act.removed += removed
        act.authors.add(author)
        bucket = act.months.get(month)
        if bucket is None:
            act.months[month] = [1, added, removed]
        else:
            bucket[0] += 1
            bucket[1] += added
            bucket[2] += removed


def merge_into(totals: dict[str, Activity], found: dict[str, Activity]) -> None:
    """Add per-driver activity to the totals (the sums do not depend on the order)."""
    for driver, act in found.items():
        if driver in totals:
            totals[driver].merge(act)
        else:
            totals[driver] = act


def touch(activity: dict[str, Activity], stamp: int, owners: Iterable[str]) -> None:
    """A commit that is not work on the drivers it touched: only their first commit."""
    for owner in owners:
        act = activity.get(owner)
        if act is None:
            act = activity[owner] = Activity()
        if act.first is None or stamp < act.first:
            act.first = stamp


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
