"""`driver-policy candidates`: the drivers most likely removable, with what to check next."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from checker.cli.commands.backtest import _count
from checker.cli.commands.common import load_valid_workspace, repo_root

EPILOG = """\
Every driver is evaluated under the policy and ranked: lowest score first; among equal
scores the surer verdict (higher confidence), then the one with fewer unknowns. Each
candidate lists the signals that pushed it towards removal, those for keeping it, what
is unknown, and the evidence a reviewer should gather next (users, distribution
configurations, whether the hardware is sold, out-of-tree users when no shipped
configuration builds it, ...). It is where an audit starts, not a verdict.

examples:
  driver-policy candidates                     # the 20 most likely removable
  driver-policy candidates --top 50 --format markdown > audit.md
  driver-policy candidates --format json | jq '.candidates[] | select(.draft)'
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "candidates",
        help="the drivers most likely removable, with the deciding signals and what "
        "evidence to gather next",
        description="Rank the repository's drivers by how likely they are removable "
        "under the policy, with the signals that decided and the evidence to gather next.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--top", type=_count, default=20, metavar="N",
                        help="how many to list (default: 20; 0 lists every driver)")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="output format (default: text)")
    parser.set_defaults(func=run_candidates)


def run_candidates(args: argparse.Namespace) -> int:
    from checker.report.candidates import rank, to_json, to_markdown, to_text
    workspace = load_valid_workspace(repo_root(args))
    ranked = rank(workspace.drivers, workspace.policy)
    shown = ranked[:args.top] if args.top else ranked
    if args.format == "json":
        sys.stdout.write(to_json(shown, workspace.policy))
    elif args.format == "markdown":
        sys.stdout.write(to_markdown(shown, workspace.policy, len(ranked)))
    else:
        sys.stdout.write(to_text(shown, workspace.policy, len(ranked)))
    problems = [p for p in workspace.problems if p.path.startswith("drivers/")]
    for problem in problems:
        print(f"skipped (invalid): {problem}", file=sys.stderr)
    return 1 if problems else 0
