"""Fit a policy's signal numbers to observed removals: pure, deterministic, explainable.

Input: samples (units scaffolded at an old revision, each removed or kept since), grouped
in *strata* (a tree, or a point of one), and a policy with a `calibration:` section.
Output: the fitted numbers, each change with the training AUC it bought.

**Coding.** Each fitted probe's points are *slots*: one per band (and `older`), one per
status of a points mapping, one for a flag (`broken: {points: -3}`). A unit is coded once:
for each fitted probe, the slot its evidence falls in, found by evaluating the probe with
slot k's points set to k + 1 (the contribution names the slot; 0 means none: unknown
evidence, or no band). The other probes' contributions and the hard rules that held do
not depend on the fitted numbers and are kept as they are. Units with the same code
collapse into one pattern with counts, so a candidate policy's score for every unit costs
an addition per pattern, and equals what `evaluate` computes (tested).

**Objective.** The stratified ROC AUC: the mean of the AUCs within each stratum (kept
units against removed ones of the same tree). Each tree counts once, whatever its size,
since the policy is for the next tree; one with fewer than `min_removals` removals counts
in proportion to them (its AUC is noise). Pooling trees would reward a score that
separates trees rather than units.

**Search.** Coordinate ascent: every round tries every allowed value of every slot
(integers in `calibration.points`), and every probe shifted by one; it takes the move
that raises the objective most (at least `min_gain`; ties: the smaller sum of absolute
points, then the policy's order) and passes the guard (the policy's fixtures, supplied
by the caller). Constraints keep the numbers meaningful: a probe's bands stay monotone
(a better band never gets fewer points), a points mapping keeps every strict order the
policy states (Supported above Orphan), a flag keeps its sign. With fewer removals than
`min_removals`, the points are not fitted at all. Then the thresholds: `keep-annotate`
is set so that deprecate + remove flags at most `flag_share` of the units of every
stratum while catching as many removals as possible; `deprecate` keeps its distance
below it, `keep` stays (raised only to stay above `keep-annotate`).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.core.errors import CheckerError
from checker.core.model import Driver
from checker.evaluate.engine import decide, evaluate
from checker.evaluate.probes import PROBES
from checker.validate.policy import HardRule, Policy

FLAGGED = ("deprecate", "remove")
Path = tuple[str | int, ...]
# (numbers by policy path, thresholds) -> does the candidate still pass the fixtures?
Guard = Callable[[Mapping[Path, float], Mapping[str, float]], bool]


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
                   section.get("train_months"))


@dataclass(frozen=True)
class Slot:
    """One number of the policy the fit may set."""

    probe: str
    path: Path
    label: str
    value: float  # in the input policy


def slots_of(policy: Policy, probes: Sequence[str]) -> list[Slot]:
    """The fitted probes' numbers, in the policy's order."""
    out: list[Slot] = []
    for probe in probes:
        config = policy.probes.get(probe)
        if config is None:
            raise CheckerError(f"{policy.file}: calibration.probes: {probe} is not one of "
                               "the policy's probes")
        base: Path = ("probes", probe)
        if "bands" in config:
            for index, entry in enumerate(config["bands"]):
                key = next(k for k in entry if k not in ("points", "label"))
                op = ">=" if key.startswith("at_least") else "<="
                unit = " months" if key.endswith("months") else ""
                out.append(Slot(probe, (*base, "bands", index, "points"),
                                f"{probe} {op} {entry[key]:g}{unit} ({entry['label']})",
                                float(entry["points"])))
            if "older" in config:
                out.append(Slot(probe, (*base, "older"), f"{probe} older than every band",
                                float(config["older"])))
        elif isinstance(config.get("points"), dict):
            for key, value in config["points"].items():
                out.append(Slot(probe, (*base, "points", key), f"{probe} {key}", float(value)))
        else:
            out.append(Slot(probe, (*base, "points"), f"{probe} (when it holds)",
                            float(config["points"])))
    return out


def path_text(path: Path) -> str:
    """("probes", "churn", "bands", 1, "points") -> probes.churn.bands[2].points (list
    entries counted from 1, as every problem and `diff` print them)"""
    out = ""
    for key in path:
        out += f"[{key + 1}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def get_path(data: Any, path: Path) -> Any:
    for key in path:
        data = data[key]
    return data


def set_path(data: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def number(value: float) -> int | float:
    """A fitted value as the policy writes it: an integer when it is one."""
    return int(value) if float(value).is_integer() else value


def with_numbers(policy: Policy, numbers: Mapping[Path, float],
                 thresholds: Mapping[str, float], version: int | None = None) -> Policy:
    """`policy` with some numbers and its thresholds replaced (and its version)."""
    raw = copy.deepcopy(policy.raw)
    for path, value in numbers.items():
        set_path(raw, path, number(value))
    raw["thresholds"] = {k: number(v) for k, v in thresholds.items()}
    if version is not None:
        raw["version"] = version
    return dataclasses.replace(policy, probes=raw["probes"], thresholds=raw["thresholds"],
                               raw=raw, version=raw["version"])


# -------------------------------------------------------------------------------------
# Coding units once


@dataclass(frozen=True)
class Pattern:
    """Units of one stratum that every candidate scores alike."""

    stratum: str
    base: float  # the contributions of the probes not fitted
    slots: tuple[int, ...]  # indices into Coded.slots of the slots its evidence falls in
    held: tuple[str, ...]  # the hard rules that held (independent of the numbers)
    kept: int
    removed: int


@dataclass(frozen=True)
class Coded:
    slots: tuple[Slot, ...]
    patterns: tuple[Pattern, ...]
    rules: Mapping[str, HardRule]

    def removals(self, stratum: str | None = None) -> int:
        return sum(p.removed for p in self.patterns if stratum in (None, p.stratum))

    def units(self, stratum: str | None = None) -> int:
        return sum(p.kept + p.removed for p in self.patterns if stratum in (None, p.stratum))

    @property
    def strata(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.stratum for p in self.patterns))


def code(samples: Sequence[tuple[str, Driver, bool]], policy: Policy,
         slots: Sequence[Slot]) -> Coded:
    """(stratum, driver, removed?) -> patterns (see the module docstring)."""
    fitted = list(dict.fromkeys(s.probe for s in slots))
    coded_configs: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for probe in fitted:
        config = copy.deepcopy(policy.probes[probe])
        owned = [i for i, s in enumerate(slots) if s.probe == probe]
        for k, index in enumerate(owned):
            set_path(config, slots[index].path[2:], k + 1)
        coded_configs[probe] = (config, owned)
    counts: dict[tuple[str, float, tuple[int, ...], tuple[str, ...]], list[int]] = {}
    for stratum, driver, removed in samples:
        verdict = evaluate(driver, policy)
        as_of = driver.evidence_date()
        assert as_of is not None  # evaluate refused it otherwise
        base = round(sum(f.contribution for f in verdict.findings if f.probe not in fitted), 6)
        chosen = []
        for probe in fitted:
            config, owned = coded_configs[probe]
            hit = round(PROBES[probe](driver, config, as_of).contribution)
            if hit > 0:
                chosen.append(owned[hit - 1])
        key = (stratum, base, tuple(chosen), verdict.rules_held)
        counts.setdefault(key, [0, 0])[1 if removed else 0] += 1
    patterns = tuple(Pattern(s, b, c, h, k, r) for (s, b, c, h), (k, r) in counts.items())
    return Coded(tuple(slots), patterns, {rule.id: rule for rule in policy.rules})


def pattern_scores(coded: Coded, values: Sequence[float]) -> list[float]:
    return [round(p.base + sum(values[i] for i in p.slots), 6) for p in coded.patterns]


def weighted_auc(kept: Mapping[float, int], removed: Mapping[float, int]) -> float | None:
    """P(a kept unit scores above a removed one), ties one half, from counts per score."""
    n_kept, n_removed = sum(kept.values()), sum(removed.values())
    if not n_kept or not n_removed:
        return None
    wins, below = 0.0, 0
    for level in sorted(set(kept) | set(removed)):
        k, r = kept.get(level, 0), removed.get(level, 0)
        wins += r * (n_kept - below - k) + 0.5 * r * k
        below += k
    return wins / (n_kept * n_removed)


def stratified_auc(coded: Coded, values: Sequence[float], full_weight: int = 1
                   ) -> float | None:
    """The mean of the AUCs within each stratum: each counts once, one with fewer than
    `full_weight` removals in proportion to its removals (its AUC is noisier)."""
    hists: dict[str, tuple[dict[float, int], dict[float, int]]] = {}
    for pattern, score in zip(coded.patterns, pattern_scores(coded, values), strict=True):
        kept, removed = hists.setdefault(pattern.stratum, ({}, {}))
        if pattern.kept:
            kept[score] = kept.get(score, 0) + pattern.kept
        if pattern.removed:
            removed[score] = removed.get(score, 0) + pattern.removed
    total = weight = 0.0
    for kept, removed in hists.values():
        value = weighted_auc(kept, removed)
        if value is not None:
            share = min(1.0, sum(removed.values()) / max(1, full_weight))
            total += value * share
            weight += share
    return total / weight if weight else None


@dataclass(frozen=True)
class Coverage:
    """What deprecate + remove catches under some numbers and thresholds."""

    share: dict[str, float]  # stratum -> share of its units flagged
    recall: float | None  # of every removal, the share flagged
    flagged: int
    units: int
    recalls: dict[str, float] = field(default_factory=dict)  # stratum -> its recall
    removed: dict[str, int] = field(default_factory=dict)  # stratum -> its removals

    def catch(self, flag_share: float, full_weight: int) -> float:
        """What the search maximises after the AUC: the mean recall of the strata
        (weighted as the AUC is) while every stratum stays within `flag_share`; over
        it, minus the largest share (so that flagging less is progress)."""
        widest = max(self.share.values(), default=0.0)
        if widest > flag_share + 1e-12:
            return -widest
        weights = {s: min(1.0, n / max(1, full_weight)) for s, n in self.removed.items()
                   if n}
        total = sum(weights.values())
        return sum(self.recalls[s] * w for s, w in weights.items()) / total if total else 0.0


def coverage(coded: Coded, values: Sequence[float], thresholds: Mapping[str, float]
             ) -> Coverage:
    flagged: dict[str, int] = {}
    units: dict[str, int] = {}
    caught: dict[str, int] = {}
    removed: dict[str, int] = {}
    for pattern, score in zip(coded.patterns, pattern_scores(coded, values), strict=True):
        held = [coded.rules[r] for r in pattern.held if r in coded.rules]
        verdict = decide(score, held, thresholds)[1]
        stratum = pattern.stratum
        units[stratum] = units.get(stratum, 0) + pattern.kept + pattern.removed
        removed[stratum] = removed.get(stratum, 0) + pattern.removed
        if verdict in FLAGGED:
            flagged[stratum] = flagged.get(stratum, 0) + pattern.kept + pattern.removed
            caught[stratum] = caught.get(stratum, 0) + pattern.removed
    total = sum(removed.values())
    return Coverage({s: flagged.get(s, 0) / n for s, n in units.items()},
                    sum(caught.values()) / total if total else None, sum(flagged.values()),
                    sum(units.values()),
                    {s: caught.get(s, 0) / n for s, n in removed.items() if n}, removed)


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
    catch: float = 0.0  # and the recall within the flagged share (Coverage.catch)


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
        if count < settings.min_removals:
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
    budget = max(settings.flag_share, max(result.coverage_before.share.values(), default=0.0))
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
            if max(found.share.values(), default=0.0) > budget + 1e-12:
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
    """`keep-annotate` such that deprecate + remove flags at most `flag_share` of every
    stratum's units and catches the most removals (ties: the smaller largest share)."""
    given = dict(policy.thresholds)
    gap = given["keep-annotate"] - given["deprecate"]
    levels = sorted(set(pattern_scores(coded, values)))
    candidates = sorted({levels[0], *(level + 1 for level in levels)}) if levels else []
    numbers = {s.path: v for s, v in zip(coded.slots, values, strict=True)}
    best: tuple[tuple[float, float, float], dict[str, float]] | None = None
    fallback: tuple[tuple[float, float], dict[str, float]] | None = None
    for cut in candidates:
        trial = {"keep": max(given["keep"], cut + 1), "keep-annotate": cut,
                 "deprecate": cut - gap}
        found = coverage(coded, values, trial)
        widest = max(found.share.values(), default=0.0)
        if not guard(numbers, trial):
            continue
        if fallback is None or (widest, -cut) < fallback[0]:
            fallback = ((widest, -cut), trial)
        if widest <= settings.flag_share + 1e-12:
            key = (found.recall or 0.0, -widest, -abs(cut - given["keep-annotate"]))
            if best is None or key > best[0]:
                best = (key, trial)
    if best is not None:
        return best[1]
    if fallback is not None:
        result.warnings.append(
            f"no keep-annotate threshold keeps deprecate + remove within "
            f"{settings.flag_share:.0%} of every stratum's units (hard-rule caps flag some "
            f"whatever the score): the one flagging fewest is kept")
        return fallback[1]
    result.warnings.append("every threshold the search tried breaks a fixture: the "
                           "policy's thresholds are kept")
    return given
