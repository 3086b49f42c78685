"""`driver-policy verdicts` and `driver-policy explain ID`: computed verdicts, explained."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from checker.cli.commands.common import load_valid_workspace, repo_root
from checker.core.output import columns, emit


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "verdicts",
        help="one row per driver: recorded and computed verdict, score, confidence, rule",
        description="Recompute every driver's verdict under the default policy and list "
        "it next to the recorded one. JSON gives id, path, file, recorded, computed, "
        "override, score, confidence, rule and reasons for each driver.",
        epilog="examples:\n  driver-policy verdicts\n  driver-policy verdicts --format json | "
        "jq '.[] | select(.recorded != .computed)'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.set_defaults(func=run_verdicts)

    explain = sub.add_parser(
        "explain",
        help="the full reasoning for one driver, probe by probe",
        description="Show how the policy reaches one driver's verdict: every probe's value, "
        "contribution and reason, the score against the thresholds, the hard rules that "
        "held, and how the confidence was computed.",
        epilog="examples:\n  driver-policy explain infiniband/ipoib\n"
        "  driver-policy explain drivers/net/smc-tcp-ulp.yaml --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("id", metavar="ID", help="driver id <subsystem>/<name>, or its file path")
    explain.add_argument("--format", choices=("text", "json"), default="text",
                         help="output format (default: text)")
    explain.set_defaults(func=run_explain)


def rows(workspace: Any) -> list[dict[str, Any]]:
    from checker.evaluate.engine import evaluate

    out = []
    for driver in workspace.drivers:
        verdict = evaluate(driver, workspace.policy)
        recorded = driver.verdict
        out.append(
            {
                "id": driver.id,
                "path": driver.path,
                "file": driver.file,
                "recorded": recorded.value if recorded else None,
                "draft": driver.draft,
                "computed": verdict.value,
                "override": recorded.override.verdict if recorded and recorded.override else None,
                "score": verdict.score,
                "confidence": verdict.confidence,
                "rule": verdict.rule,
                "reasons": list(verdict.reasons),
            }
        )
    return out


def run_verdicts(args: argparse.Namespace) -> int:
    workspace = load_valid_workspace(repo_root(args))
    table = rows(workspace)
    if args.format == "json":
        json.dump(table, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        cells: list[list[object]] = [["ID", "RECORDED", "COMPUTED", "SCORE", "CONF", "RULE"]]
        for r in table:
            mark = "" if r["draft"] or r["recorded"] in (r["computed"], r["override"]) else "!"
            shown = "(draft)" if r["draft"] else r["recorded"] or "-"
            cells.append([r["id"], shown, r["computed"] + mark, f"{r['score']:g}",
                          f"{r['confidence']:.2f}", r["rule"]])
        emit(columns(cells, right=(3,)))  # a "!" marks a recorded verdict that disagrees
    problems = [p for p in workspace.problems if p.path.startswith("drivers/")]
    for problem in problems:
        print(f"skipped (invalid): {problem}", file=sys.stderr)
    return 1 if problems else 0


def run_explain(args: argparse.Namespace) -> int:
    from checker.cli.commands.common import find_drivers
    from checker.evaluate.engine import evaluate

    workspace = load_valid_workspace(repo_root(args))
    driver = find_drivers(workspace, [args.id])[0]
    policy = workspace.policy
    verdict = evaluate(driver, policy)
    recorded = driver.verdict.value if driver.verdict else None
    if args.format == "json":
        json.dump(_explain_json(driver, policy, verdict), sys.stdout, indent=2,
                  ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    emit(explain_lines(driver, policy, verdict, recorded))
    return 0


def explain_lines(driver: Any, policy: Any, verdict: Any, recorded: str | None) -> list[str]:
    """The text of `explain`: one entry per line (emit escapes each)."""
    lines = [f"{driver.id}: {driver.name}  ({driver.file}, policy {policy.label})"]
    if driver.draft:
        lines.append("draft: no verdict published; to finish: "
                     + ("; ".join(driver.unfinished) or "nothing (remove `status: draft`)"))
    lines.append(f"evidence date (as of): {driver.evidence_date()}")
    lines += [
        f"recorded: {recorded or '(none)'}   computed: {verdict.value}   score: "
        f"{verdict.score:g}   confidence: {verdict.confidence:.2f}   decided by: {verdict.rule}",
        "",
        "probes:",
    ]
    width = max(len(f.probe) for f in verdict.findings)
    for f in verdict.findings:
        value = "unknown" if not f.known else f.value
        lines.append(f"  {f.probe:<{width}}  {f.contribution:+5g}  {value!s:<14}  {f.reason}")
    lines.append(f"  {'total':<{width}}  {verdict.score:+5g}")
    thresholds = policy.thresholds
    lines += [
        "",
        "thresholds: " + ", ".join(f"{k} >= {v:g}" for k, v in thresholds.items())
        + f", remove below {thresholds['deprecate']:g}",
        f"score alone gives: {verdict.score_verdict}",
        "",
        "hard rules:",
    ]
    for rule in policy.rules:
        state = "held" if rule.id in verdict.rules_held else "did not hold"
        lines.append(f"  {rule.id}: {rule.effect} {rule.target}: {state}")
    lines += ["", "confidence:"]
    for part, value, weight in verdict.confidence_parts:
        lines.append(f"  {part:<10} {value:.3f} x weight {weight:g}")
    lines += [f"  = {verdict.confidence:.2f}", "", "reasons:"]
    lines += [f"  - {reason}" for reason in verdict.reasons]
    return lines


def _explain_json(driver: Any, policy: Any, verdict: Any) -> dict[str, Any]:
    evidence_date = driver.evidence_date()
    return {
        "id": driver.id,
        "name": driver.name,
        "file": driver.file,
        "policy": {"name": policy.name, "version": policy.version, "digest": policy.digest},
        "draft": driver.draft,
        "unfinished": list(driver.unfinished),
        "evidence_date": evidence_date.isoformat() if evidence_date else None,
        "recorded": driver.verdict.value if driver.verdict else None,
        "computed": verdict.value,
        "score": verdict.score,
        "score_verdict": verdict.score_verdict,
        "confidence": verdict.confidence,
        "rule": verdict.rule,
        "probes": [
            {"probe": f.probe, "value": f.value if f.known else None, "known": f.known,
             "points": f.contribution, "reason": f.reason}
            for f in verdict.findings
        ],
        "thresholds": dict(policy.thresholds),
        "rules": [
            {"id": r.id, "effect": r.effect, "target": r.target,
             "held": r.id in verdict.rules_held}
            for r in policy.rules
        ],
        "confidence_parts": [
            {"part": part, "value": value, "weight": weight}
            for part, value, weight in verdict.confidence_parts
        ],
        "reasons": list(verdict.reasons),
    }
