"""Leave-one-tree-out calibration of the default policy (issue 22). Slow: not a test.

    python benchmarks/calibration.py --workdir /tmp/loto \\
        --linux-pair /work/trees/linux-pair --barebox /tmp/barebox.git \\
        --dpdk /tmp/dpdk.git --rdma-core /tmp/rdma.git --nuttx /tmp/nuttx.git \\
        --out loto.md --write-policy candidate.yaml

For every tree, the units at each of its points (TREES below) are collected once as of
that point (signals, MAINTAINERS, usage: `checker/backtest/engine.gather`, nothing later
read) and judged by what the tree removed afterwards; the samples are kept in --workdir
(pickles keyed by tree head, point and the policy's collect rules), so that a second run
only fits. Then:

1. **leave one tree out**: for each tree T, `calibrate`'s fit on the other trees (each
   tree one stratum), the fitted policy scored on T: held-out AUC with its bootstrap
   95% CI (1,000 resamples, seed 12), beside the starting policy's AUC on T;
2. **all trees**: the fit on every tree: the numbers proposed for the default policy
   (`--write-policy`: the policy's text with those numbers, as `calibrate` writes it);
3. **temporal hold-out**, for each tree with a `temporal` date: starting from (2), fit on
   the units at the tree's training points (default DATE minus 60 months; several are
   pooled) judged by removals until DATE, test on the units at DATE judged by removals
   since (what `driver-policy calibrate --train-until DATE --at P1 --at P2` does);
4. **a freshly onboarded tree**: under (1)'s held-out policy, the share of units flagged
   deprecate or remove, and of the units removed within 24 months of the point, the
   share flagged; the largest confidence of any unit (deployment, hardware and user
   reports are unknown for every one: the cap says 0.6); the policy fixtures under (2);
   and the share flagged of the units at each tree's head (today's tree, as a user
   onboards it).

Every fit also holds the share it flags to `calibration.flag_share` on the units at the
head of each tree it is fitted on (and, for the temporal hold-out, at DATE), with their
outcomes left out, as `calibrate` does (`checker/backtest/calibrate.present_samples`): a
tree is onboarded as it is now, and a share fitted on the past grows as code ages. A
fold never sees the left-out tree's head.

Linux 6.1 -> 6.12 is one commit (release tarballs): the removal "commit" is the release
("Linux 6.12 ..."), added to the removal patterns for that tree, and git's rename limit
is raised so that files moved between releases are moves, not removals.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.backtest.calibrate import (  # noqa: E402
    candidate_text,
    changed_numbers,
    fit_samples,
    present_samples,
    training_samples,
)
from checker.backtest.coding import with_numbers  # noqa: E402
from checker.backtest.engine import Gathered, gather, months_after, score  # noqa: E402
from checker.backtest.fit import Settings  # noqa: E402
from checker.backtest.metrics import FLAGGED, auc, bootstrap_auc  # noqa: E402
from checker.validate.policy import Policy, load_policy  # noqa: E402

SEED, RESAMPLES = 12, 1000


@dataclass(frozen=True)
class Tree:
    name: str
    option: str
    points: tuple[str, ...]
    units: str  # "discover" or "simple"
    dirs: tuple[str, ...]
    rules: str | None = None  # a bundled profile, "learn", or None (simple units)
    temporal: str | None = None  # DATE of the temporal hold-out
    temporal_from: tuple[str, ...] = ()  # its training points (default DATE - 60 months)
    extra_patterns: tuple[str, ...] = ()
    rename_limit: int | None = None
    head: bool = True  # whether its head can be collected (its units as a user sees them)


TREES = (
    # its head is the 6.12 tarball, whose history is two release commits (sweeps): the
    # history probes say unknown there (collect's tree_months), as on a tree onboarded
    # from a tarball
    Tree("Linux 6.1 -> 6.12", "linux_pair", ("2022-12-11",), "discover", ("drivers",),
         "linux", extra_patterns=(r"^Linux 6\.12 ",), rename_limit=20000),
    # the same two trees with Debian's 5.10 below them, one commit per release: a second
    # point of Linux, and a temporal hold-out (give this or --linux-pair, not both)
    Tree("Linux 5.10 -> 6.1 -> 6.12", "linux_chain", ("2020-12-13", "2022-12-11"),
         "discover", ("drivers",), "linux",
         extra_patterns=(r"^Linux 6\.1 ", r"^Linux 6\.12 "), rename_limit=20000,
         temporal="2022-12-11", temporal_from=("2020-12-13",)),
    Tree("barebox", "barebox", ("2016-01-01", "2019-01-01", "2022-01-01"), "discover",
         ("drivers",), "barebox", temporal="2023-01-01",
         temporal_from=("2014-01-01", "2016-01-01", "2018-01-01", "2020-01-01")),
    Tree("DPDK", "dpdk", ("2019-01-01", "2021-01-01", "2023-01-01"), "simple",
         ("drivers/*",), temporal="2021-01-01"),
    Tree("rdma-core", "rdma_core", ("2017-06-01", "2019-01-01", "2020-06-01"), "simple",
         ("providers",)),
    # discovery finds NuttX's drivers from 2020 on (its build files changed), and NuttX
    # has removed almost no driver since: the points are before, with simple units
    # its mirror lacks blobs that the last five years' history needs (git log stops on
    # them): no head
    Tree("NuttX", "nuttx", ("2016-01-01", "2018-01-01"), "simple", ("drivers/*",), "learn",
         head=False),
)


def tree_policy(base: Policy, tree: Tree, repo_path: Path) -> tuple[Policy, dict[str, Any]]:
    """The policy a tree is gathered under (its removal patterns and rename limit), and
    the raw policy its units and usage read (its discover rules)."""
    from ruamel.yaml import YAML

    from checker.cli.commands.init import SKELETON

    raw = dict(base.raw)
    section = dict(raw.get("backtest") or {})
    section["removal_patterns"] = [*section["removal_patterns"], *tree.extra_patterns]
    if tree.rename_limit:
        section["rename_limit"] = tree.rename_limit
    raw["backtest"] = section
    if tree.rules == "learn":
        from checker.collect.gitrepo import open_repo, resolve
        from checker.discover.learn import learn, section_mapping

        repo = open_repo(repo_path)
        try:
            raw.update(section_mapping(learn(repo, resolve(repo, "HEAD").sha)))
        finally:
            repo.close()
    elif tree.rules:
        profile = YAML(typ="safe").load(
            (SKELETON / "profiles" / f"{tree.rules}.yaml").read_text(encoding="utf-8"))
        raw["discover"] = profile["discover"]
    return dataclasses.replace(base, raw=raw), raw


def units_source(tree: Tree, raw: dict[str, Any]) -> Any:
    from checker.backtest.units import discover_units, discovered_units

    if tree.units == "simple":
        return lambda repo, sha, paths: discover_units(paths, list(tree.dirs))
    return lambda repo, sha, paths: discovered_units(repo, sha, list(tree.dirs), raw)


def gathered(workdir: Path, tree: Tree, path: Path, base: Policy, at: str, to: str
             ) -> Gathered:
    """One point of one tree, collected once and kept in `workdir`."""
    from checker.cli.commands.collect import usage_options
    from checker.collect.gitrepo import open_repo, resolve

    repo = open_repo(path)
    try:
        head = resolve(repo, "HEAD").sha
    finally:
        repo.close()
    policy, raw = tree_policy(base, tree, path)
    key = hashlib.sha256(json.dumps(
        [tree.name, head, at, to, tree.units, tree.dirs, tree.rules, raw["window"],
         raw["collect"], raw.get("backtest"), raw.get("discover")],
        sort_keys=True, default=str).encode()).hexdigest()[:16]
    cache = workdir / f"{tree.option}-{at}-{key}.pickle"
    if cache.is_file():
        with cache.open("rb") as handle:
            found: Gathered = pickle.load(handle)
        return found
    started = time.monotonic()
    usage = usage_options(argparse.Namespace(no_usage=False, config=[]), raw)
    found = gather(path, [at], to, policy, units_source(tree, raw), usage=usage)
    print(f"  gathered {tree.name} at {at} (to {to}): {found.points[0].units} units, "
          f"{found.points[0].removed} removed, {time.monotonic() - started:.0f} s",
          file=sys.stderr)
    # a point whose configurations went unevaluated scores without its usage signals:
    # say so where the run is watched (barebox 2016-2020 once did, unseen)
    for warning in found.points[0].warnings:
        print(f"    warning: {warning}", file=sys.stderr)
    with cache.open("wb") as handle:
        pickle.dump(found, handle)
    return found


def samples(name: str, data: dict[str, list[Gathered]], recall_months: int | None
            ) -> list[tuple[str, Any, bool, bool]]:
    """A tree's samples for a fit: its points, judged by its removals; its head, whose
    outcomes are left out (it only bounds the share flagged)."""
    return [*(s for g in data[name] for s in training_samples(g, recall_months, name)),
            *(s for g in data.get(name + " head", []) for s in present_samples(g, name + " head"))]


def measure(policy: Policy, data: list[Gathered]) -> dict[str, Any]:
    """AUC with CI, flagged share, recall, within-24-months recall, largest confidence."""
    rows = [row for g in data for row in score(g, policy).rows]
    days = {p.label: p.day for g in data for p in g.points}
    kept = [r.score for r in rows if not r.removed]
    removed = [r.score for r in rows if r.removed]
    value = auc(kept, removed)
    interval = bootstrap_auc(kept, removed, RESAMPLES, SEED)
    flagged = [r for r in rows if r.verdict in FLAGGED]
    soon = [r for r in rows if r.removal is not None
            and r.removal.day <= months_after(days[r.at], 24)]
    return {
        "units": len(rows), "removed": len(removed), "auc": value,
        "ci": None if interval is None else (interval.low, interval.high),
        "share": len(flagged) / len(rows) if rows else None,
        "recall": (sum(1 for r in rows if r.removed and r.verdict in FLAGGED) / len(removed)
                   if removed else None),
        "removed_24": len(soon),
        "recall_24": (sum(1 for r in soon if r.verdict in FLAGGED) / len(soon)
                      if soon else None),
        "max_confidence": max((r.confidence for r in rows), default=None),
        "per_point": {label: auc([r.score for r in rows if r.at == label and not r.removed],
                                 [r.score for r in rows if r.at == label and r.removed])
                      for label in days},
    }


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def auc_text(m: dict[str, Any]) -> str:
    ci = m["ci"]
    return fmt(m["auc"]) + ("" if ci is None else f" ({fmt(ci[0])}-{fmt(ci[1])})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True)
    for tree in TREES:
        parser.add_argument("--" + tree.option.replace("_", "-"), type=Path, metavar="PATH")
    parser.add_argument("--policy", type=Path, default=ROOT / "benchmarks" / "policy-v2.yaml",
                        help="the starting policy (default: benchmarks/policy-v2.yaml)")
    parser.add_argument("--out", type=Path, help="write the Markdown tables here")
    parser.add_argument("--write-policy", type=Path,
                        help="write the all-trees fit as a candidate policy here")
    parser.add_argument("--gather-only", action="store_true")
    parser.add_argument("--min-gain", type=lambda t: [float(v) for v in t.split(",")],
                        default=[0.002, 0.005, 0.01, 0.02],
                        help="calibration.min_gain values tried by leave-one-tree-out")
    args = parser.parse_args()
    if args.linux_pair and args.linux_chain:
        parser.error("give --linux-pair or --linux-chain: they hold the same releases")
    args.workdir.mkdir(parents=True, exist_ok=True)
    base = load_policy(args.policy, str(args.policy))
    settings = Settings.from_policy(base)
    fixtures = load_fixtures()
    trees = [t for t in TREES if getattr(args, t.option)]
    if len(trees) < 2:
        parser.error("give at least two trees")
    print(f"load at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    data: dict[str, list[Gathered]] = {}
    train: dict[str, list[Gathered]] = {}
    for tree in trees:
        path = getattr(args, tree.option)
        data[tree.name] = [gathered(args.workdir, tree, path, base, at, "HEAD")
                           for at in tree.points]
        # the tree as a user onboards it: nothing removed yet, by construction
        if tree.head:
            data[tree.name + " head"] = [gathered(args.workdir, tree, path, base, "HEAD",
                                                  "HEAD")]
        if tree.temporal:
            data[tree.name + " test"] = [gathered(args.workdir, tree, path, base,
                                                  tree.temporal, "HEAD")]
            starts = tree.temporal_from or (months_after(
                _day(tree.temporal), -(settings.train_months or base.window_months)
            ).isoformat(),)
            train[tree.name] = [gathered(args.workdir, tree, path, base, start, tree.temporal)
                                for start in starts]
    if args.gather_only:
        return 0
    out = report(base, settings, fixtures, trees, data, train, args)
    sys.stdout.write(out)
    if args.out:
        args.out.write_text(out, encoding="utf-8")
    return 0


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def load_fixtures() -> list[Any]:
    from checker.validate.workspace import load_workspace

    files = sorted(f"policies/tests/{p.name}" for p in (ROOT / "policies" / "tests").glob("*.yaml"))
    return list(load_workspace(ROOT, files).fixtures)


def loto(base: Policy, settings: Settings, fixtures: list[Any], trees: list[Tree],
         data: dict[str, list[Gathered]]
         ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """For each tree, the fit on the others, measured on it."""
    held: dict[str, dict[str, Any]] = {}
    fits: dict[str, Any] = {}
    for tree in trees:
        others = [s for t in trees if t.name != tree.name
                  for s in samples(t.name, data, settings.recall_months)]
        started = time.monotonic()
        found, candidate = fit_samples(base, settings, others, fixtures)
        fits[tree.name] = (found, candidate, time.monotonic() - started)
        held[tree.name] = measure(candidate, data[tree.name])
        if tree.name + " head" in data:
            held[tree.name]["head_share"] = measure(candidate, data[tree.name + " head"])[
                "share"]
    return held, fits


def report(base: Policy, settings: Settings, fixtures: list[Any], trees: list[Tree],
           data: dict[str, list[Gathered]], train: dict[str, list[Gathered]],
           args: argparse.Namespace) -> str:
    lines = [f"Starting policy: {base.label}. Load at the end of gathering: "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.", ""]
    before = {tree.name: measure(base, data[tree.name]) for tree in trees}
    # 0. calibration.min_gain chosen by leave-one-tree-out: the mean held-out AUC
    sweep: dict[float, tuple[dict[str, dict[str, Any]], dict[str, Any]]] = {}
    for gain in args.min_gain:
        sweep[gain] = loto(base, dataclasses.replace(settings, min_gain=gain), fixtures,
                           trees, data)
    means = {g: sum(m["auc"] or 0.5 for m in held.values()) / len(held)
             for g, (held, _) in sweep.items()}
    best = max(sorted(means, reverse=True), key=lambda g: round(means[g], 4))
    settings = dataclasses.replace(settings, min_gain=best)
    held, fits = sweep[best]
    lines += ["### calibration.min_gain by leave-one-tree-out", "",
              "| min_gain | " + " | ".join(t.name for t in trees) + " | mean |",
              "|---:|" + "---:|" * (len(trees) + 1)]
    for gain, (result, _) in sweep.items():
        lines.append(f"| {gain:g} | " + " | ".join(fmt(result[t.name]["auc"]) for t in trees)
                     + f" | {'**' if gain == best else ''}{fmt(means[gain])}"
                     f"{'**' if gain == best else ''} |")
    lines += ["", f"Chosen: {best:g} (the best mean held-out AUC; ties: the larger, which "
              "changes fewer numbers).", ""]
    # 2. all trees
    everything = [s for t in trees for s in samples(t.name, data, settings.recall_months)]
    final, chosen = fit_samples(base, settings, everything, fixtures)
    if settings.min_gain != base.raw["calibration"]["min_gain"]:
        chosen = with_numbers(chosen, {("calibration", "min_gain"): settings.min_gain},
                              chosen.thresholds)
    # 3. temporal
    temporal: dict[str, tuple[dict[str, Any], dict[str, Any], Any]] = {}
    for tree in trees:
        if tree.name not in train:
            continue
        test = data[tree.name + " test"]
        found, candidate = fit_samples(
            chosen, settings, [*(s for g in train[tree.name]
                                 for s in training_samples(g, settings.recall_months)),
                               *present_samples(test[0], f"{tree.temporal}, outcomes not "
                                                "read")], fixtures)
        temporal[tree.name] = (measure(candidate, test), measure(chosen, test), found)
    lines += ["### Leave one tree out", "",
              "| tree | points | unit-points | removed | held-out AUC (95% CI) | per point | "
              f"{base.name} v{base.version} AUC (95% CI) | flagged | recall | removed "
              "within 24 months: flagged | largest confidence |",
              "|---|---|---:|---:|---|---|---|---:|---:|---|---:|"]
    for tree in trees:
        m, b = held[tree.name], before[tree.name]
        lines.append(f"| {tree.name} | {', '.join(tree.points)} | {m['units']} | {m['removed']} | "
                     f"**{auc_text(m)}** | "
                     + (", ".join(fmt(v) for v in m["per_point"].values())
                        if len(m["per_point"]) > 1 else "") +
                     f" | {auc_text(b)} | {pct(m['share'])} | "
                     f"{pct(m['recall'])} | {m['removed_24']}: {pct(m['recall_24'])} | "
                     f"{fmt(m['max_confidence'], 2)} |")
    heads = [t for t in trees if t.name + " head" in data]
    if heads:
        lines += ["", "Flagged (deprecate + remove) of the units at each tree's head, today's "
                  "tree as a user onboards it: held out (the fold without the tree) " + ", ".join(
                      f"{t.name} {pct(held[t.name].get('head_share'))} of "
                      f"{data[t.name + ' head'][0].points[0].units}" for t in heads)
                  + "; under the all-trees fit " + ", ".join(
                      f"{t.name} {pct(measure(chosen, data[t.name + ' head'])['share'])}"
                      for t in heads) + "."]
    lines += ["", "### Temporal hold-out (from the all-trees fit)", "",
              "| tree | train: units at (removed by DATE) | test: units at DATE (removed since) "
              "| test AUC calibrated (95% CI) | test AUC all-trees fit (95% CI) | flagged | "
              "recall |", "|---|---|---|---|---|---:|---:|"]
    for tree in trees:
        if tree.name not in temporal:
            continue
        m, b, found = temporal[tree.name]
        where = ", ".join(f"{g.points[0].label}: {g.points[0].units} ({g.points[0].removed})"
                          for g in train[tree.name])
        lines.append(f"| {tree.name} | {where} | "
                     f"{tree.temporal}: {m['units']} ({m['removed']}) | **{auc_text(m)}** | "
                     f"{auc_text(b)} | {pct(m['share'])} | {pct(m['recall'])} |")
    lines += ["", "In-sample (not held out): the all-trees fit on each tree: " + ", ".join(
        f"{t.name} {fmt(measure(chosen, data[t.name])['auc'])}" for t in trees) + ".", ""]
    lines += ["", f"### The all-trees fit ({chosen.label})", "",
              f"Training (stratified) AUC {fmt(final.auc_before)} -> {fmt(final.auc)}; "
              f"flagged per tree: " + ", ".join(
                  f"{k} {pct(v)}" for k, v in final.coverage.share.items())
              + f"; recall {pct(final.coverage.recall)}.", "",
              "| number | before | after | training AUC after |", "|---|---:|---:|---:|"]
    for change in final.changes:
        for label, was, now in zip(change.labels, change.before, change.after, strict=True):
            lines.append(f"| {label} | {was:g} | {now:g} | {fmt(change.auc)} |")
    for name in ("keep", "keep-annotate", "deprecate"):
        if final.thresholds[name] != base.thresholds[name]:
            lines.append(f"| threshold {name} | {base.thresholds[name]:g} | "
                         f"{final.thresholds[name]:g} | |")
    lines += [""] + [f"- warning: {w}" for w in final.warnings]
    from checker.evaluate.engine import evaluate

    agree = sum(1 for f in fixtures if evaluate(f.driver, chosen).value == f.expect_verdict
                and f.expect_rule in (None, evaluate(f.driver, chosen).rule))
    lines += ["", f"Policy fixtures under the all-trees fit: {agree}/{len(fixtures)} agree.",
              "", "Per left-out tree, the numbers its fit changed:", ""]
    for tree in trees:
        found, _candidate, seconds = fits[tree.name]
        changed = "; ".join(f"{label} {b:g}->{a:g}" for c in found.changes
                            for label, b, a in zip(c.labels, c.before, c.after, strict=True))
        lines.append(f"- without {tree.name} ({seconds:.1f} s): training AUC "
                     f"{fmt(found.auc_before)} -> {fmt(found.auc)}; thresholds "
                     f"{found.thresholds}; {changed or 'no change'}")
    if args.write_policy:
        from checker.load.document import read_document

        doc, _ = read_document(args.policy, str(args.policy))
        assert doc is not None
        text = candidate_text(
            args.policy.read_text(encoding="utf-8"), doc.locate,
            {**changed_numbers(base, chosen, final),
             **({("calibration", "min_gain"): (base.raw["calibration"]["min_gain"],
                                               settings.min_gain)}
                if settings.min_gain != base.raw["calibration"]["min_gain"] else {})},
            (base.version, chosen.version),
            [f"Candidate v{chosen.version}: fitted by benchmarks/calibration.py on "
             + ", ".join(t.name for t in trees) + " (leave-one-tree-out; docs/backtest.md)."])
        args.write_policy.write_text(text, encoding="utf-8")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
