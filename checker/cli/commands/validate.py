"""`driver-policy validate [PATH...]`: schema, cross-field and cross-file problems."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from checker.cli.commands.common import add_format, add_today, repo_root


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "validate",
        help="check evidence, policy and fixture files against their schemas and rules",
        description="Validate driver files (drivers/<subsystem>/<name>.yaml), policies "
        "(policies/*.yaml) and policy fixtures (policies/tests/*.yaml). Every problem of "
        "every file is reported as path:line:col: field: message.",
        epilog="examples:\n  driver-policy validate\n"
        "  driver-policy validate drivers/infiniband/ipoib.yaml --format github",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories (default: every file under drivers/ and policies/)",
    )
    add_format(parser)
    add_today(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checker.load.layout import expand
    from checker.report.problems import report
    from checker.validate.categories import category_problems
    from checker.validate.dates import future_problems
    from checker.validate.workspace import document_locator, load_workspace

    root = repo_root(args)
    files = expand(root, args.paths) if args.paths else None
    workspace = load_workspace(root, files)
    problems = list(workspace.problems)
    locate = document_locator(workspace)
    for driver in workspace.drivers:
        problems += future_problems(driver, args.today, locate)
        if workspace.policy is not None:  # the policy's categories
            problems += category_problems(driver, workspace.policy.categories, locate)
    report(problems, args.format, sys.stdout,
           checked=len(files) if files is not None else workspace.files)
    return 1 if problems else 0
