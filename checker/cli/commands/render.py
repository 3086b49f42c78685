"""`driver-policy render`: write cards/ from the evidence; `--check` fails when it is stale."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from checker.cli.commands.common import repo_root
from checker.core.errors import CheckerError
from checker.core.output import safe, terminal


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "render",
        help="write the Markdown cards in cards/ (one per driver, plus the indexes)",
        description="Render every driver's computed verdict as a Markdown card, "
        "cards/<subsystem>/<name>.md, with its monthly commit chart beside it "
        "(cards/<subsystem>/<name>.svg), the summary cards/README.md and one index per "
        "subsystem, cards/<subsystem>/README.md, from the driver "
        "files, the default policy and the templates in templates/. Cards of drivers "
        "that no longer exist are removed. Output is deterministic and writes are atomic. "
        "With --check nothing is written: each stale, missing or orphaned file is listed, "
        "one line each (--diff adds a unified diff of each stale file), and the exit code "
        "is 1. `driver-policy check` runs the same check. How to read a card: "
        "docs/cards.md of the driver-policy checker.",
        epilog="examples:\n  driver-policy render            # after changing evidence or "
        "templates\n  driver-policy render --check    # in CI: fail if cards/ is not current\n"
        "  driver-policy render --check --diff   # and show what would change\n"
        "  driver-policy render --check --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing every card that is not current",
    )
    parser.add_argument("--diff", action="store_true",
                        help="with --check: print a unified diff of each stale file")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.set_defaults(func=run)


def planned(root: Path, *, checking: bool = False) -> dict[str, bytes]:
    """What cards/ should hold; refuses while the policy or a driver file is invalid."""
    from checker.evaluate.consistency import check_driver
    from checker.render.files import plan, unrenderable
    from checker.render.seal import inputs_digest, inputs_key
    from checker.render.templates import TEMPLATES_DIR
    from checker.validate.workspace import DEFAULT_POLICY, load_workspace

    workspace = load_workspace(root)
    if workspace.policy is None:
        bad = [str(p) for p in workspace.problems if p.path.startswith("policies/")]
        raise CheckerError("cannot render cards: the default policy is invalid:\n" + "\n".join(bad))
    lost = unrenderable(root, workspace.drivers)
    if lost:
        files = {
            "drivers/" + path.removeprefix("cards/").rsplit(".", 1)[0] + ".yaml" for path in lost
        }
        bad = [str(p) for p in workspace.problems if p.path in files]
        if checking:  # the problems are `validate`'s to report (one finding, one message)
            raise CheckerError(
                "cards not checked while " + ", ".join(sorted(files)) + " "
                + ("is" if len(files) == 1 else "are")
                + " invalid (driver-policy validate says why)"
            )
        raise CheckerError(
            "cannot render cards while driver files are invalid (their cards "
            "would be removed); fix these first:\n" + "\n".join(bad)
        )
    # The override's expiry (the only use of a date in check_driver) does not change what
    # a card shows; its problems are reported by `driver-policy check`, not here.
    outcomes = [check_driver(d, workspace.policy, date.min, _nowhere)[0] for d in workspace.drivers]
    documents = workspace.documents
    key = inputs_key(root / TEMPLATES_DIR, documents[DEFAULT_POLICY].text.encode())
    inputs = {d.file: inputs_digest(key, d.file, documents[d.file].text.encode())
              for d in workspace.drivers}
    from checker.core.progress import Progress

    with Progress("render", unit="card", total=len(outcomes)) as progress:
        return plan(root / TEMPLATES_DIR, outcomes, workspace.policy, inputs, progress, key)


def _nowhere(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
    return 1, 1


def run(args: argparse.Namespace) -> int:
    import json

    from checker.core.output import quiet
    from checker.load.fsutil import is_regular, read_file
    from checker.render.batch import changes
    from checker.render.files import Difference, refuse_linked_dirs, unified_diff, write

    root = repo_root(args)
    refuse_linked_dirs(root, [])  # cards/ itself: before anything is read there
    found = changes(root, verify=args.check)
    refuse_linked_dirs(root, [*found.write, *found.orphans])
    differences = sorted(
        [Difference(path, generated.state) for path, generated in found.write.items()]
        + [Difference(path, "orphaned") for path in found.orphans],
        key=lambda d: d.path)
    wanted = {path: generated.data for path, generated in found.write.items()
              if generated.data is not None}
    if args.check and args.diff:  # a stale file's diff, read again only when asked for
        differences = [
            Difference(d.path, d.state, unified_diff(
                d.path, read_file(root / d.path, d.path, root=root), wanted[d.path]))
            if d.state == "stale" and is_regular(root / d.path) else d
            for d in differences]
    if args.format == "json":
        payload = {
            "check": args.check,
            "files": found.files,
            "differences": [
                {"path": d.path, "kind": d.kind, "state": d.state,
                 **({"diff": d.diff} if args.diff and d.diff else {})}
                for d in differences
            ],
        }
        if not args.check:
            write(root, differences, wanted)
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 1 if args.check and differences else 0
    if args.check:
        for difference in differences:
            print(safe(difference))  # a card's name can be anything a commit put there
            if args.diff and difference.diff:  # a planted card's bytes: shown escaped
                sys.stdout.write(terminal(difference.diff))
        if differences:
            hint = "" if args.diff else " (--diff shows the changes)"
            print(
                f"{len(differences)} of the files in cards/ are not current{hint}; "
                "run: driver-policy render",
                file=sys.stderr,
            )
            return 1
        if not quiet():
            print(f"ok: cards/ is current ({found.files} files)")
        return 0
    write(root, differences, wanted)
    for difference in differences:
        verb = "removed" if difference.state == "orphaned" else "wrote"
        print(f"{verb} {safe(difference.path)}")
    if not quiet():
        print(f"cards/ is current ({found.files} files, {len(differences)} changed)")
    return 0
