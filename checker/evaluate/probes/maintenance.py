"""Probes over maintenance: activity in the window, recency, feature work."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.core.model import Driver, Finding
from checker.evaluate.probes.common import band, months_between, months_since, unknown

ACTIVITY_ACTIONS = ("maintenance", "feature-work")


def too_young(probe: str, driver: Driver, config: Mapping[str, Any]) -> Finding | None:
    """Unknown when the code has no commit of its own in the window (only sweeps, such
    as the import of a tree onboarded from a release tarball) and has been in the tree
    for fewer of the window's months than the probe's `min_months`: it has had no time
    to be dormant. A young driver that came with a commit of its own is judged as usual
    (being new is itself a sign of life). The same when the tree itself has commits
    other than sweeps in fewer of the window's months (`tree_months`): a tree imported
    release by release, whose every commit is a sweep, says nothing of any driver."""
    least = config.get("min_months")
    if driver.signals is None or not least or driver.signals.commits:
        return None
    tree = driver.signals.tree_months
    if tree is not None and tree < least:
        return unknown(probe, f"no commit of its own, and the tree has commits other than "
                              f"sweeps in {tree} month(s) of the window (fewer than "
                              f"{least}): its history cannot tell a dormant driver")
    months = existing_months(driver)
    if months >= least:
        return None
    return unknown(probe, f"no commit of its own, and in the tree for {months} month(s) of "
                          f"the window (fewer than {least}): too young to be called dormant")


def activity(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """In what share of the window's months did the code change?"""
    signals = driver.signals
    if signals is None:
        return unknown("activity", "repository signals not collected")
    if abstained := too_young("activity", driver, config):
        return abstained
    months = existing_months(driver)
    share = signals.active_months / months if months else 0.0
    hit = band(share, config["bands"], "at_least", higher_is_better=True)
    points = float(hit["points"]) if hit else 0.0
    label = hit["label"] if hit else "no band"
    young = "" if months == signals.months else " since its first commit"
    return Finding(
        "activity",
        round(share, 3),
        points,
        f"active in {signals.active_months}/{months} months{young} ({label})",
    )


def existing_months(driver: Driver) -> int:
    """The window's months in which the code existed: all of them, or from the month of
    its first commit when that falls inside the window (a driver added last month is
    not "dormant" for the four years before it existed)."""
    signals = driver.signals
    if signals is None:
        return 0
    first = signals.first_commit
    if first is None:
        return signals.months
    key = f"{first.year:04d}-{first.month:02d}"
    return sum(1 for m in signals.monthly if m.month >= key) or signals.months


def substantive_work(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many substantive (not mechanical) commits did the code get in the window?"""
    signals = driver.signals
    if signals is None or signals.substantive_commits is None:
        return unknown("substantive_work", "substantive commits not collected")
    if abstained := too_young("substantive_work", driver, config):
        return abstained
    count = signals.substantive_commits
    hit = band(count, config["bands"], "at_least", higher_is_better=True)
    points = float(hit["points"]) if hit else 0.0
    label = hit["label"] if hit else "no band"
    return Finding("substantive_work", count, points,
                   f"{count} substantive commit(s) in the window ({label})")


def authors(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many distinct people changed the code in the window?"""
    signals = driver.signals
    if signals is None:
        return unknown("authors", "repository signals not collected")
    if abstained := too_young("authors", driver, config):
        return abstained
    count = signals.authors
    hit = band(count, config["bands"], "at_least", higher_is_better=True)
    points = float(hit["points"]) if hit else 0.0
    label = hit["label"] if hit else "no band"
    return Finding("authors", count, points, f"{count} author(s) in the window ({label})")


def _last_activity(driver: Driver, as_of: date) -> tuple[date | None, str]:
    signals = driver.signals
    if signals is not None:
        if signals.last_substantive_commit is not None:
            return signals.last_substantive_commit, "last substantive commit"
        if signals.substantive_commits is not None:
            # The split is known: mechanical commits are not work on the driver.
            return None, "no substantive commit in its history"
        last = signals.last_active_month()
        if last is not None:
            year, month = map(int, last.split("-"))
            return date(year, month, 1), "last month with commits"
        if signals.last_commit is not None:
            return signals.last_commit, "last commit"
        return None, "no commit in the window"
    events = [min(u.date.last_day(), as_of) for u in driver.upstream
              if u.action in ACTIVITY_ACTIONS]
    if events:
        return max(events), "last upstream work cited in the evidence"
    return None, ""


def recency(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How long ago did the code last receive real work?"""
    if abstained := too_young("recency", driver, config):
        return abstained
    last, what = _last_activity(driver, as_of)
    if last is None:
        if driver.signals is not None:
            points = float(config["older"])
            return Finding("recency", None, points, f"{what} ({driver.signals.months} months)")
        return unknown("recency", "no dated activity in the evidence")
    months = max(0, months_between(last, as_of))
    hit = band(months, config["bands"], "at_most_months", higher_is_better=False)
    points = float(hit["points"]) if hit else float(config["older"])
    label = hit["label"] if hit else "older than every band"
    return Finding(
        "recency",
        months,
        points,
        f"{what} {last:%Y-%m}, {months} month(s) before {as_of} ({label})",
    )


def feature_work(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Did new functionality land upstream recently (not only fixes)?"""
    within = int(config["within_months"])
    recent = [
        u
        for u in driver.upstream
        if u.action == "feature-work" and months_since(u.date, as_of) <= within
    ]
    if not recent:  # signals do not tell fixes from features: absence is unknown, not zero
        reason = f"no feature work cited in the last {within} months"
        return Finding("feature_work", 0, 0.0, reason, known=False)
    latest = max(u.date for u in recent)
    return Finding(
        "feature_work",
        len(recent),
        float(config["points"]),
        f"feature work landed upstream ({latest})",
    )


def churn(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many lines changed (added plus removed) in the window?"""
    signals = driver.signals
    if signals is None:
        return unknown("churn", "repository signals not collected")
    if abstained := too_young("churn", driver, config):
        return abstained
    lines = signals.lines_added + signals.lines_removed
    hit = band(lines, config["bands"], "at_least", higher_is_better=True)
    points = float(hit["points"]) if hit else 0.0
    label = hit["label"] if hit else "no band"
    return Finding("churn", lines, points, f"{lines:,} lines changed in the window ({label})")


def code_age(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many years since the newest year its sources' copyright lines state? Code
    nobody has put a new year on in fifteen years is old code; a tree onboarded without
    its history (a release tarball) still says this."""
    signals = driver.signals
    if signals is None or signals.copyright_year is None:
        return unknown("code_age", "its sources state no copyright year (or were not read)")
    years = max(0, as_of.year - signals.copyright_year)
    hit = band(years, config["bands"], "at_most_years", higher_is_better=False)
    points = float(hit["points"]) if hit else float(config["older"])
    label = hit["label"] if hit else "older than every band"
    return Finding("code_age", years, points,
                   f"newest copyright year {signals.copyright_year}, {years} year(s) before "
                   f"{as_of.year} ({label})")
