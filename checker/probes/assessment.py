"""Probes over the assessed inputs: deployment, replacement, MAINTAINERS status, users."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.model import Driver, Finding
from checker.probes.common import months_between, unknown


def deployment(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How widely is the driver deployed today?"""
    level = driver.deployment
    if level == "unknown":
        return unknown("deployment", "deployment is unknown")
    points = float(config["points"][level])
    return Finding("deployment", level, points, f"deployment is {level}")


def replacement(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Is there something users can move to instead?"""
    status = driver.replacement.status
    if status == "unknown":
        return unknown("replacement", "whether anything replaces it is unknown")
    points = float(config["points"][status])
    if status == "none":
        reason = "nothing replaces it"
    else:
        reason = f"{status} replacement: {driver.replacement.by or 'named in the evidence'}"
    return Finding("replacement", status, points, reason)


def maintainers(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """What does MAINTAINERS say about the code's care (S: field)?"""
    status = driver.maintainers_status
    if status == "unknown":
        return unknown("maintainers", "MAINTAINERS status is unknown")
    points = float(config["points"][status])
    return Finding("maintainers", status, points, f"MAINTAINERS status is {status}")


def user_reports(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Does anyone credibly report using it now (within the policy's months)?"""
    within = int(config["within_months"])
    recent = [
        r for r in driver.users_reported if months_between(r.date.first_day(), as_of) <= within
    ]
    # Two reports by one reporter are one user: counted by distinct reporter, compared
    # without case or surrounding space, in the order first reported.
    reporters: dict[str, str] = {}
    for report in recent:
        reporters.setdefault(" ".join(report.who.split()).casefold(), report.who)
    count = len(reporters)
    if not count:  # absence of a report is not evidence of absence: counts as unknown
        reason = f"no credible user report from the last {within} months cited"
        return Finding("user_reports", 0, 0.0, reason, known=False)
    who = "; ".join(list(reporters.values())[:2])
    return Finding(
        "user_reports",
        count,
        float(config["points"]),
        f"credible current reports from {count} user(s) ({who})",
    )
