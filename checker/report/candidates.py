"""The candidate list: a repository's drivers ranked by how likely they are removable,
each with the signals that decided and the evidence a reviewer should gather next.

Ranked by score, lowest first; among equal scores, the surer verdict first (higher
confidence), then the one with fewer unknowns (more of it is known), then the id. The
starting point of an audit, not a verdict: every suggestion names evidence that could
change the verdict either way.

What to gather comes from the findings: an unknown assessment (deployment, hardware,
replacement, user reports), and what the tree says (no shipped configuration builds it,
no device tree uses it, its Kconfig announces deprecation, staging, BROKEN). The texts
are data (NEXT_STEPS below); no threshold is decided here.

Driver ids, names and reasons carry text from driver files and kernel trees: text
output escapes it for a terminal, Markdown through the card renderer's filters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from checker.core.errors import terminal
from checker.core.model import Driver, Finding, Verdict
from checker.evaluate.direction import finding_value
from checker.evaluate.engine import evaluate
from checker.validate.policy import Policy

# (probe, when) -> what to look for. `when` is "unknown" (the evidence does not say) or
# a value the finding has. Listed in the order a reviewer should take them: evidence that
# can protect a driver first.
NEXT_STEPS: tuple[tuple[str, str, str], ...] = (
    ("user_reports", "unknown", "no user report cited: search the mailing lists, bug "
     "trackers and forums for reports of use in the last two years"),
    ("deployment", "unknown", "deployment unknown: look for users, products and "
     "distribution configurations that enable it"),
    ("configs", "0", "no shipped configuration builds it: check out-of-tree users (boards, "
     "distribution and vendor configurations) before removing"),
    ("hardware", "unknown", "hardware.sold_new unknown: find the vendor's product page or "
     "end-of-life notice, and when it was last sold"),
    ("replacement", "unknown", "replacement unknown: does another driver serve the same "
     "hardware or protocol?"),
    ("dt_users", "0", "no in-tree device tree uses its compatibles: look for out-of-tree "
     "device trees and boards"),
    ("id_tables", "0", "it declares no id table: find the board code or platform data "
     "that binds it by name, and whether those boards are still supported"),
    ("deprecated_help", "yes", "its Kconfig help announces deprecation: find the announcement "
     "and its date, and cite it as an upstream event"),
    ("deprecated_dependency", "yes", "it needs a Kconfig symbol announced as deprecated: "
     "find that announcement, whether this driver is named in it, and its date"),
    ("staging", "yes", "in staging: read its TODO file and whether anyone is moving it out"),
    ("broken", "yes", "depends on BROKEN: find since when nobody could build it"),
    ("maintainers", "unknown", "no MAINTAINERS section of its own: find who maintains it"),
    ("activity", "unknown", "signals not collected: run `driver-policy collect`"),
    ("configs", "unknown", "not evaluated against configurations: collect with --config "
     "naming distribution configurations"),
)
ASSESSMENT = ("deployment", "hardware", "replacement", "user_reports")


@dataclass(frozen=True)
class Candidate:
    rank: int
    driver: Driver
    verdict: Verdict
    against: tuple[Finding, ...]  # the findings that pushed towards removal, largest first
    supporting: tuple[Finding, ...]  # those that pushed towards keeping
    unknown: tuple[str, ...]  # probes whose evidence is unknown
    next_steps: tuple[str, ...]


def rank(drivers: Sequence[Driver], policy: Policy) -> list[Candidate]:
    """Every driver, most likely removable first."""
    scored = []
    for driver in drivers:
        verdict = evaluate(driver, policy)
        unknown = tuple(f.probe for f in verdict.findings if not f.known)
        scored.append((verdict.score, -verdict.confidence, len(unknown), driver.id, driver,
                       verdict, unknown))
    scored.sort(key=lambda item: item[:4])
    out = []
    for index, (*_key, driver, verdict, unknown) in enumerate(scored, start=1):
        against = sorted((f for f in verdict.findings if f.contribution < 0),
                         key=lambda f: (f.contribution, f.probe))
        supporting = sorted((f for f in verdict.findings if f.contribution > 0),
                            key=lambda f: (-f.contribution, f.probe))
        out.append(Candidate(index, driver, verdict, tuple(against), tuple(supporting),
                             unknown, next_steps(verdict.findings,
                                                 collected=driver.signals is not None)))
    return out


def next_steps(findings: Sequence[Finding], collected: bool = False) -> tuple[str, ...]:
    """What to gather, in NEXT_STEPS order: one line per matching (probe, when). When
    signals were `collected`, an unknown activity means the code is too young to judge,
    and collecting again would not help: no line says to."""
    shown = {f.probe: "unknown" if not f.known else finding_value(f) for f in findings}
    steps = []
    for probe, when, text in NEXT_STEPS:
        if probe in shown and shown[probe] == when:
            if probe == "configs" and when == "unknown" and shown.get("activity") == "unknown" \
                    and not collected:
                continue  # nothing was collected at all: one line says so
            if probe == "activity" and collected:
                continue
            steps.append(text)
    return tuple(steps)


def to_data(candidates: Sequence[Candidate], policy: Policy) -> dict[str, Any]:
    return {
        "policy": policy.label,
        "candidates": [
            {"rank": c.rank, "id": c.driver.id, "name": c.driver.name, "file": c.driver.file,
             "draft": c.driver.draft, "verdict": c.verdict.value, "score": c.verdict.score,
             "confidence": c.verdict.confidence, "rule": c.verdict.rule,
             "against": [_finding(f) for f in c.against],
             "supporting": [_finding(f) for f in c.supporting],
             "unknown": list(c.unknown), "next": list(c.next_steps)}
            for c in candidates
        ],
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {"probe": f.probe, "value": finding_value(f), "points": f.contribution,
            "reason": f.reason}


def to_json(candidates: Sequence[Candidate], policy: Policy) -> str:
    return json.dumps(to_data(candidates, policy), indent=2, ensure_ascii=False) + "\n"


def _rows(title: str, findings: Sequence[Finding]) -> list[str]:
    """One line per finding, the title on the first, the reasons aligned."""
    width = max((len(f"{f.probe} {f.contribution:+g}") for f in findings), default=0)
    return [f"     {title if i == 0 else '':<8} {f'{f.probe} {f.contribution:+g}':<{width}}  "
            f"{terminal(f.reason)}" for i, f in enumerate(findings)]


def to_text(candidates: Sequence[Candidate], policy: Policy, total: int) -> str:
    out = [f"removal candidates under {policy.label}: {len(candidates)} of {total} "
           "driver(s), most likely removable first",
           "(lowest score first; ties: higher confidence, then fewer unknowns)"]
    rules = {rule.id: rule for rule in policy.rules}
    for c in candidates:
        v = c.verdict
        draft = ", draft" if c.driver.draft else ""
        out += ["", f"{c.rank:>3}. {terminal(c.driver.id)}: {v.value}, score {v.score:+g}, "
                    f"confidence {v.confidence:.2f}  ({terminal(c.driver.file)}{draft})"]
        if v.rule in rules:
            out.append(f"     decided by rule {v.rule}: {terminal(rules[v.rule].why)}")
        out += _rows("against", c.against) if c.against else ["     against  nothing"]
        out += _rows("for", c.supporting)
        if c.unknown:
            out.append(f"     {'unknown':<8} {', '.join(c.unknown)}")
        out += [f"     {'next' if i == 0 else '':<8} {i + 1}. {step}"
                for i, step in enumerate(c.next_steps)]
    return "\n".join(out) + "\n"


def to_markdown(candidates: Sequence[Candidate], policy: Policy, total: int) -> str:
    from checker.render.markdown import md_cell, md_code

    out = [f"## Removal candidates ({md_cell(policy.label)})", "",
           f"{len(candidates)} of {total} driver(s), most likely removable first (lowest "
           "score; ties: higher confidence, fewer unknowns).", "",
           "| # | driver | verdict | score | confidence | deciding signals | gather next |",
           "|---:|---|---|---:|---:|---|---|"]
    for c in candidates:
        signals = "<br>".join(md_cell(f"{f.probe} {f.contribution:+g}: {f.reason}")
                              for f in c.against) or "nothing against"
        steps = "<br>".join(md_cell(s) for s in c.next_steps)
        draft = " (draft)" if c.driver.draft else ""
        out.append(f"| {c.rank} | {md_code(c.driver.id)}{draft} | {c.verdict.value} | "
                   f"{c.verdict.score:+g} | {c.verdict.confidence:.2f} | {signals} | {steps} |")
    return "\n".join(out) + "\n"
