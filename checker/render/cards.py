"""One driver's card, cards/<subsystem>/<name>.md: what it shows (card_context) and
render_card, which renders templates/card.md.j2 with it (sealed when asked)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.core.model import Driver, Finding, Month, Signals, Source
from checker.evaluate.direction import deciding, finding_value, sign
from checker.load.layout import CARDS_DIR
from checker.render.chart import activity_line, chart_caption, sparkline
from checker.render.markdown import MINUS, score
from checker.render.seal import SEAL_MARK, UNSEALED, seal
from checker.render.templates import (
    CARD_TEMPLATE,
    TEMPLATES_DIR,
    environment,
    generated_header,
    render_template,
)
from checker.validate.schemas import VERDICTS

if TYPE_CHECKING:
    from checker.evaluate.consistency import Outcome
    from checker.validate.policy import Policy


def card_path(driver: Driver) -> str:
    return f"{CARDS_DIR}/{driver.id}.md"


def verdict_line(driver: Driver, value: str, confidence: float) -> str:
    """The seed cards' one-line header: verdict, conf=, then the assessment inputs."""
    fields = [value, f"conf={confidence:.2f}"]
    if driver.hardware.last_sold is not None:
        fields.append(f"last_sold={driver.hardware.last_sold}")
    fields += [
        f"deploy={driver.deployment}",
        f"replacement={driver.replacement.status}",
        f"subsystem={driver.subsystem}",
        f"category={driver.category}",
    ]
    return " ".join(fields)


def probe_rows(findings: Sequence[Finding], value: str) -> list[dict[str, Any]]:
    """Every probe: those that decided first (largest first), then those against the
    verdict, then those that gave nothing, and the unknown ones last."""
    first = deciding(findings, value)
    names = {f.probe for f in first}
    direction = sign(value)

    def group(f: Finding) -> int:
        if f.probe in names:
            return 0
        if f.contribution * direction < 0:
            return 1
        return 2 if f.known else 3

    rest = sorted(
        (f for f in findings if f.probe not in names),
        key=lambda f: (group(f), -abs(f.contribution), f.probe),
    )
    return [
        {
            "probe": f.probe,
            "value": finding_value(f),
            "points": f.contribution,
            "reason": f.reason,
            "deciding": f.probe in names,
        }
        for f in first + rest
    ]


def _unknown(value: object, text: str = "unknown") -> str:
    return text if value is None else str(value)


def signal_rows(signals: Signals) -> list[tuple[str, str]]:
    """(label, value) pairs, unknown values said as such."""
    months = signals.months
    share = round(100 * signals.active_months / months) if months else 0
    if signals.substantive_commits is None and signals.mechanical_commits is None:
        split = "unknown (not split)"
    else:
        split = (
            f"{_unknown(signals.substantive_commits)} substantive / "
            f"{_unknown(signals.mechanical_commits)} mechanical"
        )
    broken = signals.depends_on_broken
    dates = " / ".join(
        _unknown(d)
        for d in (signals.first_commit, signals.last_commit, signals.last_substantive_commit)
    )
    rows = [
        ("Window", f"{signals.window_start} → {signals.window_end} ({months} months)"),
        ("Files", f"{signals.files:,}"),
        ("Source lines", f"{signals.source_lines:,}"),
        ("Commits", f"{signals.commits:,}"),
        ("Substantive / mechanical commits", split),
        ("Lines added / removed", f"+{signals.lines_added:,} / {MINUS}{signals.lines_removed:,}"),
        ("Authors", f"{signals.authors:,}"),
        ("Active months", f"{signals.active_months} of {months} ({share}%)"),
        ("Last month with commits", signals.last_active_month() or "none in the window"),
        ("First / last / last substantive commit", dates),
        ("Device ids", _unknown(signals.device_ids)),
        ("Depends on BROKEN", "unknown" if broken is None else ("yes" if broken else "no")),
        ("MAINTAINERS entry", _unknown(signals.maintainers_entry)),
        ("Tree revision", _unknown(signals.kernel_rev, "not recorded")),
        ("Computed by", signals.computed_by),
    ]
    return rows


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_grid(monthly: Sequence[Month]) -> dict[str, Any]:
    """A calendar of the window: one row per month of the year, one column per year, each
    cell the month's commits and lines (empty outside the window), then the year's totals."""
    by_year: dict[str, dict[int, Month]] = {}
    for month in monthly:
        by_year.setdefault(month.month[:4], {})[int(month.month[5:7])] = month
    years = sorted(by_year)
    rows = []
    for number, name in enumerate(MONTH_NAMES, start=1):
        cells = []
        for year in years:
            m = by_year[year].get(number)
            if m is None:
                cells.append("")
            elif m.commits or m.added or m.removed:
                cells.append(f"{m.commits} (+{m.added:,} {MINUS}{m.removed:,})")
            else:
                cells.append("0")
        rows.append({"month": name, "cells": cells})
    commits = [sum(m.commits for m in by_year[y].values()) for y in years]
    lines = [
        f"+{sum(m.added for m in by_year[y].values()):,} "
        f"{MINUS}{sum(m.removed for m in by_year[y].values()):,}"
        for y in years
    ]
    return {"years": years, "rows": rows, "commits": commits, "lines": lines}


def source_rows(sources: Sequence[Source]) -> list[dict[str, Any]]:
    rows = []
    for number, source in enumerate(sources, start=1):
        rows.append(
            {
                "number": number,
                "domain": source.domain,
                "url": source.url,
                "domain_only": source.domain_only,
                "date": str(source.date) if source.date is not None else "undated",
                "retrieved": str(source.retrieved) if source.retrieved is not None else None,
                "claim": source.claim,
            }
        )
    return rows


def refs(numbers: Sequence[int]) -> str:
    """Source numbers as the card lists them: 'source 1', 'sources 1, 2'."""
    if not numbers:
        return ""
    word = "source" if len(numbers) == 1 else "sources"
    return f"{word} " + ", ".join(str(n) for n in numbers)


def input_rows(driver: Driver) -> list[tuple[str, str]]:
    hw = driver.hardware
    sold = {True: "yes", False: "no", None: "unknown"}[hw.sold_new]
    replacement = driver.replacement.status
    if driver.replacement.by:
        replacement += f": {driver.replacement.by}"
    rows = [
        ("Deployment", driver.deployment + (f" ({refs(driver.deployment_sources)})"
                                            if driver.deployment_sources else "")),
        ("Hardware", hw.kind),
        ("Still sold new", sold),
        ("Last sold", _unknown(hw.last_sold)),
        ("Replacement", replacement),
    ]
    if driver.replacement.note:
        rows.append(("Replacement note", driver.replacement.note))
    rows += [
        ("MAINTAINERS status", driver.maintainers_status),
        ("Kconfig", ", ".join(driver.kconfig) if driver.kconfig else "none recorded"),
        ("Granularity", driver.granularity),
    ]
    if driver.granularity_note:
        rows.append(("Granularity note", driver.granularity_note))
    paths = ", ".join(driver.include)
    if driver.exclude:
        paths += " (excluding " + ", ".join(driver.exclude) + ")"
    rows.append(("Paths", paths))
    facts = driver.kernel_facts
    if facts is not None:  # recorded by hand, with sources (no signals needed)
        cited = f" ({refs(facts.sources)})"
        if facts.depends_on_broken is not None:
            rows.append(("Depends on BROKEN", ("yes" if facts.depends_on_broken else "no")
                         + cited))
        if facts.device_ids is not None:
            rows.append(("Device ids", f"{facts.device_ids}{cited}"))
        if facts.maintainers_entry is not None:
            rows.append(("MAINTAINERS entry", f"{facts.maintainers_entry}{cited}"))
    return rows


def decided(outcome: Outcome, policy: Policy) -> dict[str, Any]:
    verdict = outcome.computed
    rules = {rule.id: rule for rule in policy.rules}
    thresholds = policy.thresholds
    bands = "; ".join(f"{name} ≥ {score(thresholds[name])}" for name in VERDICTS[:-1])
    bands += f"; remove below {score(thresholds[VERDICTS[-2]])}"
    rule = rules.get(verdict.rule) if verdict.rule != "score" else None
    held = []
    for rule_id in verdict.rules_held:
        held_rule = rules.get(rule_id)
        if held_rule is None:
            continue
        effect = {"verdict": "sets", "at_most": "at most", "at_least": "at least"}
        held.append(
            {
                "id": rule_id,
                "effect": f"{effect[held_rule.effect]} {held_rule.target}",
                "why": held_rule.why,
                "decided": rule_id == verdict.rule,
            }
        )
    return {
        "by_rule": rule is not None,
        "rule_id": verdict.rule,
        "rule_effect": (
            {
                "verdict": "sets the verdict to",
                "at_most": "caps the verdict at",
                "at_least": "raises the verdict to",
            }[rule.effect]
            + " "
            + rule.target
        )
        if rule
        else "",
        "rule_why": rule.why if rule else "",
        "score": verdict.score,
        "score_verdict": verdict.score_verdict,
        "bands": bands,
        "held": held,
    }


def confidence_rows(outcome: Outcome) -> list[dict[str, Any]]:
    return [
        {"part": part, "value": f"{value:.3f}", "weight": f"{weight:g}"}
        for part, value, weight in outcome.computed.confidence_parts
    ]


def card_context(outcome: Outcome, policy: Policy, *, sealed: bool = False) -> dict[str, Any]:
    driver, verdict = outcome.driver, outcome.computed
    signals = driver.signals
    name = driver.id.rsplit("/", 1)[-1]
    recorded = driver.verdict
    override = recorded.override if recorded else None
    header = generated_header([driver.file, policy.file, f"{TEMPLATES_DIR}/{CARD_TEMPLATE}"])
    context: dict[str, Any] = {
        "header": header + (f" {SEAL_MARK}{UNSEALED}" if sealed else ""),
        "driver": driver,
        "name": name,
        "verdict": verdict,
        "effective": outcome.effective,
        "overridden": outcome.overridden,
        "override": override,
        "recorded": recorded,
        "mismatch": recorded is not None
        and not driver.draft
        and not outcome.overridden
        and recorded.value != verdict.value,
        "draft": driver.draft,
        "unfinished": list(driver.unfinished),
        "needs_review": recorded is not None and recorded.needs_review,
        "policy_label": policy.label,
        "policy_file": policy.file,
        "verdict_line": verdict_line(driver, outcome.effective, verdict.confidence),
        "decided": decided(outcome, policy),
        "probes": probe_rows(verdict.findings, verdict.value),
        "confidence_rows": confidence_rows(outcome),
        "evidence_link": f"../../{driver.file}",
        "index_link": "../README.md",
        "inputs": input_rows(driver),
        "upstream": [
            {
                "date": str(u.date),
                "action": u.action,
                "tree": u.tree,
                "kernel": u.kernel,
                "commit": u.commit,
                "subject": u.subject,
                "summary": u.summary,
                "refs": refs(u.sources),
            }
            for u in driver.upstream
        ],
        "users": [
            {"date": str(r.date), "who": r.who, "claim": r.claim, "refs": refs(r.sources)}
            for r in driver.users_reported
        ],
        "sources": source_rows(driver.sources),
        "signals": signals,
    }
    if signals is not None:
        context.update(
            {
                "signal_rows": signal_rows(signals),
                "chart": f"{name}.svg",
                "chart_alt": chart_caption(driver, signals),
                "sparkline": sparkline([m.commits for m in signals.monthly]),
                "activity": activity_line(signals),
                "grid": month_grid(signals.monthly),
            }
        )
    return context


def render_card(
    templates: Path, outcome: Outcome, policy: Policy, inputs: str | None = None
) -> str:
    """The card; with `inputs` (see inputs_digest) it is sealed: its header records a
    digest of its inputs and of itself, so `check` can trust it without rendering it."""
    text = render_template(environment(templates), templates, CARD_TEMPLATE,
                           card_context(outcome, policy, sealed=inputs is not None))
    return text if inputs is None else seal(text, inputs)
