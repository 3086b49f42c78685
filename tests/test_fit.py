"""checker/backtest/coding.py and fit.py: coding units, the stratified AUC, the search
and its guards, on scaffolded drivers built from collect-shaped signals (pure: no git)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from conftest import ROOT

from checker.backtest.coding import (
    Coded,
    Pattern,
    code,
    coverage,
    pattern_scores,
    slots_of,
    stratified_auc,
    weighted_auc,
    with_numbers,
)
from checker.backtest.engine import unit_driver
from checker.backtest.fit import Settings, fit
from checker.backtest.units import Unit
from checker.core.model import Driver
from checker.evaluate.engine import evaluate
from checker.validate.policy import Policy, load_policy

END = date(2020, 1, 1)
MONTHS = [f"{2015 + (i // 12)}-{i % 12 + 1:02d}" for i in range(61)]


def signals(*, active: int, lines: int, authors: int, substantive: int,
            configs: int | None = None, selected: int | None = None) -> dict[str, Any]:
    """A collect mapping: `active` months with a commit, the last ones of the window."""
    monthly = [{"month": m, "commits": int(i >= 61 - active), "added": 0, "removed": 0}
               for i, m in enumerate(MONTHS)]
    usage = None if configs is None else {
        "configs": configs, "configs_read": 40, "enabled_in": [], "selected": selected,
        "dt_users": None, "deprecated": False, "staging": False}
    return {"computed_by": "driver-policy collect", "kernel_rev": None,
            "window": {"start": date(2015, 1, 1), "end": END}, "files": 2,
            "source_lines": 300, "commits": active, "substantive_commits": substantive,
            "mechanical_commits": active - substantive, "lines_added": lines,
            "lines_removed": 0, "authors": authors, "active_months": active,
            "monthly": monthly, "first_commit": date(2010, 1, 1),
            "last_commit": date(2019, 12, 1) if active else date(2014, 1, 1),
            "last_substantive_commit": date(2019, 12, 1) if substantive else None,
            "usage": usage}


def driver(name: str, **kwargs: Any) -> Driver:
    return unit_driver(Unit(f"net/{name}", (f"drivers/net/{name}/",)), signals(**kwargs),
                       "unknown")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(ROOT / "policies/default.yaml", "policies/default.yaml")


def settings(policy: Policy, **changes: Any) -> Settings:
    return dataclasses.replace(Settings.from_policy(policy), **changes)


def anything(*_: object) -> bool:
    return True


def mixed() -> list[tuple[str, Driver, bool]]:
    """Units of every kind: busy, dormant, in between, with and without usage."""
    out = []
    for i in range(24):
        out.append(("t", driver(f"u{i}", active=i % 7 * 4, lines=(i * 37) % 400,
                                authors=i % 4, substantive=i % 5,
                                configs=None if i % 3 == 0 else i % 4,
                                selected=i % 2), i % 5 == 0))
    return out


# -- coding ---------------------------------------------------------------------------


def test_a_coded_score_is_the_score_evaluate_computes(policy: Policy) -> None:
    samples = mixed()
    slots = slots_of(policy, Settings.from_policy(policy).probes)
    coded = code(samples, policy, slots)
    # the input numbers, and other numbers: the coded score follows evaluate's
    other = [s.value + (1 if i % 3 == 0 else -1 if i % 3 == 1 else 0)
             for i, s in enumerate(slots)]
    for values in ([s.value for s in slots], other):
        numbers = {s.path: v for s, v in zip(slots, values, strict=True)}
        candidate = with_numbers(policy, numbers, policy.thresholds)
        by_pattern = dict(zip(coded.patterns, pattern_scores(coded, values), strict=True))
        for stratum, unit, removed in samples:
            (pattern,) = [p for p in code([(stratum, unit, removed)], policy, slots).patterns]
            match = next(p for p in by_pattern if (p.stratum, p.base, p.slots, p.held) ==
                         (pattern.stratum, pattern.base, pattern.slots, pattern.held))
            assert by_pattern[match] == evaluate(unit, candidate).score


def test_units_that_score_alike_collapse_into_one_pattern(policy: Policy) -> None:
    same = [("t", driver(f"d{i}", active=0, lines=0, authors=0, substantive=0), i < 2)
            for i in range(5)]
    coded = code(same, policy, slots_of(policy, ("churn", "authors")))
    (pattern,) = coded.patterns
    assert (pattern.kept, pattern.removed) == (3, 2)
    assert [coded.slots[i].label for i in pattern.slots] == [
        "churn >= 0 (next to no change)", "authors >= 0 (one person or none)"]


def test_slots_of_bands_points_and_flags(policy: Policy) -> None:
    slots = slots_of(policy, ("recency", "maintainers", "broken"))
    assert [(s.label, s.value) for s in slots] == [
        ("recency <= 12 months (recent)", 1.0),
        ("recency <= 36 months (within three years)", 0.0),
        ("recency older than every band", -1.0),
        ("maintainers Supported", 1.0), ("maintainers Maintained", 0.0),
        ("maintainers Odd Fixes", 0.0), ("maintainers Orphan", -2.0),
        ("maintainers Obsolete", -3.0),
        ("broken (when it holds)", -3.0)]
    assert slots[1].path == ("probes", "recency", "bands", 1, "points")


# -- measures --------------------------------------------------------------------------


def test_weighted_auc_by_hand() -> None:
    # kept 2, 3, 3 vs removed 1, 3: the same pairs as tests/test_backtest.py: 4/6
    assert weighted_auc({2: 1, 3: 2}, {1: 1, 3: 1}) == pytest.approx(4 / 6)
    assert weighted_auc({}, {1: 1}) is None


def test_stratified_auc_counts_each_tree_once_small_ones_less(policy: Policy) -> None:
    busy = {"active": 40, "lines": 500, "authors": 5, "substantive": 9}
    idle = {"active": 0, "lines": 0, "authors": 0, "substantive": 0}
    samples = [("a", driver("a1", **busy), False), ("a", driver("a2", **idle), True),
               ("b", driver("b1", **idle), False), ("b", driver("b2", **idle), True),
               ("b", driver("b3", **idle), True), ("b", driver("b4", **idle), True)]
    coded = code(samples, policy, slots_of(policy, ("churn",)))
    values = [s.value for s in coded.slots]
    # tree a separates perfectly (1.0, one removal), tree b not at all (0.5, three)
    assert stratified_auc(coded, values, 1) == pytest.approx((1.0 + 0.5) / 2)
    assert stratified_auc(coded, values, 10) == pytest.approx((1.0 * 0.1 + 0.5 * 0.3) / 0.4)


# -- the search -------------------------------------------------------------------------


def flat(policy: Policy, probe: str) -> Policy:
    """`policy` with every point of `probe` set to 0: it carries no information."""
    slots = slots_of(policy, (probe,))
    return with_numbers(policy, {s.path: 0 for s in slots}, policy.thresholds)


def churn_decides() -> list[tuple[str, Driver, bool]]:
    """Removed units changed < 20 lines, kept ones >= 100; nothing else differs."""
    return [("t", driver(f"k{i}", active=6, lines=150, authors=2, substantive=3), False)
            for i in range(12)] + [
            ("t", driver(f"r{i}", active=6, lines=5, authors=2, substantive=3), True)
            for i in range(4)]


def test_fit_takes_the_move_that_separates_and_reports_it(policy: Policy) -> None:
    start = flat(policy, "churn")
    conf = settings(start, probes=("churn",), min_removals=2)
    coded = code(churn_decides(), start, slots_of(start, ("churn",)))
    found = fit(coded, start, conf, anything)
    assert found.auc_before == 0.5 and found.auc == 1.0
    (change,) = found.changes
    assert change.labels == ("churn >= 100 (real change)",)
    assert (change.before, change.after) == ((0.0,), (1.0,))  # the smallest move, first
    assert found.numbers() == {("probes", "churn", "bands", 0, "points"): 1.0}


def test_a_refused_move_gives_way_to_the_next_best(policy: Policy) -> None:
    start = flat(policy, "churn")
    conf = settings(start, probes=("churn",), min_removals=2)
    coded = code(churn_decides(), start, slots_of(start, ("churn",)))

    def no_bonus(numbers: Any, thresholds: Any) -> bool:
        return numbers[("probes", "churn", "bands", 0, "points")] <= 0

    found = fit(coded, start, conf, no_bonus)
    (change,) = found.changes
    # as good, and as small: -1 on the last band (the one refused was +1 on the first)
    assert change.labels == ("churn >= 0 (next to no change)",)
    assert change.after == (-1.0,) and found.auc == 1.0
    assert found.rejected_by_guard == 1


def test_bands_stay_monotone(policy: Policy) -> None:
    # removed units have the MOST churn: a monotone churn cannot reward that
    samples = [("t", driver(f"k{i}", active=6, lines=5, authors=2, substantive=3), False)
               for i in range(12)] + [
               ("t", driver(f"r{i}", active=6, lines=150, authors=2, substantive=3), True)
               for i in range(4)]
    start = flat(policy, "churn")
    conf = settings(start, probes=("churn",), min_removals=2)
    found = fit(code(samples, start, slots_of(start, ("churn",))), start, conf, anything)
    assert found.changes == [] and found.auc == 0.5


def test_few_removals_fit_no_points_and_say_so(policy: Policy) -> None:
    start = flat(policy, "churn")
    conf = settings(start, probes=("churn",), min_removals=10)
    found = fit(code(churn_decides(), start, slots_of(start, ("churn",))), start, conf,
                anything)
    assert not found.points_fitted and found.changes == []
    assert found.warnings == [
        "t: 4 removal(s), fewer than 10: its AUC says little",
        "4 removal(s) in training, fewer than calibration.min_removals (10): the points "
        "are not fitted (only the thresholds)"]


def test_thresholds_flag_at_most_the_share_and_catch_the_most(policy: Policy) -> None:
    samples = churn_decides() + [
        ("t", driver(f"i{i}", active=0, lines=0, authors=0, substantive=0), False)
        for i in range(2)]
    conf = settings(policy, probes=("churn",), min_removals=2, flag_share=0.35)
    coded = code(samples, policy, slots_of(policy, ("churn",)))
    found = fit(coded, policy, conf, anything)
    # 18 units: the 4 removed and 2 idle kept score lowest; 6/18 = 33% <= 35%
    assert found.coverage.recall == 1.0
    assert found.coverage.share == {"t": pytest.approx(6 / 18)}
    tighter = fit(coded, policy, settings(policy, probes=("churn",), min_removals=2,
                                          flag_share=0.2), anything)
    assert max(tighter.coverage.share.values()) <= 0.2
    # deprecate (the bar for remove) stays while below keep-annotate, else keeps its
    # distance below it
    cut, given = tighter.thresholds["keep-annotate"], policy.thresholds["deprecate"]
    gap = policy.thresholds["keep-annotate"] - given
    assert cut < policy.thresholds["keep-annotate"]
    assert tighter.thresholds["deprecate"] == (given if given < cut else cut - gap)


def test_coverage_counts_hard_rule_caps(policy: Policy) -> None:
    coded: Coded = code(churn_decides(), policy, slots_of(policy, ("churn",)))
    values = [s.value for s in coded.slots]
    nobody = coverage(coded, values, {"keep": 100, "keep-annotate": -100, "deprecate": -103})
    assert nobody.flagged == 0 and nobody.recall == 0.0
    everybody = coverage(coded, values, {"keep": 101, "keep-annotate": 100, "deprecate": 97})
    assert everybody.flagged == 16 and everybody.recall == 1.0


def test_the_share_flagged_holds_at_every_point_not_on_the_average(policy: Policy) -> None:
    """A freshly onboarded tree is one point in time: a threshold that flags 4 of 20 units
    of a stratum (20%) but 4 of the 10 at one of its points (40%) breaks a 25% share."""
    def at(day: date, name: str, removed: bool, **kwargs: Any) -> tuple[str, Driver, bool]:
        found = signals(**kwargs)
        found["window"] = {"start": date(2015, 1, 1), "end": day}
        return ("t", unit_driver(Unit(f"net/{name}", (f"drivers/net/{name}/",)), found,
                                 "unknown"), removed)

    busy = {"active": 40, "lines": 300, "authors": 3, "substantive": 4}
    idle = {"active": 0, "lines": 0, "authors": 0, "substantive": 0}
    first, later = date(2020, 1, 1), date(2020, 1, 2)
    samples = ([at(first, f"d{i}", i == 0, **idle) for i in range(4)]
               + [at(first, f"b{i}", False, **busy) for i in range(6)]
               + [at(later, f"c{i}", False, **busy) for i in range(10)])
    conf = settings(policy, probes=("churn",), flag_share=0.25)
    found = fit(code(samples, policy, slots_of(policy, ("churn",))), policy, conf, anything)
    assert (found.coverage.widest, found.coverage.share, found.coverage.recall) == (
        0.0, {"t": 0.0}, 0.0)
    # the same units all scored at one point: 4 of 20 is within the share
    pooled = [(s, dataclasses.replace(d, signals=dataclasses.replace(
        d.signals, window_end=first)), r) for s, d, r in samples]
    found = fit(code(pooled, policy, slots_of(policy, ("churn",))), policy, conf, anything)
    assert (found.coverage.widest, found.coverage.share, found.coverage.recall) == (
        0.2, {"t": 0.2}, 1.0)


@pytest.mark.parametrize(("quiet_kept", "horizon", "share", "recall"), [
    (6, True, 2 / 20, 1.0),  # the quiet removals are years away: they do not count
    (6, False, 10 / 20, 0.5 + 0.5),  # every removal counts: 1.0 - 0.5 beats 0.5 - 0.1
    (14, False, 2 / 20, 0.5),  # but not by flagging 18 of 20: 0.5 - 0.1 beats 1.0 - 0.9
])
def test_thresholds_weigh_the_removals_within_the_horizon_against_the_share(
        policy: Policy, quiet_kept: int, horizon: bool, share: float, recall: float) -> None:
    """Recall counts the removals within `recall_months` of their point (the fourth item
    of a sample; without it, every removal), and the threshold maximises recall less the
    share flagged (informedness), within the share."""
    idle = {"active": 0, "lines": 0, "authors": 0, "substantive": 0}
    quiet = {"active": 2, "lines": 10, "authors": 1, "substantive": 1}
    busy = {"active": 40, "lines": 300, "authors": 3, "substantive": 4}
    units = ([(f"i{i}", idle, True, True) for i in range(2)]
             + [(f"q{i}", quiet, True, False) for i in range(2)]
             + [(f"k{i}", quiet, False, False) for i in range(quiet_kept)]
             + [(f"b{i}", busy, False, False) for i in range(16 - quiet_kept)])
    samples: list[Any] = [("t", driver(n, **kw), removed, near) if horizon
                          else ("t", driver(n, **kw), removed) for n, kw, removed, near in units]
    coded = code(samples, policy, slots_of(policy, ("churn",)))
    assert len(set(pattern_scores(coded, [s.value for s in coded.slots]))) == 3
    found = fit(coded, policy, settings(policy, probes=("churn",), flag_share=0.95), anything)
    assert (found.coverage.share, found.coverage.recall) == ({"t": share}, recall)
    assert found.coverage.catch(0.95, 10) == pytest.approx(recall - share)


def test_deprecate_stays_while_below_keep_annotate(policy: Policy) -> None:
    """2 removals at -2, 3 kept units at -0.5, 15 at 3: keep-annotate -1 flags only the
    removals (recall 1, share 0.1) and beats 0 (1 - 0.25); deprecate, the bar for
    remove, stays at -3, below it."""
    patterns = (Pattern("t", -2.0, (), (), 0, 2, "2020-01-01", 2),
                Pattern("t", -0.5, (), (), 3, 0, "2020-01-01", 0),
                Pattern("t", 3.0, (), (), 15, 0, "2020-01-01", 0))
    coded = Coded((), patterns, {})
    found = fit(coded, policy, settings(policy, probes=(), flag_share=0.5), anything)
    assert found.thresholds == {"keep": 7, "keep-annotate": -1.0, "deprecate": -3}
    assert (found.coverage.share, found.coverage.recall) == ({"t": 0.1}, 1.0)


def test_a_stratum_without_removals_bounds_the_share_and_nothing_else(policy: Policy) -> None:
    """The units at DATE, whose outcomes calibrate leaves out (each read as kept): the
    threshold may flag no more than the share of them either; they change neither the
    AUC nor the informedness, and no small-sample warning is given for them."""
    samples = churn_decides() + [
        ("t", driver(f"i{i}", active=0, lines=0, authors=0, substantive=0), False)
        for i in range(2)]
    conf = settings(policy, probes=("churn",), min_removals=2, flag_share=0.35)
    alone = fit(code(samples, policy, slots_of(policy, ("churn",))), policy, conf, anything)
    present = [("now", driver(f"n{i}", active=0, lines=0, authors=0, substantive=0), False,
                False) for i in range(4)] + [
        ("now", driver(f"m{i}", active=40, lines=300, authors=3, substantive=4), False,
         False) for i in range(6)]
    both = fit(code([*samples, *present], policy, slots_of(policy, ("churn",))), policy,
               conf, anything)
    # alone, the idle units are flagged (6 of 18 in training); at DATE that flags 4 of 10
    assert alone.coverage.share == {"t": pytest.approx(6 / 18)}
    assert both.coverage.share["now"] <= 0.35 < 4 / 10
    assert both.auc == alone.auc and both.coverage.removed["now"] == 0
    assert not [w for w in both.warnings if w.startswith("now:")]
