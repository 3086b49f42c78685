"""`backtest`: does the policy's score predict what upstream really removed?"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.cli.commands.common import repo_root
from checker.core.errors import CheckerError, UsageError

EPILOG = """\
what it does (see docs/backtest.md):
  At each --at point OLD (a revision, or a day YYYY-MM-DD: the last first-parent
  commit of --to on or before it), take the units present in the tree at OLD,
  collect their signals as of OLD (only commits reachable from OLD, the tree and
  .mailmap at OLD: nothing later leaks in), and evaluate them under the policy with
  every assessment field unknown, as a freshly scaffolded repository would hold them.
  Ground truth: a unit is removed when none of its files exists at --to, none left
  by a rename out of it, and most were deleted in commits whose subject matches the
  policy's backtest.removal_patterns.
  Reported: ROC AUC of the score (higher = kept) with a seeded bootstrap 95% CI,
  precision and recall of deprecate+remove, units per verdict for removed and kept,
  the AUC of single signals, and the lowest-scoring kept and highest-scoring
  removed units with their signals.

units:
  default             the repository's driver files (their paths.include/exclude)
  --discover DIR      the units `driver-policy new --discover DIR` would scaffold from
                      the tree at OLD (the policy's discover rules, or --profile's)
  --simple-units DIR  each subdirectory of DIR, and each source file with its
                      same-stem header, in the tree at OLD; DIR may be a glob
                      (`drivers/*`); repeat for several

examples:
  driver-policy backtest --kernel ~/src/dpdk --at 2021-01-01 --at 2023-01-01 \\
      --simple-units 'drivers/*'
  driver-policy backtest --kernel ~/src/rdma-core --at v22.0 --discover providers \\
      --profile rdma-core \\
      --format markdown --svg roc.svg
  driver-policy backtest --kernel ~/src/linux --at v6.1 --to v6.12 --policy cand.yaml
  driver-policy backtest --kernel ~/src/barebox --at 2019-01-01 --at 2022-01-01 \\
      --horizon 48 --simple-units 'drivers/*'   removals within four years of each point
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="measure how well the policy's score predicted real removals in git history",
        description="Score the units present at an old revision from signals as of then, "
        "and compare with what upstream removed afterwards.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kernel", required=True, metavar="PATH",
                        help="a git repository of the tree (bare or not; full history)")
    parser.add_argument("--at", action="append", required=True, metavar="OLD",
                        help="revision or YYYY-MM-DD to score units at (repeatable)")
    parser.add_argument("--to", default="HEAD", metavar="NEW",
                        help="revision or YYYY-MM-DD whose tree is the outcome (default: HEAD)")
    parser.add_argument("--horizon", type=_count, metavar="MONTHS", default=None,
                        help="judge each OLD by the tree this many months later (at most "
                        "NEW), so that points compare over the same horizon")
    parser.add_argument("--policy", metavar="FILE", default=None,
                        help="the policy to test (default: policies/default.yaml)")
    parser.add_argument("--discover", action="append", metavar="DIR", default=[],
                        help="score the units `new --discover DIR` would scaffold from the "
                        "tree at OLD (repeatable), under the policy's discover rules or "
                        "--profile's, instead of the repository's drivers")
    parser.add_argument("--profile", choices=("linux", "barebox", "dpdk", "rdma-core"),
                        help="discover rules by name (as `init --profile`)")
    parser.add_argument("--simple-units", action="append", metavar="DIR", default=[],
                        help="one unit per child of DIR (a subdirectory, or a source file "
                        "with its same-stem header); globs match whole components "
                        "(`drivers/*`); repeatable")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="report format (default: text)")
    parser.add_argument("--svg", metavar="FILE", help="also write the ROC chart as SVG")
    parser.add_argument("--top", type=_count, default=10, metavar="N",
                        help="lowest-scoring kept and highest-scoring removed units shown "
                        "(default: 10)")
    parser.add_argument("--bootstrap", type=_count, default=1000, metavar="N",
                        help="bootstrap resamples for the AUC interval (default: 1000)")
    parser.add_argument("--seed", type=int, default=12, metavar="N",
                        help="seed of the bootstrap (default: 12); same seed, same interval")
    parser.add_argument("--jobs", "-j", type=_count, default=0, metavar="N",
                        help="processes walking history at once (default: one per core)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--no-usage", action="store_true",
                        help="do not evaluate the tree's configurations at OLD (usage "
                        "signals null; faster)")
    parser.set_defaults(func=run_backtest_command)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative number")
    return value


def run_backtest_command(args: argparse.Namespace) -> int:
    root = repo_root(args)
    try:
        import git  # noqa: F401
    except ImportError as exc:
        raise CheckerError(f"backtest needs git and gitpython: {exc}") from None
    from checker.backtest.engine import run_backtest
    from checker.backtest.report import render, summarize, to_svg
    from checker.core.progress import BarPerLabel
    from checker.validate.policy import load_policy

    policy_path = Path(args.policy) if args.policy else root / "policies" / "default.yaml"
    if not policy_path.is_file():
        raise UsageError(f"--policy {policy_path}: no such file")
    policy = load_policy(policy_path, str(args.policy or "policies/default.yaml"))
    for text in args.at:
        if not text or text.startswith("-"):
            raise UsageError(f"--at {text!r}: a revision cannot be empty or begin with '-'")
    if args.to.startswith("-"):
        raise UsageError(f"--to {args.to!r}: a revision cannot begin with '-'")

    units_for, raw = unit_source(args, policy, root)

    progress = BarPerLabel("backtest at ", unit="commit", quiet=args.quiet)

    from checker.cli.commands.collect import usage_options

    usage = usage_options(argparse.Namespace(no_usage=args.no_usage, config=[]), raw)
    try:
        result = run_backtest(Path(args.kernel), args.at, args.to, policy, units_for,
                              jobs=args.jobs, horizon_months=args.horizon,
                              progress=progress, usage=usage)
    finally:
        progress.close()
    summary = summarize(result, seed=args.seed, resamples=args.bootstrap, top=args.top)
    sys.stdout.write(render(summary, args.format))
    if args.svg:
        from checker.load.fsutil import write_atomic

        write_atomic(Path(args.svg), to_svg(summary).encode(), durable=False)
    return 0


def unit_source(args: argparse.Namespace, policy: Any, root: Path
                ) -> tuple[Callable[[Any, str, list[str]], list[Any]], dict[str, Any]]:
    """The units to score (--discover, --simple-units, or the repository's drivers) and
    the raw policy their discovery and usage read (with --profile's discover rules)."""
    from checker.backtest.units import Unit, discover_units, discovered_units

    if args.discover and args.simple_units:
        raise UsageError("give --discover or --simple-units, not both")
    for directory in [*args.discover, *args.simple_units]:
        if directory.startswith(("/", "-")) or ".." in directory.split("/"):
            raise UsageError(f"{directory!r}: give a directory inside the tree, such "
                             "as drivers/net")
    if args.discover:
        directories = list(args.discover)
        raw: dict[str, Any] = dict(policy.raw)
        if args.profile:
            from ruamel.yaml import YAML

            from checker.cli.commands.init import SKELETON

            profile = YAML(typ="safe").load(
                (SKELETON / "profiles" / f"{args.profile}.yaml").read_text(encoding="utf-8"))
            raw["discover"] = profile["discover"]
        if not isinstance(raw.get("discover"), dict):
            raise CheckerError(f"{policy.file}: no `discover:` section; give --profile NAME "
                               "or use --simple-units DIR")

        def units_for(repo: Any, sha: str, paths: list[str]) -> list[Unit]:
            return discovered_units(repo, sha, directories, raw)
    elif args.simple_units:
        simple = list(args.simple_units)

        def units_for(repo: Any, sha: str, paths: list[str]) -> list[Unit]:
            return discover_units(paths, simple)
    else:
        repository_units = _repository_units(root)

        def units_for(repo: Any, sha: str, paths: list[str]) -> list[Unit]:
            return repository_units
    return units_for, raw if args.discover else dict(policy.raw)


def _repository_units(root: Path) -> list[Any]:
    from checker.backtest.units import Unit
    from checker.collect.driverfile import find_driver_files, read_driver

    units = []
    problems = []
    for path in find_driver_files(root):
        doc, paths, problem = read_driver(root, path)
        if doc is None or paths is None:
            problems.append(problem)
        else:
            units.append(Unit(paths.id, paths.include, paths.exclude))
    if problems:
        raise CheckerError("cannot read the drivers' paths:\n" + "\n".join(problems))
    if not units:
        raise CheckerError(f"no driver files under {root / 'drivers'}; use --discover DIR "
                           "to score units found in the tree")
    return units
