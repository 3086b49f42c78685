"""evaluate(driver, policy) -> Verdict: probes, score, thresholds, hard rules, confidence.

Pure: no I/O and no clock. Time is the evidence's own date (Driver.evidence_date).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checker.core.model import Driver, Finding, Verdict
from checker.evaluate.direction import deciding, sign
from checker.evaluate.probes import PROBES
from checker.evaluate.rules import holds
from checker.validate.policy import RANK, HardRule, Policy
from checker.validate.policy_schema import OPTIONAL_PROBES
from checker.validate.schemas import VERDICTS


def evaluate(driver: Driver, policy: Policy) -> Verdict:
    as_of = driver.evidence_date()
    if as_of is None:  # validation refuses such files; fixtures and callers get a clear error
        raise ValueError(f"{driver.id}: the evidence has no date to measure time against")
    findings = tuple(PROBES[name](driver, policy.probes[name], as_of) for name in PROBES
                     if name in policy.probes)
    score = round(sum(f.contribution for f in findings), 6)
    facts = {f.probe: f.value for f in findings}
    held = [hard for hard in policy.rules if holds(hard.when, facts)]
    by_score, value, rule, setting, reasons = decide(score, held, policy.thresholds)
    head = f"score {score:g} gives {by_score} ({_band_text(score, policy.thresholds)})"
    pushing = deciding(findings, value)
    reasons = [head, *reasons, *(f"{f.reason} ({f.contribution:+g})" for f in pushing)]
    # probes whose evidence was never gathered (usage before collect computed it) are
    # left out of coverage: what nobody looked for is not known-to-be-unknown
    counted = findings if driver.signals is not None and driver.signals.usage is not None \
        else tuple(f for f in findings if f.probe not in OPTIONAL_PROBES)
    confidence, parts = _confidence(counted, value, score, policy, setting)
    return Verdict(
        value=value,
        score=score,
        confidence=confidence,
        rule=rule,
        reasons=tuple(reasons),
        findings=findings,
        score_verdict=by_score,
        rules_held=tuple(hard.id for hard in held),
        confidence_parts=parts,
    )


def decide(score: float, held: Sequence[HardRule], thresholds: Mapping[str, float]
           ) -> tuple[str, str, str, HardRule | None, list[str]]:
    """The score's verdict, then the hard rules that held: (verdict by score, verdict,
    deciding rule, the rule that set it outright or None, reasons). Caps first, then
    floors (a floor protects against a cap), then the first rule that sets the verdict
    outright; the order of rules in the file does not matter."""
    by_score = verdict_for_score(score, thresholds)
    value, rule, reasons = by_score, "score", []
    for hard in held:
        if hard.effect == "at_most" and RANK[value] > RANK[hard.target]:
            reasons.append(f"rule {hard.id}: at most {hard.target} ({hard.why})")
            value, rule = hard.target, hard.id
    for hard in held:
        if hard.effect == "at_least" and RANK[value] < RANK[hard.target]:
            reasons.append(f"rule {hard.id}: at least {hard.target} ({hard.why})")
            value, rule = hard.target, hard.id
    setting = next((hard for hard in held if hard.effect == "verdict"), None)
    if setting is not None:
        reasons.append(f"rule {setting.id}: {setting.target} ({setting.why})")
        value, rule = setting.target, setting.id
    return by_score, value, rule, setting, reasons


def verdict_for_score(score: float, thresholds: Mapping[str, float]) -> str:
    for name in VERDICTS[:-1]:
        if score >= thresholds[name]:
            return name
    return VERDICTS[-1]


def _band_text(score: float, thresholds: Mapping[str, float]) -> str:
    parts = [f"{name} >= {thresholds[name]:g}" for name in VERDICTS[:-1]]
    return "; ".join(parts) + f"; remove below {thresholds[VERDICTS[-2]]:g}"


def _confidence(
    findings: tuple[Finding, ...],
    value: str,
    score: float,
    policy: Policy,
    setting: HardRule | None,
) -> tuple[float, tuple[tuple[str, float, float], ...]]:
    if setting is not None and setting.confidence is not None:
        return setting.confidence, (("rule " + setting.id, setting.confidence, 1.0),)
    weights = policy.confidence
    coverage = sum(1 for f in findings if f.known) / len(findings) if findings else 0.0
    direction = sign(value)
    total = sum(abs(f.contribution) for f in findings)
    agreeing = sum(abs(f.contribution) for f in findings if f.contribution * direction > 0)
    agreement = agreeing / total if total else 0.5
    if setting is not None:
        margin = 1.0  # the rule set the verdict outright: the score's distance does not matter
    else:
        distance = min(abs(score - t) for t in policy.thresholds.values())
        margin = min(1.0, distance / weights["margin_scale"])
    parts: tuple[tuple[str, float, float], ...] = (
        ("coverage", round(coverage, 3), weights["coverage"]),
        ("agreement", round(agreement, 3), weights["agreement"]),
        ("margin", round(margin, 3), weights["margin"]),
    )
    raw = sum(v * w for _, v, w in parts)
    if policy.confidence_cap is not None:
        names, at_most = policy.confidence_cap
        if not any(f.known for f in findings if f.probe in names) and raw > at_most:
            parts = (*parts, ("cap: " + ", ".join(names) + " unknown", at_most, 1.0))
            raw = at_most
    return round(raw, 2), parts
