"""`driver-policy record ID... | --all`: write computed verdicts into driver files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from checker.cli.commands.common import add_today, find_drivers, load_valid_workspace, repo_root
from checker.core.errors import CheckerError, UsageError
from checker.core.output import terminal

if TYPE_CHECKING:
    from checker.report.record import Change

EPILOG = """\
examples:
  driver-policy record infiniband/iser        # after evidence or the policy changed
  driver-policy record --all --dry-run        # what would change, writing nothing
  driver-policy record --all && driver-policy render

When a verdict changes, the recommendation (prose written for the old verdict) is marked
for review: verdict.recommendation_for keeps the verdict it was written for, and
`driver-policy check` fails until a person has reread it and set recommendation_for
to the new verdict.
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "record",
        help="write the computed verdict and confidence into driver files (the --fix)",
        description="Record what the policy computes in each driver file: verdict.value "
        "(the override's verdict where one is in force) and verdict.confidence. Nothing else "
        "in the file changes (comments, order and quoting are kept). A file without a "
        "verdict gets one with a TODO recommendation to write.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ids", nargs="*", metavar="ID",
                        help="driver ids <subsystem>/<name> or their file paths")
    parser.add_argument("--all", action="store_true", help="every valid driver file")
    parser.add_argument("--dry-run", action="store_true",
                        help="say what would change; write nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    add_today(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checker.evaluate.engine import evaluate
    from checker.load.rewrite import FileChanged, replace_if_unchanged
    from checker.report.record import Change, as_json, record_text

    if bool(args.ids) == bool(args.all):
        raise UsageError("name driver ids, or give --all (not both)")
    root = repo_root(args)
    workspace = load_valid_workspace(root)
    drivers = workspace.drivers if args.all else find_drivers(workspace, args.ids)
    changes: list[Change] = []
    changed_meanwhile: list[str] = []
    for driver in drivers:
        computed = evaluate(driver, workspace.policy)
        override = driver.verdict.override if driver.verdict else None
        target = override.verdict if override is not None else computed.value
        # the text the verdict was computed from, with its own line endings: the file is
        # replaced only if it still holds exactly these bytes
        text = workspace.documents[driver.file].text
        try:
            new_text, before = record_text(text, target, computed.confidence)
        except CheckerError as exc:  # nothing is written to any file after this one
            raise CheckerError(f"{driver.file}: {exc}") from None
        written_for = driver.verdict.recommendation_for if driver.verdict else None
        written_for = written_for or before
        change = Change(
            driver.id, driver.file, before, target,
            driver.verdict.confidence if driver.verdict else None,
            round(computed.confidence, 2),
            written_for is not None and written_for != target,
        )
        if new_text != text and not args.dry_run:
            try:
                replace_if_unchanged(root / driver.file, new_text.encode("utf-8"),
                                     text.encode("utf-8"), display=driver.file, root=root)
            except FileChanged:
                changed_meanwhile.append(driver.file)
                continue
        changes.append(change)
    if args.format == "json":
        json.dump({"dry_run": args.dry_run, "drivers": [as_json(c) for c in changes],
                   "changed_meanwhile": changed_meanwhile},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _text(changes, args.dry_run)
    for file in changed_meanwhile:
        print(f"driver-policy record: {terminal(file)}: changed since record read it; not written "
              "(run record again)", file=sys.stderr)
    return 1 if changed_meanwhile else 0


def _text(changes: list[Change], dry_run: bool) -> None:
    from checker.core.output import quiet

    verb = "would record" if dry_run else "recorded"
    for c in changes:
        if not c.changed:
            if not quiet():
                print(f"unchanged {c.id}: {c.after} ({c.confidence_after:.2f})")
            continue
        before = c.before or "(none)"
        confidence = "none" if c.confidence_before is None else f"{c.confidence_before:.2f}"
        line = (f"{verb} {c.id}: {before} -> {c.after} "
                f"(confidence {confidence} -> {c.confidence_after:.2f})")
        if c.needs_review:
            line += (f"; the recommendation was written for {c.before}: review it, then set "
                     f"verdict.recommendation_for: {c.after}")
        print(line)
    changed = sum(1 for c in changes if c.changed)
    review = sum(1 for c in changes if c.needs_review)
    print(f"{changed} file(s) {'would change' if dry_run else 'changed'}, "
          f"{len(changes) - changed} unchanged; {review} recommendation(s) to review")
    if changed and not dry_run:
        print("next: driver-policy render (the cards show the recorded verdicts)")
