"""A backtest result as a summary (plain data), then as text, JSON, Markdown or SVG.

Commit subjects and unit ids come from the kernel tree, which is not ours: text output
escapes hidden characters (checker.core.output.safe), Markdown escapes through the card renderer's
`md_cell`, and the SVG escapes everything it prints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from checker.backtest.engine import FEATURES, Result, Row
from checker.backtest.metrics import (
    FLAGGED,
    MIN_FOR_INTERVAL,
    auc,
    bootstrap_auc,
    confusion,
    roc_points,
)
from checker.core.output import safe
from checker.render.chart import xml_comment
from checker.validate.schemas import VERDICTS

ALL = "all"


def summarize(result: Result, *, seed: int, resamples: int, top: int) -> dict[str, Any]:
    """Everything the reports print, as JSON-ready data (the json format is this)."""
    groups: list[tuple[str, list[Row]]] = [
        (point.label, [row for row in result.rows if row.at == point.label])
        for point in result.points if point.units  # a point without units: its warning
    ]
    if len(groups) > 1:
        groups.append((ALL, list(result.rows)))
    return {
        "kernel": result.kernel,
        "to": {"label": result.to_label, "commit": result.to_sha,
               "day": result.to_day.isoformat()},
        "policy": result.policy,
        "horizon_months": result.horizon_months,
        "seed": seed,
        "resamples": resamples,
        "points": [
            {"at": p.label, "commit": p.sha, "day": p.day.isoformat(), "units": p.units,
             "removed": p.removed, "outcome": {"commit": p.outcome_sha,
                                               "day": p.outcome_day.isoformat()
                                               if p.outcome_day else None},
             "commits_read": p.commits_read, "warnings": list(p.warnings)}
            for p in result.points
        ],
        "groups": [_group(label, rows, seed, resamples, top) for label, rows in groups],
    }


def _group(label: str, rows: list[Row], seed: int, resamples: int, top: int) -> dict[str, Any]:
    kept = [r for r in rows if not r.removed]
    removed = [r for r in rows if r.removed]
    ks, rs = [r.score for r in kept], [r.score for r in removed]
    value = auc(ks, rs)
    interval = bootstrap_auc(ks, rs, resamples, seed)
    table = confusion([(r.verdict, r.removed) for r in rows])
    signal_aucs = {}
    for name in FEATURES:
        k = [float(v) for r in kept if (v := r.features.get(name)) is not None]
        m = [float(v) for r in removed if (v := r.features.get(name)) is not None]
        found = auc(k, m)
        signal_aucs[name] = None if found is None else round(found, 4)
    order = sorted(rows, key=lambda r: (r.score, r.at, r.unit))
    few = min(len(kept), len(removed))
    return {
        "at": label,
        "units": len(rows),
        "removed": len(removed),
        # fewer than MIN_FOR_INTERVAL removed or kept units: no interval, and a warning
        "small_sample": few < MIN_FOR_INTERVAL,
        "auc": None if value is None else round(value, 4),
        "auc_ci": None if interval is None else [round(interval.low, 4),
                                                 round(interval.high, 4)],
        "precision": _round(table.precision),
        "recall": _round(table.recall),
        "confusion": {"kept": table.kept, "removed": table.removed},
        "signal_auc": signal_aucs,
        "roc": [[round(x, 4), round(y, 4)] for x, y in roc_points(ks, rs)],
        "lowest_kept": [_row(r) for r in [r for r in order if not r.removed][:top]],
        "highest_removed": [_row(r) for r in [r for r in reversed(order) if r.removed][:top]],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _row(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "at": row.at, "unit": row.unit, "score": row.score, "verdict": row.verdict,
        "rule": row.rule, "confidence": row.confidence, "signals": row.features,
        "findings": {probe: [value, contribution] for probe, value, contribution
                     in row.findings if value != "unknown" or contribution},
    }
    if row.removal is not None:
        out["removal"] = {"commit": row.removal.commit, "day": row.removal.day.isoformat(),
                          "subject": row.removal.subject}
    return out


def to_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, sort_keys=False) + "\n"


# ---------------------------------------------------------------------------------
# Text


def plain(text: object) -> str:
    """One line of untrusted text, safe for a terminal (checker.core.output.safe)."""
    return safe(text)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _outcome(summary: dict[str, Any], code: Any = plain) -> str:
    to = summary["to"]
    where = f"{code(to['label'])} ({to['commit'][:12]}, {to['day']})"
    if summary["horizon_months"] is None:
        return f"outcome at {where}"
    return f"outcome {summary['horizon_months']} months after each point (at most {where})"


def _ci(group: dict[str, Any]) -> str:
    ci = group["auc_ci"]
    if ci is not None:
        return f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})"
    return " (no interval: too few cases)" if group["small_sample"] and group["auc"] is not \
        None else ""


def small_sample_warning(group: dict[str, Any]) -> str | None:
    """What a reader must know before trusting a group's figures, or None."""
    if not group["small_sample"]:
        return None
    removed, kept = group["removed"], group["units"] - group["removed"]
    return (f"only {removed} removed and {kept} kept unit(s): too few to measure the score "
            f"by (no interval is given below {MIN_FOR_INTERVAL} of each); the AUC and "
            "precision describe these units, not the policy's power")


def _signals_text(signals: dict[str, Any]) -> str:
    short = {"age_months": "age", "substantive_commits": "subst", "authors": "authors",
             "lines_changed": "lines", "months_since_substantive": "since-subst"}
    return " ".join(f"{label}={'?' if signals.get(key) is None else signals[key]}"
                    for key, label in short.items())


def to_text(summary: dict[str, Any]) -> str:
    out = [f"backtest of {plain(summary['policy'])} on {plain(summary['kernel'])}, "
           f"{_outcome(summary)}"]
    for point in summary["points"]:
        out.append(f"  at {plain(point['at'])} ({point['commit'][:12]}, {point['day']}): "
                   f"{point['units']} units, {point['removed']} removed by "
                   f"{point['outcome']['day']} ({point['outcome']['commit'][:12]})")
        out.extend(f"    warning: {plain(w)}" for w in point["warnings"])
    for group in summary["groups"]:
        out.append("")
        out.append(f"== {plain(group['at'])}: {group['units']} units, "
                   f"{group['removed']} removed")
        warning = small_sample_warning(group)
        if warning:
            out.append(f"warning: {warning}")
        out.append(f"score ROC AUC {_fmt(group['auc'])}{_ci(group)}; deprecate+remove "
                   f"precision {_fmt(group['precision'])}, recall {_fmt(group['recall'])}")
        out.append("verdict         kept  removed")
        for verdict in VERDICTS:
            out.append(f"{verdict:<14} {group['confusion']['kept'][verdict]:>5}  "
                       f"{group['confusion']['removed'][verdict]:>7}")
        out.append("single-signal AUC (higher value read as kept): " + ", ".join(
            f"{name} {_fmt(value)}" for name, value in group["signal_auc"].items()))
        out.append("lowest-scoring kept:")
        for row in group["lowest_kept"]:
            out.append(f"  {row['score']:+g} {row['verdict']:<13} {plain(row['unit'])} "
                       f"[{plain(row['at'])}] {_signals_text(row['signals'])}")
        out.append("highest-scoring removed:")
        for row in group["highest_removed"]:
            removal = row["removal"]
            out.append(f"  {row['score']:+g} {row['verdict']:<13} {plain(row['unit'])} "
                       f"[{plain(row['at'])}] {_signals_text(row['signals'])}; removed "
                       f"{removal['day']} {removal['commit'][:12]} {plain(removal['subject'])}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------
# Markdown


def to_markdown(summary: dict[str, Any]) -> str:
    from checker.render.markdown import md_cell, md_code

    out = [f"## Backtest: {md_cell(summary['policy'])}", "",
           f"O{_outcome(summary, md_code)[1:]}; bootstrap "
           f"{summary['resamples']} resamples, seed {summary['seed']}.", "",
           "| at | commit | day | units | outcome at | removed by then |",
           "|---|---|---|---:|---|---:|"]
    for p in summary["points"]:
        out.append(f"| {md_code(p['at'])} | {p['commit'][:12]} | {p['day']} | {p['units']} | "
                   f"{p['outcome']['day']} ({p['outcome']['commit'][:12]}) | "
                   f"{p['removed']} |")
    out += ["", "| at | units | removed | score AUC (95% CI) | precision | recall |",
            "|---|---:|---:|---|---:|---:|"]
    for g in summary["groups"]:
        out.append(f"| {md_code(g['at'])} | {g['units']} | {g['removed']} | "
                   f"{_fmt(g['auc'])}{_ci(g)} | {_fmt(g['precision'])} | "
                   f"{_fmt(g['recall'])} |")
    for g in summary["groups"]:
        out += ["", f"### {md_cell(g['at'])}", ""]
        warning = small_sample_warning(g)
        if warning:
            out += [f"**Warning**: {md_cell(warning)}.", ""]
        out += ["| verdict | kept | removed |", "|---|---:|---:|"]
        for verdict in VERDICTS:
            out.append(f"| {verdict} | {g['confusion']['kept'][verdict]} | "
                       f"{g['confusion']['removed'][verdict]} |")
        out += ["", "| signal | AUC |", "|---|---:|"]
        out += [f"| {name} | {_fmt(value)} |" for name, value in g["signal_auc"].items()]
        for title, rows in (("Lowest-scoring kept", g["lowest_kept"]),
                            ("Highest-scoring removed", g["highest_removed"])):
            out += ["", f"{title}:", "", "| unit | at | score | verdict | signals | removal |",
                    "|---|---|---:|---|---|---|"]
            for row in rows:
                removal = row.get("removal")
                what = "" if removal is None else (
                    f"{removal['day']} {removal['commit'][:12]} {md_cell(removal['subject'])}")
                out.append(f"| {md_cell(row['unit'])} | {md_cell(row['at'])} | "
                           f"{row['score']:+g} | {row['verdict']} | "
                           f"{md_cell(_signals_text(row['signals']))} | {what} |")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------
# SVG

SIZE = 240  # plot side, in SVG user units
PAD = 40
COLOURS = ("#3b6ea5", "#c4432b", "#3f8f4f", "#8a5cb8", "#b8860b", "#555555")


def to_svg(summary: dict[str, Any]) -> str:
    """ROC curves of the score, one per group, with the diagonal of no information.
    Coordinates are integers (same bytes everywhere)."""
    groups: Sequence[dict[str, Any]] = summary["groups"]
    width, height = SIZE + 2 * PAD + 300, SIZE + 2 * PAD
    title = f"ROC of the policy score: {summary['policy']}"

    def xy(fpr: float, tpr: float) -> str:
        return f"{PAD + round(fpr * SIZE)},{PAD + SIZE - round(tpr * SIZE)}"

    lines = [
        xml_comment(f"Generated by driver-policy backtest from {summary['kernel']}"),
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#424a53">',
        f'<title id="title">{escape(title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{PAD}" y="22" font-weight="600">{escape(title)}</text>',
        f'<rect x="{PAD}" y="{PAD}" width="{SIZE}" height="{SIZE}" fill="none" '
        'stroke="#8c959f"/>',
        f'<polyline points="{xy(0, 0)} {xy(1, 1)}" fill="none" stroke="#d8dee4" '
        'stroke-dasharray="4 4"/>',
        f'<text x="{PAD + SIZE // 2}" y="{PAD + SIZE + 28}" text-anchor="middle">'
        "false-positive rate (kept units flagged)</text>",
        f'<text x="14" y="{PAD + SIZE // 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {PAD + SIZE // 2})">true-positive rate (removals '
        "flagged)</text>",
    ]
    for index, group in enumerate(groups):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(xy(x, y) for x, y in group["roc"])
        if points:
            lines.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"><title>{escape(str(group["at"]))}</title>'
                         "</polyline>")
        label = f"{group['at']}: AUC {_fmt(group['auc'])} (n={group['units']}, " \
                f"{group['removed']} removed)"
        y = PAD + 14 + 16 * index
        lines.append(f'<rect x="{PAD + SIZE + 12}" y="{y - 8}" width="10" height="10" '
                     f'fill="{colour}"/>')
        lines.append(f'<text x="{PAD + SIZE + 26}" y="{y + 1}">{escape(label)}</text>')
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def render(summary: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return to_json(summary)
    if fmt == "markdown":
        return to_markdown(summary)
    return to_text(summary)


__all__ = ["FLAGGED", "render", "summarize", "to_svg"]
