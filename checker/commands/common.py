"""Arguments and helpers shared by several commands."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from checker.errors import UsageError
from checker.report import FORMATS


def add_format(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS[:3]) -> None:
    parser.add_argument(
        "--format",
        choices=formats,
        default="text",
        help="output format (default: text; github prints workflow annotations)",
    )


def repo_root(args: argparse.Namespace) -> Path:
    root = Path(args.repo)
    if not root.is_dir():
        raise UsageError(f"-C {args.repo}: not a directory")
    return root.resolve()


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
