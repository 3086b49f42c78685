"""Pure measures of how well a score separates removed from kept units.

Convention: a *higher* score means *keep*. The ROC curve treats a removal as the
positive class and predicts it when the score is at or below a cut-off, so an AUC of
1.0 means every removed unit scored below every kept one, 0.5 means no information.
Ties count one half (the Mann-Whitney statistic). The bootstrap resamples removed and
kept units separately (so each resample has both) with a seeded generator: the same
rows and seed give the same interval on every machine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from checker.validate.schemas import VERDICTS

FLAGGED = ("deprecate", "remove")  # verdicts that predict a removal

# Below this many removed (or kept) units no interval is given: a bootstrap resamples
# the few cases there are (with one removed unit, every resample holds that unit, and
# the "interval" only shows how the kept units vary, e.g. 0.984-1.000), and the
# interval is far narrower than what the data can support. The report says so instead.
MIN_FOR_INTERVAL = 10


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def auc(kept: Sequence[float], removed: Sequence[float]) -> float | None:
    """P(a kept unit scores above a removed one), ties one half; None without both."""
    if not kept or not removed:
        return None
    ranked = sorted([(value, 0) for value in kept] + [(value, 1) for value in removed])
    # Mann-Whitney U with mid-ranks for ties.
    rank_sum_kept = 0.0
    index = 0
    while index < len(ranked):
        end = index
        while end + 1 < len(ranked) and ranked[end + 1][0] == ranked[index][0]:
            end += 1
        mid = (index + end) / 2 + 1
        rank_sum_kept += mid * sum(1 for k in range(index, end + 1) if ranked[k][1] == 0)
        index = end + 1
    n_kept = len(kept)
    u_kept = rank_sum_kept - n_kept * (n_kept + 1) / 2
    return u_kept / (n_kept * len(removed))


def bootstrap_auc(kept: Sequence[float], removed: Sequence[float], resamples: int,
                  seed: int, level: float = 0.95) -> Interval | None:
    """Percentile interval of the AUC over stratified resamples; None with fewer than
    MIN_FOR_INTERVAL units of either outcome (see there)."""
    if min(len(kept), len(removed)) < MIN_FOR_INTERVAL or resamples < 1:
        return None
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        k = [kept[rng.randrange(len(kept))] for _ in kept]
        r = [removed[rng.randrange(len(removed))] for _ in removed]
        value = auc(k, r)
        assert value is not None
        values.append(value)
    values.sort()
    tail = (1 - level) / 2
    return Interval(_quantile(values, tail), _quantile(values, 1 - tail))


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def roc_points(kept: Sequence[float], removed: Sequence[float]) -> list[tuple[float, float]]:
    """(false-positive rate, true-positive rate) at every cut-off, from (0, 0) to (1, 1)."""
    if not kept or not removed:
        return []
    points = [(0.0, 0.0)]
    for cut in sorted(set(kept) | set(removed)):
        fp = sum(1 for value in kept if value <= cut)
        tp = sum(1 for value in removed if value <= cut)
        points.append((fp / len(kept), tp / len(removed)))
    return points


@dataclass(frozen=True)
class Confusion:
    """Units per computed verdict, split by outcome; precision/recall of FLAGGED."""

    kept: dict[str, int]
    removed: dict[str, int]

    @property
    def precision(self) -> float | None:
        flagged = sum(self.kept[v] + self.removed[v] for v in FLAGGED)
        return sum(self.removed[v] for v in FLAGGED) / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        total = sum(self.removed.values())
        return sum(self.removed[v] for v in FLAGGED) / total if total else None


def confusion(verdicts: Sequence[tuple[str, bool]]) -> Confusion:
    """(verdict, removed?) pairs -> counts per verdict for each outcome."""
    kept = dict.fromkeys(VERDICTS, 0)
    removed = dict.fromkeys(VERDICTS, 0)
    for verdict, was_removed in verdicts:
        (removed if was_removed else kept)[verdict] += 1
    return Confusion(kept, removed)
