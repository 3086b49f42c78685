"""`calibrate`: fit the policy's signal numbers on one tree's past removals, test them on
the removals that came after, and write the candidate for review."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from checker.cli.commands.backtest import _count
from checker.cli.commands.common import repo_root
from checker.core.errors import CheckerError, UsageError

EPILOG = """\
what it does (see docs/backtest.md, Calibration):
  train  the units present at OLD (default: calibration.train_months before DATE),
         signals as of OLD, judged by what the tree removed between OLD and DATE;
  fit    the points of the probes in the policy's calibration: section (integers in
         calibration.points, bands kept monotone) by coordinate ascent on the training
         ROC AUC, each change kept only when the policy fixtures still agree; then
         keep-annotate so that deprecate+remove flags at most calibration.flag_share
         of the units while catching the most removals;
  test   the units present at DATE, signals as of DATE, judged by what the tree
         removed between DATE and NEW: the held-out AUC of the candidate and of the
         input policy on the same units.
  Nothing after DATE reaches the fit. With fewer than calibration.min_removals
  removals in training, only the thresholds are fitted.

writes (in --out, default ./calibration):
  policy.yaml   the candidate: the input policy's text with the fitted numbers
                (marked `# calibrated:`), version + 1, and how it was fitted
  backtest.md   the fit, every changed number, and the held-out backtest
  impact.md     `driver-policy impact` of the candidate on this repository's drivers

examples:
  driver-policy calibrate --kernel ~/src/barebox --train-until 2022-01-01 \\
      --discover drivers --profile barebox
  driver-policy calibrate --kernel ~/src/dpdk --train-until 2021-01-01 \\
      --at 2016-01-01 --simple-units 'drivers/*' --out /tmp/dpdk-calibration
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="fit the policy's signal numbers on a tree's past removals (a candidate "
        "policy, tested on later removals)",
        description="Fit the points and thresholds of the policy's signal probes on the "
        "removals a tree made before a date, test the result on the removals after it, "
        "and write the candidate policy with its backtest and impact reports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kernel", required=True, metavar="PATH",
                        help="a git repository of the tree (bare or not; full history)")
    parser.add_argument("--train-until", required=True, metavar="DATE",
                        help="YYYY-MM-DD: training sees removals until this day, the test "
                        "those after it; the units at DATE also bound the share the fit "
                        "may flag (calibration.flag_share), their outcomes unread")
    parser.add_argument("--at", metavar="OLD", action="append", default=[],
                        help="revision or YYYY-MM-DD of the training units (default: "
                        "calibration.train_months before DATE); repeatable: the points are "
                        "pooled, each judged by DATE, so that a tree with few removals a "
                        "period can still be fitted")
    parser.add_argument("--to", default="HEAD", metavar="NEW",
                        help="revision or YYYY-MM-DD whose tree judges the test (default: HEAD)")
    parser.add_argument("--policy", metavar="FILE", default=None,
                        help="the policy to start from (default: policies/default.yaml)")
    parser.add_argument("--discover", action="append", metavar="DIR", default=[],
                        help="the units `new --discover DIR` would scaffold at each point "
                        "(repeatable)")
    parser.add_argument("--profile", choices=("linux", "barebox", "dpdk", "rdma-core"),
                        help="discover rules by name (as `init --profile`)")
    parser.add_argument("--simple-units", action="append", metavar="DIR", default=[],
                        help="one unit per child of DIR (globs match whole components); "
                        "repeatable")
    parser.add_argument("--out", metavar="DIR", default="calibration",
                        help="where to write policy.yaml, backtest.md and impact.md "
                        "(default: ./calibration)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="what is printed (default: text)")
    parser.add_argument("--top", type=_count, default=10, metavar="N",
                        help="units listed per table of the held-out report (default: 10)")
    parser.add_argument("--bootstrap", type=_count, default=1000, metavar="N",
                        help="bootstrap resamples for the AUC intervals (default: 1000)")
    parser.add_argument("--seed", type=int, default=12, metavar="N",
                        help="seed of the bootstrap (default: 12)")
    parser.add_argument("--jobs", "-j", type=_count, default=0, metavar="N",
                        help="processes walking history at once (default: one per core)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--no-usage", action="store_true",
                        help="do not evaluate the tree's configurations (usage unknown)")
    parser.set_defaults(func=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    root = repo_root(args)
    from checker.backtest.calibrate import (
        candidate_text,
        changed_numbers,
        header_lines,
        run_calibration,
    )
    from checker.backtest.calreport import summarize_calibration, to_json, to_markdown, to_text
    from checker.cli.commands.backtest import unit_source
    from checker.core.progress import BarPerLabel
    from checker.load.document import read_document
    from checker.load.fsutil import read_text, write_atomic
    from checker.validate.policy import load_policy

    policy_path = Path(args.policy) if args.policy else root / "policies" / "default.yaml"
    display = str(args.policy or "policies/default.yaml")
    if not policy_path.is_file():
        raise UsageError(f"--policy {policy_path}: no such file")
    policy = load_policy(policy_path, display)
    for option, text in (("--train-until", args.train_until), ("--to", args.to),
                         *(("--at", at) for at in args.at)):
        if not text or text.startswith("-"):
            raise UsageError(f"{option} {text!r}: a revision cannot be empty or begin with '-'")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: not a directory")
    units_for, raw = unit_source(args, policy, root)
    fixtures = _fixtures(root)
    from checker.cli.commands.collect import usage_options

    usage = usage_options(argparse.Namespace(no_usage=args.no_usage, config=[]), raw)
    progress = BarPerLabel("calibrate: collect at ", unit="commit", quiet=args.quiet)

    try:
        cal = run_calibration(Path(args.kernel), args.train_until, policy, units_for,
                              fixtures, at=args.at, to=args.to, jobs=args.jobs, usage=usage,
                              progress=progress)
    finally:
        progress.close()
    command = _command(args)
    doc, problems = read_document(policy_path, display)
    if doc is None:  # load_policy read it a moment ago
        raise CheckerError("\n".join(str(p) for p in problems))
    text = candidate_text(read_text(policy_path, display), doc.locate,
                          changed_numbers(policy, cal.candidate, cal.fit),
                          (policy.version, cal.candidate.version),
                          header_lines(cal, command))
    files = [str(out / name) for name in ("policy.yaml", "backtest.md", "impact.md")]
    data = summarize_calibration(cal, seed=args.seed, resamples=args.bootstrap, top=args.top,
                                 files=files)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "policy.yaml", text.encode(), durable=False)
    write_atomic(out / "backtest.md", to_markdown(data).encode(), durable=False)
    write_atomic(out / "impact.md", _impact(root, out / "policy.yaml").encode(), durable=False)
    if args.format == "json":
        for item in data["held_out"].values():
            item.pop("summary")
        sys.stdout.write(to_json(data))
    else:
        sys.stdout.write(to_text(data))
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command that made the candidate, from what was parsed (for its comment)."""
    words = ["driver-policy", "calibrate", "--kernel", args.kernel, "--train-until",
             args.train_until]
    for option, value in (("--to", None if args.to == "HEAD" else args.to),
                          ("--policy", args.policy), ("--profile", args.profile)):
        if value:
            words += [option, value]
    for option, values in (("--at", args.at), ("--discover", args.discover),
                           ("--simple-units", args.simple_units)):
        for value in values:
            words += [option, value]
    if args.no_usage:
        words.append("--no-usage")
    return " ".join(shlex.quote(w) for w in words)


def _fixtures(root: Path) -> list[Any]:
    """The repository's policy fixtures: the fit keeps every one that agrees agreeing."""
    from checker.load.layout import relative
    from checker.validate.workspace import load_workspace

    directory = root / "policies" / "tests"
    files = sorted(directory.glob("*.y*ml")) if directory.is_dir() else []
    workspace = load_workspace(root, [relative(root, p) for p in files])
    bad = [str(p) for p in workspace.problems if p.path.startswith("policies/tests/")]
    if bad:
        raise CheckerError("the policy fixtures have problems:\n" + "\n".join(bad))
    return list(workspace.fixtures)


def _impact(root: Path, candidate_path: Path) -> str:
    """`driver-policy impact --policy CANDIDATE --format markdown`, as text."""
    import dataclasses
    import io

    from checker.evaluate.compare import compare
    from checker.load.layout import DEFAULT_POLICY
    from checker.report.comparison import emit
    from checker.validate.policy import load_policy
    from checker.validate.workspace import load_workspace

    current = load_workspace(root)
    if current.policy is None:
        return f"The repository's policy ({DEFAULT_POLICY}) is invalid: no impact computed.\n"
    candidate = load_policy(candidate_path, str(candidate_path))
    comparison = compare(current, dataclasses.replace(current, policy=candidate),
                         base_label=f"{DEFAULT_POLICY} ({current.policy.label})",
                         head_label=f"{candidate_path} ({candidate.label})")
    buffer = io.StringIO()
    emit(comparison, "markdown", buffer, root, mode="impact", full_report=None)
    return buffer.getvalue()
