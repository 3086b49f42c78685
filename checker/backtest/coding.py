"""Units coded once for fitting, and the measures a fit maximises: pure.

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
"""

from __future__ import annotations

import copy
import dataclasses
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
    point: str = ""  # the evidence date of its units: the point in time they were scored
    soon: int = 0  # of the removed, those removed within `recall_months` of the point


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


def code(samples: Sequence[tuple[str, Driver, bool] | tuple[str, Driver, bool, bool]],
         policy: Policy, slots: Sequence[Slot]) -> Coded:
    """(stratum, driver, removed?[, removed soon enough to count for recall?]) -> patterns
    (see the module docstring); without the fourth, every removal counts for recall."""
    fitted = list(dict.fromkeys(s.probe for s in slots))
    coded_configs: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for probe in fitted:
        config = copy.deepcopy(policy.probes[probe])
        owned = [i for i, s in enumerate(slots) if s.probe == probe]
        for k, index in enumerate(owned):
            set_path(config, slots[index].path[2:], k + 1)
        coded_configs[probe] = (config, owned)
    counts: dict[tuple[str, float, tuple[int, ...], tuple[str, ...], str], list[int]] = {}
    for sample in samples:
        stratum, driver, removed = sample[:3]
        soon = sample[3] if len(sample) > 3 else removed
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
        key = (stratum, base, tuple(chosen), verdict.rules_held, as_of.isoformat())
        count = counts.setdefault(key, [0, 0, 0])
        count[1 if removed else 0] += 1
        count[2] += bool(removed and soon)
    patterns = tuple(Pattern(s, b, c, h, k, r, at, n)
                     for (s, b, c, h, at), (k, r, n) in counts.items())
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
    recall: float | None  # of every removal that counts (recall_months), the share flagged
    flagged: int
    units: int
    recalls: dict[str, float] = field(default_factory=dict)  # stratum -> its recall
    removed: dict[str, int] = field(default_factory=dict)  # stratum -> removals counted
    # the largest share flagged at one point in time of one stratum: a freshly onboarded
    # tree is one point, so the share must hold at each point, not on a tree's average
    # (barebox: 14% over 2016, 2019 and 2022, but 17% and 18% at the later two)
    widest: float = 0.0

    def catch(self, flag_share: float, full_weight: int) -> float:
        """What the search maximises after the AUC, and the thresholds: the mean
        informedness of the strata (weighted as the AUC is), each stratum's recall less
        the share of its units flagged (Youden's J: catching one more removal by
        flagging many more units is no progress), while every point of every stratum
        stays within `flag_share`, from -1 to 1; over it, -1 less the largest share (so
        that flagging less is progress, and any informedness within it is better)."""
        widest = self.widest
        if widest > flag_share + 1e-12:
            return -1.0 - widest
        weights = {s: min(1.0, n / max(1, full_weight)) for s, n in self.removed.items()
                   if n}
        total = sum(weights.values())
        return sum((self.recalls[s] - self.share[s]) * w for s, w in weights.items()) \
            / total if total else 0.0


def coverage(coded: Coded, values: Sequence[float], thresholds: Mapping[str, float]
             ) -> Coverage:
    flagged: dict[str, int] = {}
    units: dict[str, int] = {}
    caught: dict[str, int] = {}
    removed: dict[str, int] = {}
    at_point: dict[tuple[str, str], list[int]] = {}  # (stratum, point) -> [flagged, units]
    for pattern, score in zip(coded.patterns, pattern_scores(coded, values), strict=True):
        held = [coded.rules[r] for r in pattern.held if r in coded.rules]
        verdict = decide(score, held, thresholds)[1]
        stratum = pattern.stratum
        count = pattern.kept + pattern.removed
        units[stratum] = units.get(stratum, 0) + count
        removed[stratum] = removed.get(stratum, 0) + pattern.soon
        point = at_point.setdefault((stratum, pattern.point), [0, 0])
        point[1] += count
        if verdict in FLAGGED:
            flagged[stratum] = flagged.get(stratum, 0) + count
            caught[stratum] = caught.get(stratum, 0) + pattern.soon
            point[0] += count
    total = sum(removed.values())
    return Coverage({s: flagged.get(s, 0) / n for s, n in units.items()},
                    sum(caught.values()) / total if total else None, sum(flagged.values()),
                    sum(units.values()),
                    {s: caught.get(s, 0) / n for s, n in removed.items() if n}, removed,
                    max((f / n for f, n in at_point.values() if n), default=0.0))
