"""Probes over the assessed inputs: deployment, replacement, MAINTAINERS status, users."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.core.model import Driver, Finding, UserReport
from checker.evaluate.probes.common import months_since, unknown


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
    recent = [r for r in driver.users_reported if months_since(r.date, as_of) <= within]
    if not recent:  # absence of a report is not evidence of absence: counts as unknown
        reason = f"no credible user report from the last {within} months cited"
        return Finding("user_reports", 0, 0.0, reason, known=False)
    # Each report weighs its kind times its scale (a production fleet far more than one
    # hobbyist's test). A reporter counts once, with their weightiest report (compared
    # without case or surrounding space); the value is the total weight over reporters,
    # which the hard rules compare.
    reporters: dict[str, tuple[float, UserReport]] = {}
    for report in recent:
        key = " ".join(report.who.split()).casefold()
        weight = float(config["kinds"][report.kind]) * float(config["scales"][report.scale])
        if key not in reporters or weight > reporters[key][0]:
            reporters[key] = (weight, report)
    total = round(sum(weight for weight, _ in reporters.values()), 6)
    points = round(min(float(config["max_points"]), float(config["points"]) * total), 6)
    shown = "; ".join(f"{r.who}: {r.kind}/{r.scale}" for _, r in list(reporters.values())[:2])
    return Finding(
        "user_reports",
        total,
        points,
        f"credible current reports from {len(reporters)} user(s) weighing {total:g} ({shown})",
    )
