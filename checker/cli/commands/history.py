"""`driver-policy history ID` and `driver-policy stale [--today DATE]`.

history walks the commits that touched one driver's file or the default policy (the only
commits at which its verdict can change) and evaluates it at each, reading git objects
(no checkout). stale lists evidence that has aged past the policy's `stale` limits;
its engine, stale_findings, is pure and takes the date as an argument.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from checker.cli.commands.common import add_format, load_valid_workspace, parse_date, repo_root
from checker.core.errors import UsageError
from checker.core.output import columns, emit, safe

if TYPE_CHECKING:
    from checker.check.history import Point
    from checker.validate.workspace import GitRepository


HISTORY_EPILOG = """\
examples:
  driver-policy history infiniband/ipoib
  driver-policy history drivers/net/smc-tcp-ulp.yaml --rev origin/main
  driver-policy history infiniband/ipoib --changes --format json
"""

STALE_EPILOG = """\
examples:
  driver-policy stale
  driver-policy stale --today 2027-06-01 --format github
"""


def register(sub: Any) -> None:
    history = sub.add_parser(
        "history",
        help="the verdict timeline of one driver, from git history",
        description="Evaluate one driver at every commit that changed its evidence file "
        "or the default policy (the commits at which its verdict can change), oldest "
        "first: commit, date, author, the recorded and computed verdict and the "
        "confidence at that commit, and the commit subject. Commits are read from git "
        "objects; the working tree is not touched. The timeline follows the file path: a "
        "renamed driver's earlier history is under its old id.",
        epilog=HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument("id", metavar="ID", help="driver id <subsystem>/<name>, or its file path")
    history.add_argument(
        "--rev", default="HEAD", metavar="REV", help="history up to this revision (default: HEAD)"
    )
    history.add_argument(
        "--changes",
        action="store_true",
        help="only the commits where the computed verdict, confidence or recorded verdict changed",
    )
    history.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    history.set_defaults(func=run_history)

    stale = sub.add_parser(
        "stale",
        help="evidence that has aged past the policy's limits",
        description="List evidence older than the policy's `stale` limits: sources whose "
        "date is more than stale.source_months before today (a partial date counts from "
        "the last day it may stand for; undated sources cannot age), signals whose window "
        "ended more than stale.signals_months before today, and overrides whose `until` "
        "has passed. Each is a finding at its line; the exit code is 1 when there is one.",
        epilog=STALE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stale.add_argument(
        "--today",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date evidence is aged against (default: today's date)",
    )
    add_format(stale)
    stale.set_defaults(func=run_stale)


# -- history --------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    from checker.check.history import _changes, driver_id_of, timeline
    from checker.load.gitsource import resolve_revision
    from checker.validate.workspace import open_repository

    ident = driver_id_of(args.id)
    opened = open_repository(repo_root(args))
    sha = resolve_revision(opened.repo, args.rev)
    points = timeline(opened, sha, ident)
    if not points:
        hint = _suggest(opened, sha, ident)
        raise UsageError(f"no driver {ident!r} in the history of {args.rev}{hint}")
    if args.changes:
        points = _changes(points)
    if args.format == "json":
        json.dump([asdict(p) for p in points], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(f"{ident}: verdict at each commit that changed drivers/{ident}.yaml or the policy")
    emit(history_table(points), sys.stdout)
    print("(* an override; ! the computed verdict changed at that commit)")
    return 0


def history_table(points: list[Point]) -> list[str]:
    """The timeline as aligned columns (each as wide as its content); author and
    subject, from the commit, escaped like every cell."""
    rows: list[list[str]] = [["COMMIT", "DATE", "RECORDED", "COMPUTED", "CONF", "CHANGED",
                              "AUTHOR: SUBJECT"]]
    previous: Point | None = None
    for p in points:
        if p.state == "valid":
            computed = p.computed or "-"
            if p.override:
                computed = f"{p.override}*"
            conf = f"{p.confidence:.2f}"
        else:
            computed, conf = f"({p.state})", "-"
        if previous and previous.computed != p.computed and p.state == "valid":
            computed += "!"
        rows.append([p.commit[:12], p.date[:10], p.recorded or "-", computed, conf, p.touched,
                     f"{p.author}: {p.subject}"])
        previous = p
    return columns(rows, right=(4,))


def _suggest(opened: GitRepository, sha: str, ident: str) -> str:
    import difflib

    from checker.load.layout import driver_id

    known = [i for i in map(driver_id, opened.source(sha).paths()) if i is not None]
    close = difflib.get_close_matches(ident, known, n=3)
    if close:
        return f"; did you mean {', '.join(close)}?"
    return f" (ids look like {', '.join(known[:4])})" if known else ""


# -- stale ----------------------------------------------------------------------------


def run_stale(args: argparse.Namespace) -> int:
    from checker.check.stale import stale_findings
    from checker.core.days import clamped
    from checker.report.problems import report

    workspace = load_valid_workspace(repo_root(args))

    def locate(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
        doc = workspace.documents.get(file)
        return doc.locate(keypath) if doc is not None else (1, 1)

    today: date = args.today
    findings = stale_findings(workspace.drivers, workspace.policy, today, locate)
    summary = (
        f"{len(workspace.drivers)} driver(s) checked on {today} against stale.source_months="
        f"{workspace.policy.stale['source_months']}, stale.signals_months="
        f"{workspace.policy.stale['signals_months']}"
    )
    beyond = [key for key in ("source_months", "signals_months")
              if clamped(today, -workspace.policy.stale[key])]
    for key in beyond:  # the cutoff is before 0001-01-01: nothing can be older than it
        summary += (f"; {workspace.policy.stale[key]} months before {today} is before year "
                    f"1, so nothing is stale by stale.{key}")
    report(findings, args.format, sys.stdout, checked=workspace.files, summary=summary)
    invalid = [p for p in workspace.problems if p.path.startswith("drivers/")]
    for problem in invalid:
        print(f"skipped (invalid): {safe(str(problem))}", file=sys.stderr)
    return 1 if findings or invalid else 0
