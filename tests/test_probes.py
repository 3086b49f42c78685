"""Probes added or changed by policy v2 (issue 12): each on hand-built evidence."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from conftest import ROOT

from checker.core.model import Driver, Month, PartialDate, Signals, Usage, UserReport
from checker.evaluate.probes import PROBES
from checker.evaluate.probes.common import months_since
from checker.load.document import read_document
from checker.validate.policy import load_policy, validate_fixture
from checker.validate.policy_schema import PROBE_CONFIG, PROBE_NAMES

POLICY = load_policy(ROOT / "policies/default.yaml", "policies/default.yaml")
END = date(2026, 4, 21)


def test_every_probe_has_a_settings_schema() -> None:
    """A new probe is one function and one line in PROBES; its settings' schema in
    PROBE_CONFIG names it too (and so do the names a hard rule may test)."""
    assert tuple(PROBES) == tuple(PROBE_CONFIG) == PROBE_NAMES


def blank() -> Driver:
    doc, _ = read_document(ROOT / "policies/tests/nothing-known-neutral.yaml", "fixture")
    assert doc is not None
    fixture, problems = validate_fixture(doc)
    assert fixture is not None, problems
    return fixture.driver


def signals(active: dict[str, int], *, first: date | None, substantive: int | None = 0,
            last_substantive: date | None = None, authors: int = 1,
            lines: int = 0) -> Signals:
    months = [f"{y:04d}-{m:02d}" for y in range(2021, 2027) for m in range(1, 13)]
    months = [m for m in months if "2021-04" <= m <= "2026-04"]
    monthly = tuple(Month(m, active.get(m, 0), 0, 0) for m in months)
    return Signals("test", None, date(2021, 4, 21), END, 1, 100, sum(active.values()),
                   substantive, None, lines, 0, authors, sum(1 for v in active.values() if v),
                   monthly, first_commit=first, last_substantive_commit=last_substantive)


def probe(name: str, driver: Driver, as_of: date = END) -> tuple[object, float]:
    finding = PROBES[name](driver, POLICY.probes[name], as_of)
    return finding.value, finding.contribution


def test_activity_counts_only_the_months_the_code_existed() -> None:
    young = dataclasses.replace(blank(), signals=signals(
        {"2026-03": 1, "2026-04": 1}, first=date(2026, 3, 2)))
    assert probe("activity", young) == (1.0, 2.0)  # 2 of its 2 months: steady
    old = dataclasses.replace(blank(), signals=signals(
        {"2026-03": 1, "2026-04": 1}, first=date(2010, 1, 1)))
    assert probe("activity", old) == (round(2 / 61, 3), 0.0)


def test_recency_uses_substantive_work_only() -> None:
    mechanical_only = dataclasses.replace(blank(), signals=signals(
        {"2026-03": 3}, first=date(2010, 1, 1), substantive=0, last_substantive=None))
    value, points = probe("recency", mechanical_only)
    assert value is None and points == -1.0
    split_unknown = dataclasses.replace(blank(), signals=signals(
        {"2026-03": 3}, first=date(2010, 1, 1), substantive=None))
    assert probe("recency", split_unknown) == (1, 1.0)  # falls back to the active month


# substantive_work scores 0 in both of the shipped policy's bands (v7): its banding is
# tested with numbers of its own
SUBSTANTIVE = {"min_months": 12, "bands": [
    {"at_least": 2, "points": 1, "label": "some real work"},
    {"at_least": 0, "points": -1, "label": "no real work"}]}


@pytest.mark.parametrize(("count", "points", "label"), [
    (0, -1.0, "no real work"), (1, -1.0, "no real work"), (2, 1.0, "some real work"),
    (40, 1.0, "some real work")])
def test_substantive_work_bands(count: int, points: float, label: str) -> None:
    driver = dataclasses.replace(blank(), signals=signals({}, first=None, substantive=count))
    finding = PROBES["substantive_work"](driver, SUBSTANTIVE, END)
    assert (finding.value, finding.contribution, label in finding.reason) == (
        count, points, True)
    assert probe("substantive_work", driver) == (count, 0.0)


@pytest.mark.parametrize(("lines", "points"), [(0, -1.0), (19, -1.0), (20, -1.0),
                                               (99, -1.0), (100, 1.0)])
def test_churn_bands(lines: int, points: float) -> None:
    driver = dataclasses.replace(blank(), signals=signals({}, first=None, lines=lines))
    assert probe("churn", driver) == (lines, points)


def test_unknown_signals_are_unknown_not_zero() -> None:
    for name in ("substantive_work", "authors", "churn", "activity"):
        finding = PROBES[name](blank(), POLICY.probes[name], END)
        assert finding.known is False and finding.contribution == 0.0


def report(kind: str, scale: str, when: str = "2026-01") -> UserReport:
    return UserReport("someone", "uses it", PartialDate.parse(when), (1,), kind, scale)


@pytest.mark.parametrize(("kind", "scale", "weight", "points"), [
    ("hobbyist", "single", 0.25, 0.5),
    ("production", "single", 1.5, 3.0),
    ("production", "fleet", 3.0, 4.0),  # capped at max_points
    ("distribution", "several", 1.5, 3.0),
    ("unknown", "unknown", 1.0, 2.0),  # a report of unstated kind weighs as before
])
def test_user_reports_weigh_kind_and_scale(kind: str, scale: str, weight: float,
                                           points: float) -> None:
    driver = dataclasses.replace(blank(), users_reported=(report(kind, scale),))
    assert probe("user_reports", driver) == (weight, points)


def test_one_hobbyist_does_not_protect_but_a_production_report_does() -> None:
    from checker.evaluate.engine import evaluate

    hobby = dataclasses.replace(blank(), users_reported=(report("hobbyist", "single"),))
    prod = dataclasses.replace(blank(), users_reported=(report("production", "single"),))
    assert "users-protect" not in evaluate(hobby, POLICY).rules_held
    assert "users-protect" in evaluate(prod, POLICY).rules_held


def test_partial_dates_are_periods() -> None:
    # "2024" reaches to December 2024: 16 months before 2026-04-21, not 27
    assert months_since(PartialDate.parse("2024"), END) == 16
    assert months_since(PartialDate.parse("2024-05"), END) == 23
    assert months_since(PartialDate.parse("2026"), END) == 0  # as_of falls inside it
    old_year = dataclasses.replace(blank(), users_reported=(report("unknown", "unknown",
                                                                   "2024"),))
    assert probe("user_reports", old_year)[1] == 2.0  # within 24 months as a period


def test_nothing_known_is_keep_annotate_with_low_confidence() -> None:
    from checker.evaluate.engine import evaluate

    verdict = evaluate(blank(), POLICY)
    assert (verdict.value, verdict.score, verdict.rule) == ("keep-annotate", 0.0, "score")
    assert verdict.confidence < 0.3


def test_a_reporter_counts_once_with_their_weightiest_report() -> None:
    same = (report("hobbyist", "single"), dataclasses.replace(
        report("production", "single"), who="  SOMEONE "))
    driver = dataclasses.replace(blank(), users_reported=same)
    assert probe("user_reports", driver) == (1.5, 3.0)
    two = (report("hobbyist", "single"), dataclasses.replace(report("hobbyist", "single"),
                                                             who="another"))
    assert probe("user_reports", dataclasses.replace(blank(), users_reported=two)) == (0.5, 1.0)


HISTORY_PROBES = ("activity", "recency", "substantive_work", "authors", "churn")


@pytest.mark.parametrize("name", HISTORY_PROBES)
def test_code_brought_in_by_a_sweep_months_ago_is_not_dormant(name: str) -> None:
    """No commit of its own in the window (its import was a sweep, left out) and in the
    tree for 2 months, fewer than min_months (12): the history probes do not know."""
    imported = dataclasses.replace(blank(), signals=signals({}, first=date(2026, 3, 2)))
    finding = PROBES[name](imported, POLICY.probes[name], END)
    assert (finding.known, finding.contribution, finding.reason) == (
        False, 0.0, "no commit of its own, and in the tree for 2 month(s) of the window "
        "(fewer than 12): too young to be called dormant")
    # a year in the tree without a commit of its own: judged (found in the policy's
    # lowest band, whatever that band scores)
    older = dataclasses.replace(blank(), signals=signals({}, first=date(2025, 4, 2)))
    judged = PROBES[name](older, POLICY.probes[name], END)
    lowest = POLICY.probes[name]["bands"][-1]
    assert judged.known and (judged.contribution == lowest["points"]
                             or judged.contribution == POLICY.probes[name].get("older"))
    # a young driver that came with a commit of its own is judged as usual
    own = dataclasses.replace(blank(), signals=signals({"2026-03": 1}, first=date(2026, 3, 2),
                                                       substantive=1, lines=300))
    assert PROBES[name](own, POLICY.probes[name], END).known
    # without min_months the probe judges whatever the age
    settings = {k: v for k, v in POLICY.probes[name].items() if k != "min_months"}
    assert PROBES[name](imported, settings, END).known


@pytest.mark.parametrize(("configs", "share", "known", "value", "contribution", "reason"), [
    (0, 0.91, True, True, -3.0,
     "built by none of the shipped configurations, which build 91% of the tree's drivers"),
    (0, 0.85, True, True, -3.0,  # the bound itself counts
     "built by none of the shipped configurations, which build 85% of the tree's drivers"),
    (0, 0.567, True, False, 0.0, "built by no shipped configuration, like many drivers of "
     "this tree (its configurations build 57% of them)"),
    (4, 0.91, True, False, 0.0, "built by a shipped configuration"),
    (None, 0.91, False, None, 0.0,
     "the share of the tree its configurations build is not known"),
    (0, None, False, None, 0.0, "the share of the tree its configurations build is not known"),
])
def test_unbuilt_counts_only_where_the_tree_builds_nearly_everything(
        configs: int | None, share: float | None, known: bool, value: bool | None,
        contribution: float, reason: str) -> None:
    base = signals({}, first=date(2010, 1, 1))
    usage = Usage(configs=configs, configs_read=9, tree_built=share)
    driver = dataclasses.replace(blank(), signals=dataclasses.replace(base, usage=usage))
    config = {"tree_share_at_least": 0.85, "points": -3}
    finding = PROBES["unbuilt"](driver, config, END)
    assert (finding.known, finding.value, finding.contribution, finding.reason) == (
        known, value, contribution, reason)


@pytest.mark.parametrize(("year", "known", "value", "contribution", "label"), [
    (2024, True, 2, 2.0, "copyright within five years"),
    (2021, True, 5, 2.0, "copyright within five years"),
    (2012, True, 14, 0.0, "copyright within fifteen years"),
    (2011, True, 15, 0.0, "older than every band"),
    (2030, True, 0, 2.0, "copyright within five years"),  # a year past as_of counts as now
    (None, False, None, 0.0, None),
])
def test_code_age_bands_and_unknown(year: int | None, known: bool, value: int | None,
                                    contribution: float, label: str | None) -> None:
    base = signals({}, first=date(2010, 1, 1))
    driver = dataclasses.replace(blank(), signals=dataclasses.replace(
        base, copyright_year=year))
    finding = PROBES["code_age"](driver, POLICY.probes["code_age"], END)
    assert (finding.known, finding.value, finding.contribution) == (known, value, contribution)
    if label is not None:
        assert finding.reason == (f"newest copyright year {year}, {value} year(s) before 2026 "
                                  f"({label})")
    else:
        assert finding.reason == "its sources state no copyright year (or were not read)"


ID_TABLES = {"bands": [{"at_least": 4, "points": 2, "label": "many devices"},
                       {"at_least": 1, "points": 1, "label": "declares the devices it matches"},
                       {"at_least": 0, "points": 0, "label": "declares no id table"}]}


@pytest.mark.parametrize(("entries", "known", "contribution", "reason"), [
    (12, True, 2.0, "12 id table entries (many devices)"),
    (1, True, 1.0, "1 id table entry (declares the devices it matches)"),
    (0, True, 0.0, "0 id table entries (declares no id table)"),
    (None, False, 0.0, "its id tables were not read (no C source, or collected before "
                       "id_entries)"),
])
def test_id_tables_bands_and_unknown(entries: int | None, known: bool, contribution: float,
                                     reason: str) -> None:
    base = signals({}, first=date(2010, 1, 1))
    driver = dataclasses.replace(blank(), signals=dataclasses.replace(base, id_entries=entries))
    finding = PROBES["id_tables"](driver, ID_TABLES, END)
    assert (finding.known, finding.value, finding.contribution, finding.reason) == (
        known, entries, contribution, reason)


def test_config_upkeep_bands_and_unknown() -> None:
    def with_changed(day: date | None, configs: int = 2) -> Driver:
        base = signals({}, first=date(2010, 1, 1))
        usage = Usage(configs=configs, configs_read=9, configs_changed=day)
        return dataclasses.replace(blank(), signals=dataclasses.replace(base, usage=usage))

    recent = PROBES["config_upkeep"](with_changed(date(2025, 6, 1)), POLICY.probes[
        "config_upkeep"], END)
    assert (recent.value, recent.contribution, recent.reason) == (
        10, POLICY.probes["config_upkeep"]["bands"][0]["points"],
        "a configuration that builds it last changed 2025-06, 10 month(s) before 2026-04-21 "
        "(boards that build it are maintained)")
    # the window's first day: nothing that builds it changed in the window
    dormant = PROBES["config_upkeep"](with_changed(date(2021, 4, 21)), POLICY.probes[
        "config_upkeep"], END)
    assert (dormant.value, dormant.contribution, dormant.reason) == (
        60, POLICY.probes["config_upkeep"]["older"],
        "no configuration that builds it changed since 2021-04, 60 month(s) before "
        "2026-04-21 (older than every band)")
    unknown_ = PROBES["config_upkeep"](with_changed(None, configs=0), POLICY.probes[
        "config_upkeep"], END)
    assert (unknown_.known, unknown_.contribution) == (False, 0.0)
