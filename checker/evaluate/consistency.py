"""Recorded verdicts against computed ones: mismatches, overrides, fixtures -> Problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from checker.core.errors import Problem
from checker.core.model import Driver, Verdict
from checker.evaluate.direction import deciding
from checker.evaluate.engine import evaluate
from checker.validate.categories import category_problems
from checker.validate.policy import Fixture, Policy

Locate = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


@dataclass(frozen=True)
class Outcome:
    driver: Driver
    computed: Verdict
    effective: str  # the verdict that stands: the override's when one applies
    overridden: bool


def deciding_text(verdict: Verdict, limit: int = 4) -> str:
    """The rule and the probes that decided, in one line."""
    pushing = deciding(verdict.findings, verdict.value)[:limit]
    probes = ", ".join(f"{f.probe} {f.contribution:+g} ({f.reason})" for f in pushing)
    head = (
        f"rule {verdict.rule}"
        if verdict.rule != "score"
        else f"score {verdict.score:g} -> {verdict.score_verdict}"
    )
    return f"{head}; deciding probes: {probes or 'none'}"


def check_driver(
    driver: Driver, policy: Policy, today: date, locate: Locate
) -> tuple[Outcome, list[Problem]]:
    computed = evaluate(driver, policy)
    problems: list[Problem] = category_problems(driver, policy.categories, locate)

    def problem(keypath: tuple[str | int, ...], field: str, message: str) -> None:
        line, col = locate(driver.file, keypath)
        problems.append(Problem(driver.file, line, col, field, message, rule="verdict"))

    if driver.draft:  # reported, never published: no recorded verdict is compared
        line, col = locate(driver.file, ("status",))
        todo = (
            f"to finish: {'; '.join(driver.unfinished)}"
            if driver.unfinished
            else "nothing left to finish: remove `status: draft` to publish it"
        )
        problems.append(Problem(
            driver.file, line, col, "status",
            f"{driver.id}: draft, no verdict published (the policy computes "
            f"{computed.value}); {todo}",
            severity="note", rule="draft",
        ))
        return Outcome(driver, computed, computed.value, False), problems
    recorded = driver.verdict
    if recorded is None:
        problem(
            (),
            "verdict",
            f"{driver.id}: no recorded verdict; the policy computes "
            f"{computed.value} ({deciding_text(computed)}); record it",
        )
        return Outcome(driver, computed, computed.value, False), problems
    if recorded.needs_review:
        problem(
            ("verdict", "recommendation_for"),
            "verdict.recommendation_for",
            f"{driver.id}: the recommendation was written for {recorded.recommendation_for} "
            f"but the recorded verdict is now {recorded.value}; review the recommendation "
            f"(and notes), then set recommendation_for: {recorded.value}",
        )
    override = recorded.override
    if override is not None:
        if override.until < today:
            problem(
                ("verdict", "override", "until"),
                "verdict.override.until",
                f"{driver.id}: override to {override.verdict} expired on {override.until}; "
                f"renew it with a reason or record the computed {computed.value}",
            )
        if override.verdict == computed.value:
            problem(
                ("verdict", "override"),
                "verdict.override",
                f"{driver.id}: override is redundant: the policy computes "
                f"{computed.value} too; remove the override",
            )
        if recorded.value != override.verdict:
            problem(
                ("verdict", "value"),
                "verdict.value",
                f"{driver.id}: recorded {recorded.value} but the override says {override.verdict}",
            )
        return Outcome(driver, computed, override.verdict, True), problems
    if recorded.value != computed.value:
        problem(
            ("verdict", "value"),
            "verdict.value",
            f"{driver.id}: recorded {recorded.value} but the policy computes "
            f"{computed.value} ({deciding_text(computed)})",
        )
    return Outcome(driver, computed, computed.value, False), problems


def check_fixture(
    fixture: Fixture, policy: Policy, locate: Locate
) -> tuple[Verdict, list[Problem]]:
    computed = evaluate(fixture.driver, policy)
    problems = []
    if computed.value != fixture.expect_verdict:
        line, col = locate(fixture.file, ("expect", "verdict"))
        problems.append(
            Problem(
                fixture.file,
                line,
                col,
                "expect.verdict",
                f"expected {fixture.expect_verdict} but {policy.label} computes "
                f"{computed.value} ({deciding_text(computed)})",
                rule="fixture",
            )
        )
    if fixture.expect_rule is not None and computed.rule != fixture.expect_rule:
        line, col = locate(fixture.file, ("expect", "rule"))
        problems.append(
            Problem(
                fixture.file,
                line,
                col,
                "expect.rule",
                f"expected the verdict to be decided by {fixture.expect_rule} "
                f"but it was decided by {computed.rule}",
                rule="fixture",
            )
        )
    return computed, problems
