"""Fit a policy's signal numbers to observed removals: pure, deterministic, explainable.

Input: samples (units scaffolded at an old revision, each removed or kept since), grouped
in *strata* (a tree, or a point of one), and a policy with a `calibration:` section.
Output: the fitted numbers, each change with the training AUC it bought.

Units are coded once (checker/backtest/coding.py).

**Search.** Coordinate ascent: every round tries every allowed value of every slot
(integers in `calibration.points`), and every probe shifted by one; it takes the move
that raises the objective most (at least `min_gain`), or, as good for the AUC, raises
the informedness of deprecate + remove within `flag_share` (Coverage.catch: the share of
the removals within `recall_months` of their point it catches, less the share of units
it flags); ties: the smaller sum of absolute points, then the policy's order. A move
must pass the guard (the policy's fixtures, supplied by the caller) and may not make
deprecate + remove flag more than `flag_share` of the units at one point in time of a
stratum (or more than at the start).
Constraints keep the numbers meaningful (`_constraints`): no number changes sign, a
probe's best band stays >= 0 and its worst <= 0 (unknown evidence scores 0: knowing the
worst is never better than knowing nothing), bands stay monotone, a points mapping keeps
every strict order the policy states. With fewer removals than `min_removals` the points
are not fitted at all. Then the thresholds: `keep-annotate` is the one with the most
informedness among those that flag at most `flag_share` of the units at every point in
time of every stratum (a freshly onboarded tree is one point); `deprecate` (the bar for
remove) stays while below it and keeps its distance below it otherwise, `keep` stays
(raised only to stay above `keep-annotate`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from checker.backtest.coding import (
    FLAGGED,
    Coded,
    Coverage,
    Guard,
    Path,
    Slot,
    coverage,
    pattern_scores,
    stratified_auc,
)
from checker.core.errors import CheckerError
from checker.validate.policy import Policy

__all__ = ["FLAGGED", "Change", "Fit", "Guard", "Path", "Settings", "choose_thresholds", "fit"]


@dataclass(frozen=True)
class Settings:
    """The policy's `calibration:` section."""

    probes: tuple[str, ...]
    low: int
    high: int
    flag_share: float
    min_removals: int
    min_gain: float
    max_changes: int
    train_months: int | None
    # recall counts the removals within this many months of their point (None: all)
    recall_months: int | None = None

    @classmethod
    def from_policy(cls, policy: Policy) -> Settings:
        section = policy.raw.get("calibration")
        if not isinstance(section, dict):
            raise CheckerError(f"{policy.file}: no `calibration:` section (which probes to "
                               "fit, the range of their points, the share deprecate + "
                               "remove may flag); see docs/policy.md")
        points = section["points"]
        return cls(tuple(section["probes"]), int(points["min"]), int(points["max"]),
                   float(section["flag_share"]), int(section["min_removals"]),
                   float(section["min_gain"]), int(section["max_changes"]),
                   section.get("train_months"), section.get("recall_months"))


# -------------------------------------------------------------------------------------
# The search


@dataclass(frozen=True)
class Change:
    round: int
    labels: tuple[str, ...]
    paths: tuple[Path, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    auc: float  # the training objective after this change
    catch: float = 0.0  # and the informedness within the flagged share (Coverage.catch)


@dataclass
class Fit:
    slots: tuple[Slot, ...]
    values: list[float]
    thresholds_before: dict[str, float]
    thresholds: dict[str, float]
    auc_before: float | None
    auc: float | None
    coverage_before: Coverage
    coverage: Coverage
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    points_fitted: bool = True
    rejected_by_guard: int = 0
    thresholds_refused: int = 0  # keep-annotate values within flag_share a fixture refused

    def numbers(self) -> dict[Path, float]:
        """Every fitted number that differs from the input policy's."""
        return {s.path: v for s, v in zip(self.slots, self.values, strict=True)
                if v != s.value}


def _constraints(policy: Policy, slots: Sequence[Slot], settings: Settings
                 ) -> tuple[list[tuple[float, float]], list[tuple[int, int]]]:
    """Per slot (low, high), and pairs (i, j): value i >= value j.

    What keeps the numbers meaningful: unknown evidence scores 0, so no number changes
    sign (evidence against stays against), a probe's best band is never below 0 and its
    worst never above (knowing the worst is never better than knowing nothing), a
    better band never gets fewer points than a worse one, and a points mapping keeps
    every strict order the policy states (Supported above Orphan)."""
    bounds: list[tuple[float, float]] = []
    order: list[tuple[int, int]] = []
    by_probe: dict[str, list[int]] = {}
    for index, slot in enumerate(slots):
        by_probe.setdefault(slot.probe, []).append(index)
        low, high = min(settings.low, slot.value), max(settings.high, slot.value)
        if slot.value < 0:
            high = 0.0
        elif slot.value > 0:
            low = 0.0
        bounds.append((low, high))
    for probe, owned in by_probe.items():
        config = policy.probes[probe]
        if "bands" in config:  # better bands first (and `older` last): never fewer points
            order += list(itertools.pairwise(owned))
            first, last = bounds[owned[0]], bounds[owned[-1]]
            bounds[owned[0]] = (max(first[0], 0.0), first[1])
            bounds[owned[-1]] = (last[0], min(last[1], 0.0))
        elif isinstance(config.get("points"), dict):
            order += [(a, b) for a in owned for b in owned if slots[a].value > slots[b].value]
    return bounds, order


def _feasible(values: Sequence[float], bounds: Sequence[tuple[float, float]],
              order: Sequence[tuple[int, int]]) -> bool:
    return all(low <= v <= high for v, (low, high) in zip(values, bounds, strict=True)) \
        and all(values[a] >= values[b] for a, b in order)


def _moves(slots: Sequence[Slot], values: Sequence[float],
           bounds: Sequence[tuple[float, float]]) -> list[dict[int, float]]:
    moves: list[dict[int, float]] = []
    for index, (low, high) in enumerate(bounds):
        for candidate in range(int(low), int(high) + 1):
            if candidate != values[index]:
                moves.append({index: float(candidate)})
    probes = list(dict.fromkeys(s.probe for s in slots))
    for probe in probes:
        owned = [i for i, s in enumerate(slots) if s.probe == probe]
        if len(owned) > 1:
            for step in (1.0, -1.0):
                moves.append({i: values[i] + step for i in owned})
    return moves


def fit(coded: Coded, policy: Policy, settings: Settings, guard: Guard) -> Fit:
    """Points by coordinate ascent on the stratified AUC, then thresholds."""
    slots = coded.slots
    values = [s.value for s in slots]
    bounds, order = _constraints(policy, slots, settings)
    thresholds = dict(policy.thresholds)
    before = stratified_auc(coded, values, settings.min_removals)
    result = Fit(slots, values, dict(thresholds), dict(thresholds), before, before,
                 coverage(coded, values, thresholds), coverage(coded, values, thresholds))
    removals = coded.removals()
    for stratum in coded.strata:
        count = coded.removals(stratum)
        # none: it bounds the share flagged and nothing else (the units at DATE, whose
        # outcomes calibrate leaves out)
        if 0 < count < settings.min_removals:
            result.warnings.append(f"{stratum}: {count} removal(s), fewer than "
                                   f"{settings.min_removals}: its AUC says little")
    if removals < settings.min_removals:
        result.points_fitted = False
        result.warnings.append(f"{removals} removal(s) in training, fewer than "
                               f"calibration.min_removals ({settings.min_removals}): the "
                               "points are not fitted (only the thresholds)")
    current = before

    caught = result.coverage_before.catch(settings.flag_share, settings.min_removals)
    # the flagged share may not grow past the target (nor past where it started)
    budget = max(settings.flag_share, result.coverage_before.widest)
    for round_no in range(1, settings.max_changes + 1):
        if not result.points_fitted or current is None:
            break
        ranked = []
        for position, move in enumerate(_moves(slots, values, bounds)):
            trial = list(values)
            for index, points in move.items():
                trial[index] = points
            if not _feasible(trial, bounds, order):
                continue
            gained = stratified_auc(coded, trial, settings.min_removals)
            if gained is None or gained < current - 1e-9:
                continue
            found = coverage(coded, trial, thresholds)
            if found.widest > budget + 1e-12:
                continue
            more = found.catch(settings.flag_share, settings.min_removals)
            if gained >= current + settings.min_gain or more >= caught + settings.min_gain:
                ranked.append((-round(gained, 9), -round(more, 9), sum(abs(v) for v in trial),
                               position, trial, move, gained, more))
        ranked.sort(key=lambda item: item[:4])
        for *_key, trial, move, value, more in ranked:
            numbers = {s.path: v for s, v in zip(slots, trial, strict=True)}
            if guard(numbers, thresholds):
                indices = tuple(sorted(move))
                result.changes.append(Change(
                    round_no, tuple(slots[i].label for i in indices),
                    tuple(slots[i].path for i in indices),
                    tuple(values[i] for i in indices), tuple(trial[i] for i in indices),
                    value, more))
                values, current, caught = trial, value, more
                break
            result.rejected_by_guard += 1
        else:
            break
    result.values = values
    result.auc = current
    result.thresholds = choose_thresholds(coded, values, policy, settings, guard, result)
    result.coverage = coverage(coded, values, result.thresholds)
    return result


def choose_thresholds(coded: Coded, values: Sequence[float], policy: Policy,
                      settings: Settings, guard: Guard, result: Fit) -> dict[str, float]:
    """`keep-annotate` such that deprecate + remove flags at most `flag_share` of the
    units at every point of every stratum, with the most informedness (Coverage.catch:
    the share of removals caught less the share of units flagged; ties: the smaller
    largest share)."""
    given = dict(policy.thresholds)
    gap = given["keep-annotate"] - given["deprecate"]
    levels = sorted(set(pattern_scores(coded, values)))
    candidates = sorted({levels[0], *(level + 1 for level in levels)}) if levels else []
    numbers = {s.path: v for s, v in zip(coded.slots, values, strict=True)}
    best: tuple[tuple[float, float, float], dict[str, float]] | None = None
    fallback: tuple[tuple[float, float], dict[str, float]] | None = None
    for cut in candidates:
        # deprecate is the bar for remove (clearly negative evidence), not for being
        # flagged: it stays while below keep-annotate, and keeps its distance otherwise
        trial = {"keep": max(given["keep"], cut + 1), "keep-annotate": cut,
                 "deprecate": given["deprecate"] if given["deprecate"] < cut else cut - gap}
        found = coverage(coded, values, trial)
        widest = found.widest
        if not guard(numbers, trial):
            if widest <= settings.flag_share + 1e-12:
                result.thresholds_refused += 1
            continue
        if fallback is None or (widest, -cut) < fallback[0]:
            fallback = ((widest, -cut), trial)
        if widest <= settings.flag_share + 1e-12:
            key = (round(found.catch(settings.flag_share, settings.min_removals), 9), -widest,
                   -abs(cut - given["keep-annotate"]))
            if best is None or key > best[0]:
                best = (key, trial)
    if best is not None:
        return best[1]
    if fallback is not None:
        result.warnings.append(
            f"no keep-annotate threshold keeps deprecate + remove within "
            f"{settings.flag_share:.0%} of the units at every point of every stratum "
            f"(hard-rule caps flag some whatever the score): the one flagging fewest is kept")
        return fallback[1]
    result.warnings.append("every threshold the search tried breaks a fixture: the "
                           "policy's thresholds are kept")
    return given
