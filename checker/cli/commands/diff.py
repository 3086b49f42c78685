"""`driver-policy diff BASE [HEAD]` and `driver-policy impact --policy FILE`.

diff loads the repository at two revisions straight from git objects (the working tree
is not touched) and reports what the change does to verdicts; impact evaluates the
working tree's drivers under the current and a candidate policy. Both build a
checker.evaluate.compare.Comparison, which checker.report.comparison prints as text, JSON, or
Markdown for a pull-request comment (templates/diff.md.j2).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from checker.cli.commands.common import add_today, repo_root
from checker.core.errors import CheckerError, UsageError
from checker.core.output import safe
from checker.report.comparison import FORMATS, MAX_COMMENT, emit

DIFF_EPILOG = """\
examples:
  driver-policy diff main                       # main -> the working tree (uncommitted too)
  driver-policy diff main HEAD                  # main -> the last commit
  driver-policy diff --merge-base origin/main HEAD --format markdown > comment.md
  driver-policy diff v1.0 v1.1 --format json
  driver-policy diff HEAD~1 --fail-on-change    # exit 1 when a verdict changed

exit codes: 0 (whatever changed), 1 with --fail-on-change when a verdict flipped or a
driver was added or removed, 1 when the policy's content changed but its `version` did
not (docs/policy.md), 2 for a revision that does not name a commit.
"""

IMPACT_EPILOG = """\
examples:
  driver-policy impact --policy /tmp/candidate.yaml
  driver-policy impact --policy policies/default.yaml.new --format markdown
  driver-policy impact --policy candidate.yaml --format json | jq '.flips[].id'
"""


def register(sub: Any) -> None:
    diff = sub.add_parser(
        "diff",
        help="what a change does to verdicts, between two git revisions",
        description="Load the repository at BASE and at HEAD straight from git objects "
        "(no checkout; the working tree is not touched), or, without HEAD, compare BASE "
        "with the working tree (uncommitted changes included; the header says which), "
        "and report: drivers added and "
        "removed, every verdict or confidence change with the probes that changed and "
        "what decides the verdict now, overrides added, changed, removed or expired, and "
        "the policy constants and thresholds that changed. --format markdown prints a "
        "pull-request comment (templates/diff.md.j2).",
        epilog=DIFF_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("base", metavar="BASE", help="the revision before the change")
    diff.add_argument(
        "head", metavar="HEAD", nargs="?", default=None,
        help="the revision after (default: the working tree, uncommitted changes included)"
    )
    diff.add_argument(
        "--merge-base",
        action="store_true",
        help="compare HEAD with the merge base of BASE and HEAD (what a pull request changes)",
    )
    _common(diff)
    add_today(diff, "overrides expire against it")
    diff.set_defaults(func=run_diff)

    impact = sub.add_parser(
        "impact",
        help="what-if: the verdicts a candidate policy would flip",
        description="Evaluate every driver of the working tree under the current policy "
        "(policies/default.yaml) and under a candidate policy file, and list every driver "
        "whose verdict would change, with the verdicts before and after, the probes that "
        "decide them, and the verdict distribution before and after. Nothing is written.",
        epilog=IMPACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    impact.add_argument(
        "--policy",
        required=True,
        metavar="CANDIDATE.yaml",
        help="the candidate policy file (relative to the current directory)",
    )
    _common(impact)
    impact.set_defaults(func=run_impact)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--full-report",
        metavar="FILE",
        default=None,
        help=f"with --format markdown: when the report is longer than a comment can be "
        f"({MAX_COMMENT:,} characters), write the whole report to FILE (the comment is cut, "
        "with a note naming FILE)",
    )
    parser.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 1 when a verdict changes (or a driver is added or removed)",
    )


# -- commands -----------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    from checker.evaluate.compare import compare
    from checker.load.gitsource import resolve_revision
    from checker.validate.workspace import load_workspace, open_repository

    for given in (args.base, args.head):
        if given and ".." in given:
            raise UsageError(
                f"{given!r}: diff takes two revisions, not a range: driver-policy diff "
                + " ".join(part or "HEAD" for part in given.replace("...", "..").split("..", 1))
                + " (or --merge-base BASE HEAD for what a pull request changes)"
            )
    root = repo_root(args)
    opened = open_repository(root)
    head_rev = args.head or "HEAD"
    head = resolve_revision(opened.repo, head_rev)
    base = resolve_revision(opened.repo, args.base)
    base_label = _label(args.base, base)
    if args.merge_base:
        bases = opened.repo.merge_base(base, head)
        if not bases:
            raise UsageError(f"{args.base} and {head_rev} have no common ancestor")
        base = bases[0].hexsha
        base_label = f"merge base of {args.base} and {head_rev} ({base[:12]})"
    before = opened.workspace(base)
    if args.head is None:
        after = load_workspace(root)
        head_label = "working tree (uncommitted changes included)"
    else:
        after = opened.workspace(head)
        head_label = _label(args.head, head)
    comparison = compare(before, after, base_label=base_label, head_label=head_label,
                         today=args.today)
    emit(comparison, args.format, sys.stdout, root, mode="diff", full_report=args.full_report)
    unbumped = version_problem(before.policy, after.policy)
    if unbumped:
        print(f"driver-policy diff: {safe(unbumped)}", file=sys.stderr)
        return 1
    return 1 if args.fail_on_change and comparison.verdicts_changed else 0


def version_problem(before: Any, after: Any) -> str | None:
    """A policy whose content changed must change its version (docs/policy.md)."""
    if before is None or after is None or before.digest == after.digest:
        return None
    if after.version > before.version or before.name != after.name:
        return None
    return (
        f"{after.file}: the policy's content changed ({before.digest} -> {after.digest}) "
        f"but its version is still {after.version}; set version: {before.version + 1} "
        "(docs/policy.md says when)"
    )


def run_impact(args: argparse.Namespace) -> int:
    from checker.evaluate.compare import compare
    from checker.load.layout import DEFAULT_POLICY
    from checker.validate.policy import load_policy
    from checker.validate.workspace import load_workspace

    root = repo_root(args)
    path = Path(args.policy)
    if not path.exists():
        raise UsageError(f"--policy {args.policy}: no such file")
    if not path.is_file():
        raise UsageError(f"--policy {args.policy}: not a file")
    current = load_workspace(root)
    if current.policy is None:
        bad = [str(p) for p in current.problems if p.path.startswith("policies/")]
        raise CheckerError(f"the current policy {DEFAULT_POLICY} is invalid:\n" + "\n".join(bad))
    candidate = load_policy(path, args.policy)
    comparison = compare(
        current,
        dataclasses.replace(current, policy=candidate),
        base_label=f"{DEFAULT_POLICY} ({current.policy.label})",
        head_label=f"{args.policy} ({candidate.label})",
    )
    emit(comparison, args.format, sys.stdout, root, mode="impact",
         full_report=args.full_report)
    return 1 if args.fail_on_change and comparison.verdicts_changed else 0


def _label(text: str, sha: str) -> str:
    return sha[:12] if sha.startswith(text) else f"{text} ({sha[:12]})"
