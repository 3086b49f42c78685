"""Arguments and helpers shared by several commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from checker.core.errors import CheckerError, UsageError
from checker.report.problems import FORMATS


def add_format(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS[:3]) -> None:
    parser.add_argument(
        "--format",
        choices=formats,
        default="text",
        help="output format (default: text; github prints workflow annotations)",
    )


def repo_root(args: argparse.Namespace) -> Path:
    """The policy repository: -C DIR (default: the current directory) or, like git, the
    nearest directory above it that holds drivers/ or policies/."""
    start = Path(args.repo)
    if not start.is_dir():
        raise UsageError(f"-C {args.repo}: not a directory")
    return find_root(start.resolve())


def find_root(start: Path) -> Path:
    from checker.load.layout import DRIVERS_DIR, POLICIES_DIR

    for candidate in (start, *start.parents):
        if (candidate / DRIVERS_DIR).is_dir() or (candidate / POLICIES_DIR).is_dir():
            return candidate
    return start  # not in a repository: the command says so (require_repository)


def load_valid_workspace(root: Path) -> Any:
    """The working tree's workspace; an expected failure when the policy is invalid."""
    from checker.validate.workspace import load_workspace

    workspace = load_workspace(root)
    if workspace.policy is None:
        bad = [str(p) for p in workspace.problems if p.path.startswith("policies/")]
        raise CheckerError("the default policy is invalid:\n" + "\n".join(bad))
    return workspace


def find_drivers(workspace: Any, names: Sequence[str]) -> list[Any]:
    """The drivers named by id or file path; unknown names are usage errors with a
    "did you mean", invalid files an expected failure listing their problems."""
    import difflib

    by_id = {d.id: d for d in workspace.drivers}
    found = []
    for name in names:
        wanted = name.removeprefix("./").removeprefix("drivers/").removesuffix(".yaml")
        if wanted in by_id:
            found.append(by_id[wanted])
            continue
        invalid = [str(p) for p in workspace.problems if p.path == f"drivers/{wanted}.yaml"]
        if invalid:
            raise CheckerError(f"{wanted} is invalid and cannot be evaluated:\n"
                               + "\n".join(invalid))
        subsystem, _, bare = wanted.rpartition("/")
        names_of = {d.id.rsplit("/", 1)[-1]: d.id for d in workspace.drivers
                    if not subsystem or d.id.startswith(subsystem + "/")}
        close = [names_of[n] for n in difflib.get_close_matches(bare, list(names_of), n=3,
                                                                  cutoff=0.7)]
        if not close:  # a typo in the subsystem
            close = difflib.get_close_matches(wanted, list(by_id), n=3, cutoff=0.85)
        hint = f"; did you mean {' or '.join(close[:3])}?" if close else \
            f" (ids look like {', '.join(list(by_id)[:4]) or 'subsystem/name'})"
        raise UsageError(f"no driver {name!r}{hint}")
    return found


def parse_date(text: str) -> date:
    """argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def add_today(parser: argparse.ArgumentParser, what: str = "") -> None:
    parser.add_argument(
        "--today",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day to work as of (default: today's date, read once): no evidence may be "
        "dated after it" + (f"; {what}" if what else ""),
    )
