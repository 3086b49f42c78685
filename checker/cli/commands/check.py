"""`driver-policy check`: the main job. Validate, recompute verdicts, check generated files."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

from checker.cli.commands.common import add_format, parse_date, repo_root
from checker.report.problems import FORMATS, summary_line

# What `check FILE... --verdicts-only` reports: the rest is `validate`'s.
VERDICT_RULES = frozenset({"verdict", "fixture", "draft"})


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "check",
        help="validate everything, recompute every verdict, check generated files are current",
        description="The main job, for CI and pre-commit: validate every file, recompute "
        "every verdict from evidence + policy and compare it with the recorded one, run "
        "the policy fixtures, and check that generated files (schema/, cards/) are current.",
        epilog="examples:\n  driver-policy check\n  driver-policy check --format sarif > "
        "results.sarif\n  driver-policy check --today 2027-01-01   # test override expiry\n"
        "  driver-policy check drivers/infiniband/ipoib.yaml   # one file (pre-commit)\n"
        "  driver-policy check -q --list-drafts   # problems, and what each draft lacks",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="check only these files and the verdicts they decide (the default policy: "
        "every driver and fixture); generated files are then not checked",
    )
    add_format(parser, FORMATS)
    parser.add_argument(
        "--verdicts-only",
        action="store_true",
        help="with PATH...: report only verdict findings (recorded against computed, "
        "drafts, fixtures); a file that fails validation is left to `validate` (the "
        "pre-commit hooks run both: one finding, one message)",
    )
    parser.add_argument(
        "--today",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day to check as of: overrides expire against it and no evidence may be "
        "dated after it (default: today's date, read once)",
    )
    parser.add_argument(
        "--list-drafts",
        action="store_true",
        help="list every draft and what it lacks (text format; by default the drafts are "
        "one line, so that problems stand out)",
    )
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the result cache (.driver-policy-cache/)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="worker processes for a cold run (default: the number of cores)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checker.load.layout import expand
    from checker.report.problems import errors, report

    root = repo_root(args)
    today: date = args.today
    files = expand(root, args.paths) if args.paths else None
    if args.jobs is not None and args.jobs < 1:
        from checker.core.errors import UsageError

        raise UsageError("--jobs must be at least 1")
    with _no_cache(args.no_cache):
        if files is None:
            from checker.check.pipeline import run_check

            result = run_check(root, today, use_cache=not args.no_cache, jobs=args.jobs)
            problems, checked, summary = result.problems, result.files, result.summary
        else:
            problems, checked, summary = gather(root, today, files)
            if args.verdicts_only:
                problems = [p for p in problems if p.rule in VERDICT_RULES]
    report(problems, args.format, sys.stdout, checked=checked, summary=summary,
           list_drafts=args.list_drafts)
    return 1 if errors(problems) else 0


@contextlib.contextmanager
def _no_cache(enabled: bool) -> Iterator[None]:
    """--no-cache: one switch that every part (and worker process) honours, for this
    command only (main() may run in a process that goes on, as the tests do)."""
    if not enabled:
        yield
        return
    previous = os.environ.get("DRIVER_POLICY_NO_CACHE")
    os.environ["DRIVER_POLICY_NO_CACHE"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DRIVER_POLICY_NO_CACHE"]
        else:
            os.environ["DRIVER_POLICY_NO_CACHE"] = previous


def gather(root: Any, today: date, files: list[str]) -> tuple[list[Any], int, str]:
    """`check FILE...`: those files and the verdicts they decide (generated files are the
    whole repository's business: a full `check` compares them)."""
    from checker.evaluate.consistency import check_driver, check_fixture
    from checker.validate.dates import future_problems
    from checker.validate.workspace import DEFAULT_POLICY, document_locator, load_workspace

    # A changed default policy can change every verdict: then everything is checked.
    workspace = load_workspace(root, None if DEFAULT_POLICY in files else files)
    problems = list(workspace.problems)
    locate = document_locator(workspace)
    outcomes = []
    if workspace.policy is not None:
        for driver in workspace.drivers:
            outcome, found = check_driver(driver, workspace.policy, today, locate)
            outcomes.append(outcome)
            problems += found
            problems += future_problems(driver, today, locate)
        for fixture in workspace.fixtures:
            problems += check_fixture(fixture, workspace.policy, locate)[1]
    counts = Counter(o.effective for o in outcomes if not o.driver.draft)
    drafts = sum(1 for o in outcomes if o.driver.draft)
    overrides = sum(1 for o in outcomes if o.overridden)
    policy = workspace.policy.label if workspace.policy else "invalid policy"
    summary = summary_line(len(outcomes), policy, counts, overrides=overrides, drafts=drafts,
                           fixtures=len(workspace.fixtures))
    return sorted(set(problems)), len(files), summary
