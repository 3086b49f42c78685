"""A calibration as plain data, then as text (the terminal) or Markdown (beside the
candidate policy).

Unit ids, commit subjects and revision names come from the kernel tree: text output goes
through `report.plain`, Markdown through the card renderer's escaping.
"""

from __future__ import annotations

import json
from typing import Any

from checker.backtest.calibrate import Calibration
from checker.backtest.coding import FLAGGED, path_text
from checker.backtest.engine import Gathered, score
from checker.backtest.report import plain, summarize
from checker.backtest.report import to_markdown as backtest_markdown
from checker.validate.policy import Policy
from checker.validate.schemas import VERDICTS


def _points(gathered: Gathered) -> list[dict[str, Any]]:
    return [{"at": p.label, "commit": p.sha, "day": p.day.isoformat(), "units": p.units,
             "removed": p.removed,
             "outcome": {"commit": p.outcome_sha,
                         "day": p.outcome_day.isoformat() if p.outcome_day else None},
             "warnings": list(p.warnings)} for p in gathered.points]


def _held_out(gathered: Gathered, policy: Policy, seed: int, resamples: int, top: int
              ) -> dict[str, Any]:
    summary = summarize(score(gathered, policy), seed=seed, resamples=resamples, top=top)
    group = summary["groups"][0]
    flagged = sum(group["confusion"][k][v] for k in ("kept", "removed") for v in FLAGGED)
    return {"policy": policy.label, "auc": group["auc"], "auc_ci": group["auc_ci"],
            "precision": group["precision"], "recall": group["recall"],
            "flagged": flagged, "flagged_share": round(flagged / group["units"], 4)
            if group["units"] else None, "summary": summary}


def summarize_calibration(cal: Calibration, *, seed: int, resamples: int, top: int,
                          files: list[str]) -> dict[str, Any]:
    found = cal.fit
    return {
        "kernel": cal.kernel,
        "train_until": cal.train_until,
        "policy": cal.policy.label,
        "candidate": cal.candidate.label,
        "settings": {"probes": list(cal.settings.probes),
                     "points": [cal.settings.low, cal.settings.high],
                     "flag_share": cal.settings.flag_share,
                     "min_removals": cal.settings.min_removals,
                     "min_gain": cal.settings.min_gain,
                     "max_changes": cal.settings.max_changes,
                     "recall_months": cal.settings.recall_months},
        "train": _points(cal.train),  # one or more points, pooled
        "test": _points(cal.test)[0],
        "fit": {
            "points_fitted": found.points_fitted,
            "auc_before": _round(found.auc_before),
            "auc_after": _round(found.auc),
            "changes": [
                {"round": c.round, "number": label, "path": path_text(path),
                 "before": before, "after": after, "training_auc": _round(c.auc),
                 "training_catch": _round(c.catch)}
                for c in found.changes
                for label, path, before, after in zip(c.labels, c.paths, c.before, c.after,
                                                      strict=True)
            ],
            "rejected_by_fixtures": found.rejected_by_guard,
            "thresholds_refused": found.thresholds_refused,
            "thresholds": {"before": found.thresholds_before, "after": found.thresholds},
            "training_flagged": {
                "before": {"share": _shares(found.coverage_before.share),
                           "recall": _round(found.coverage_before.recall)},
                "after": {"share": _shares(found.coverage.share),
                          "recall": _round(found.coverage.recall)},
            },
            "warnings": list(found.warnings),
        },
        "held_out": {
            "candidate": _held_out(cal.test, cal.candidate, seed, resamples, top),
            "input": _held_out(cal.test, cal.policy, seed, resamples, top),
        },
        "files": files,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _shares(shares: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in shares.items()}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _ci(item: dict[str, Any]) -> str:
    ci = item["auc_ci"]
    return "" if ci is None else f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})"


def _where(point: dict[str, Any]) -> str:
    return (f"{point['units']} units at {plain(point['at'])} ({point['commit'][:12]}, "
            f"{point['day']}), {point['removed']} removed by {point['outcome']['day']} "
            f"({point['outcome']['commit'][:12]})")


def to_text(data: dict[str, Any]) -> str:
    fit = data["fit"]
    out = [f"calibration of {plain(data['policy'])} on {plain(data['kernel'])}",
           *(f"  train: {_where(p)}" for p in data["train"]),
           f"  test:  {_where(data['test'])}"]
    for point in (*data["train"], data["test"]):
        out += [f"  warning: {plain(w)}" for w in point["warnings"]]
    out += [f"  warning: {plain(w)}" for w in fit["warnings"]]
    out.append(f"training AUC {_fmt(fit['auc_before'])} -> {_fmt(fit['auc_after'])}"
               + ("" if fit["points_fitted"] else " (points not fitted)"))
    if fit["changes"]:
        out.append("changed numbers (in the order the fit took them):")
        for c in fit["changes"]:
            out.append(f"  {c['path']}: {c['before']:g} -> {c['after']:g}  ({c['number']}; "
                       f"training AUC {_fmt(c['training_auc'])}, {_catch(c['training_catch'])})")
    elif fit["points_fitted"]:
        out.append("no point changed: no move raised the training AUC (or what deprecate+"
                   f"remove catches) by {data['settings']['min_gain']:g} within the bounds "
                   "while the fixtures still agreed")
    if fit["rejected_by_fixtures"]:
        out.append(f"  ({fit['rejected_by_fixtures']} better move(s) refused: a policy "
                   "fixture would no longer agree)")
    before, after = fit["thresholds"]["before"], fit["thresholds"]["after"]
    out.append("thresholds: " + ", ".join(
        f"{k} {before[k]:g}" + (f" -> {after[k]:g}" if after[k] != before[k] else "")
        for k in VERDICTS[:-1]) + (
        f" ({fit['thresholds_refused']} keep-annotate value(s) within the share refused: a "
        "fixture would no longer agree)" if fit["thresholds_refused"] else ""))
    flagged = fit["training_flagged"]
    out.append(f"training: deprecate+remove flags {_shares_text(flagged)} of the units "
               f"(target at most {_pct(data['settings']['flag_share'])}), catching "
               f"{_pct(flagged['before']['recall'])} -> {_pct(flagged['after']['recall'])} "
               f"of the removals{_within(data['settings'].get('recall_months'))}")
    out.append("held out (test):")
    for key in ("input", "candidate"):
        item = data["held_out"][key]
        out.append(f"  {plain(item['policy'])}: AUC {_fmt(item['auc'])}{_ci(item)}; "
                   f"flags {item['flagged']} ({_pct(item['flagged_share'])}), precision "
                   f"{_fmt(item['precision'])}, recall {_fmt(item['recall'])}")
    out += ["wrote:"] + [f"  {plain(f)}" for f in data["files"]]
    return "\n".join(out) + "\n"


def _catch(value: float) -> str:
    """Coverage.catch: the informedness within the flagged share (recall less the share
    flagged, from -1 to 1), or below -1 when over it (-1 less the largest share)."""
    if value < -1:
        return f"flags {_pct(-1 - value)}, over the share"
    return f"informedness {value:.3f} within the share (removals caught less units flagged)"


def _within(months: int | None) -> str:
    return "" if months is None else f" within {months} months of their point"


def _shares_text(flagged: dict[str, Any]) -> str:
    """`before -> after (point)` for each point of the fit."""
    before, after = flagged["before"]["share"], flagged["after"]["share"]
    return ", ".join(f"{_pct(v)} -> {_pct(after.get(k))} ({k})" for k, v in before.items()) \
        or "n/a"


def to_markdown(data: dict[str, Any]) -> str:
    """The report written beside the candidate: how it was fitted, then the held-out
    backtest of the candidate and of the input policy on the same units."""
    from checker.render.markdown import md_cell, md_code

    fit = data["fit"]
    out = [f"# Calibration of {md_cell(data['policy'])}", "",
           f"Kernel {md_code(data['kernel'])}; candidate {md_cell(data['candidate'])}.", "",
           "| | units | at | removed | judged at |", "|---|---:|---|---:|---|"]
    for name, p in (*(("train", p) for p in data["train"]), ("test", data["test"])):
        out.append(f"| {name} | {p['units']} | {md_code(p['at'])} {p['commit'][:12]} "
                   f"({p['day']}) | {p['removed']} | {p['outcome']['day']} "
                   f"({p['outcome']['commit'][:12]}) |")
    warnings = [*(w for p in data["train"] for w in p["warnings"]), *data["test"]["warnings"],
                *fit["warnings"]]
    if warnings:
        out += [""] + [f"- **warning**: {md_cell(w)}" for w in warnings]
    before, after = fit["thresholds"]["before"], fit["thresholds"]["after"]
    moved = [k for k in VERDICTS[:-1] if before[k] != after[k]]
    out += ["", f"Training AUC {_fmt(fit['auc_before'])} -> **{_fmt(fit['auc_after'])}**"
            + ("" if fit["points_fitted"] else " (points not fitted)") + "."]
    if fit["changes"] or moved:
        out += ["", "| number | before | after | what it scores | training AUC after | "
                "deprecate+remove after |", "|---|---:|---:|---|---:|---|"]
    else:
        out += ["", "No number changed."]
    for c in fit["changes"]:
        out.append(f"| `{c['path']}` | {c['before']:g} | {c['after']:g} | "
                   f"{md_cell(c['number'])} | {_fmt(c['training_auc'])} | "
                   f"{_catch(c['training_catch'])} |")
    for k in moved:
        out.append(f"| `thresholds.{k}` | {before[k]:g} | {after[k]:g} | the verdict's "
                   "lower bound | | |")
    if fit["rejected_by_fixtures"]:
        out += ["", f"{fit['rejected_by_fixtures']} better move(s) were refused because a "
                "policy fixture would no longer agree."]
    if fit["thresholds_refused"]:
        out += ["", f"{fit['thresholds_refused']} keep-annotate value(s) within the flagged "
                "share were refused because a policy fixture would no longer agree."]
    out += ["", "## Held out", "", "| policy | AUC (95% CI) | flagged | precision | recall |",
            "|---|---|---:|---:|---:|"]
    for key in ("input", "candidate"):
        item = data["held_out"][key]
        out.append(f"| {md_cell(item['policy'])} | {_fmt(item['auc'])}{_ci(item)} | "
                   f"{item['flagged']} ({_pct(item['flagged_share'])}) | "
                   f"{_fmt(item['precision'])} | {_fmt(item['recall'])} |")
    for key, title in (("candidate", "The candidate"), ("input", "The input policy")):
        body = "\n".join("#" + line if line.startswith("#") else line for line in
                         backtest_markdown(data["held_out"][key]["summary"]).splitlines())
        out += ["", f"## {title} on the held-out units", "", body]
    return "\n".join(out) + "\n"


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"
