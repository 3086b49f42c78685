"""`collect` and `new`: maintenance signals from a kernel checkout into driver files.

gitpython and the collect machinery are imported inside the command functions, so
that other commands start without them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from checker.errors import CheckerError, UsageError

COLLECT_EPILOG = """\
what is computed (see docs/collect.md):
  over the policy's window (window.months calendar months ending on --window-end,
  committer dates, UTC): commits (no merges), substantive vs mechanical commits
  (policy collect.mechanical), lines added/removed, authors (.mailmap honoured),
  active months and a monthly histogram; first/last/last substantive commit dates;
  at REV: files, source lines, MODULE_DEVICE_TABLE entries, Kconfig symbols and
  BROKEN dependencies, the MAINTAINERS entry and its normalised S: status.
  Only `signals`, `kconfig` and `maintainers_status` are written; never verdicts.
  Re-running at the same REV changes no byte.

examples:
  driver-policy collect --kernel ~/src/linux
  driver-policy collect --kernel ~/src/linux --rev v6.9 infiniband/ipoib scsi/3w-9xxx
  driver-policy collect --kernel ~/src/linux --rev origin/master --window-end 2026-04-21
  driver-policy collect --kernel ~/src/linux --dry-run     list files that would change
"""

def register(subparsers: Any) -> None:
    collect = subparsers.add_parser(
        "collect",
        help="compute maintenance signals from a kernel git checkout into driver files",
        description="Walk the kernel's git history once for every driver (time slices in "
        "parallel) and read the tree at REV; write each driver's `signals` block.",
        epilog=COLLECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(collect)
    collect.add_argument("--dry-run", action="store_true",
                         help="compute and list the files that would change; write nothing")
    collect.add_argument("ids", nargs="*", metavar="ID",
                         help="drivers to collect, as SUBSYSTEM/NAME (default: every driver)")
    collect.set_defaults(func=run_collect)



def _json(payload: dict[str, Any]) -> None:
    import json

    json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--kernel", required=True, metavar="PATH",
                        help="a git checkout of the kernel (full history for the window)")
    parser.add_argument("--rev", default="HEAD", metavar="REV",
                        help="the kernel revision to read (default: HEAD)")
    parser.add_argument("--window-end", type=_date, metavar="YYYY-MM-DD",
                        help="last day of the window (default: the committer date of REV)")
    parser.add_argument("--policy", metavar="FILE", default=None,
                        help="the policy whose window and rules apply "
                        "(default: policies/default.yaml in the repository)")
    parser.add_argument("--jobs", "-j", type=_jobs, default=0, metavar="N",
                        help="processes walking history at once (default: one per core)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (0: auto)")
    return value


def _root(args: argparse.Namespace) -> Path:
    from checker.commands.common import repo_root

    return repo_root(args)


def _rules(args: argparse.Namespace, root: Path) -> Any:
    from checker.collect.rules import CollectRules

    return CollectRules.from_policy(policy_mapping(args, root))


def policy_mapping(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """The policy file as a plain mapping (--policy, else policies/default.yaml)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(args.policy) if args.policy else root / "policies" / "default.yaml"
    try:
        data = YAML(typ="safe", pure=False).load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckerError(f"{path}: policy file not found (give one with --policy)") from None
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise CheckerError(f"{path}: cannot read the policy: {exc}") from None
    if not isinstance(data, dict):
        raise CheckerError(f"{path}: the policy must be a mapping")
    return data


def _need_git() -> None:
    """Import gitpython (and so find git) here, with a clean message if it fails."""
    try:
        import git  # noqa: F401
    except ImportError as exc:
        raise CheckerError(f"collect needs git and gitpython: {exc}") from None


def _check_rev(rev: str) -> None:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--rev {rev!r}: a revision cannot be empty or begin with '-'")


def run_collect(args: argparse.Namespace) -> int:
    """Collect signals for every driver (or the IDs given) and write them back."""
    _check_rev(args.rev)
    root = _root(args)
    _need_git()
    from checker.collect.run import collect
    from checker.collect.write import (
        driver_id,
        find_driver_files,
        read_driver,
        render,
        write_if_changed,
    )
    from checker.progress import Progress

    rules = _rules(args, root)
    load_clock = time.monotonic()
    problems: list[str] = []
    files = []
    for path in find_driver_files(root):
        if path.resolve().is_relative_to(root):
            files.append(path)
        else:  # read or replaced, it would bring another file's bytes into the repository
            problems.append(f"{path.relative_to(root).as_posix()}: a link that leaves the "
                            "repository; not followed")
    if args.ids:
        known = {driver_id(root, path) for path in files}
        unknown = [i for i in args.ids if i not in known]
        if unknown:
            raise UsageError(
                f"no driver file for {', '.join(unknown)} (ids are SUBSYSTEM/NAME as in "
                "drivers/SUBSYSTEM/NAME.yaml)"
            )
        wanted = set(args.ids)
        files = [path for path in files if driver_id(root, path) in wanted]
    loaded = []
    for path in files:
        doc, paths, problem = read_driver(root, path)
        if doc is None or paths is None:
            problems.append(problem)
        else:
            loaded.append((doc, paths))
    if not loaded:
        for problem in problems:
            print(problem, file=sys.stderr)
        raise CheckerError(f"no driver files with paths under {root / 'drivers'}")

    started = time.monotonic()
    progress = Progress("collect", unit="commit", stream=sys.stderr)
    try:
        result = collect(Path(args.kernel), [paths for _, paths in loaded], rules,
                         rev=args.rev, window_end=args.window_end, jobs=args.jobs,
                         progress=progress)
    finally:
        progress.close()
    for warning in result.warnings:
        print(f"driver-policy collect: warning: {warning}", file=sys.stderr)
    gone = sorted(i for i, values in result.signals.items() if values.get("present") is False)
    if gone and len(gone) == len(result.signals) and not args.ids:
        raise CheckerError(
            f"--kernel {args.kernel}: the tree at {result.sha[:12]} holds none of the "
            f"{len(gone)} drivers' paths: is it the tree this repository rules on? Nothing "
            "was written. (To record that drivers are gone from this tree, name them: "
            "collect --kernel PATH ID...)")
    clock = time.monotonic()

    changed: list[tuple[Path, str]] = []
    for doc, _ in loaded:
        text = render(doc, result.signals[doc.id], result.kconfig.get(doc.id),
                      result.maintainers_status.get(doc.id))
        if text != doc.text:
            changed.append((doc.path, text))
    if args.dry_run:
        for path, _ in changed if args.format == "text" else ():
            print(f"would update {path.relative_to(root).as_posix()}")
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=8) as pool:  # fsyncs wait on the disk, not the CPU
            list(pool.map(lambda item: write_if_changed(*item), changed))
    elapsed = time.monotonic() - started
    if os.environ.get("DRIVER_POLICY_TIMINGS"):
        phases = {"load": started - load_clock, **result.timings,
                  "write": time.monotonic() - clock}
        print("collect timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()),
              file=sys.stderr)
    verb = "would change" if args.dry_run else "updated"
    if args.format == "json":
        _json({
            "kernel_rev": result.sha,
            "window": {"start": result.start.isoformat(), "end": result.end.isoformat()},
            "dry_run": args.dry_run,
            "drivers": len(loaded),
            "changed": [path.relative_to(root).as_posix() for path, _ in changed],
            "unchanged": len(loaded) - len(changed),
            "commits_read": result.commits_read,
            "warnings": list(result.warnings),
            "absent": gone,
            "problems": problems,
        })
        return 1 if problems else 0
    absent = f"; {len(gone)} not in the tree (present: false)" if gone else ""
    print(
        f"collect: {len(loaded)} drivers at {result.sha[:12]} (window "
        f"{result.start.isoformat()}..{result.end.isoformat()}): {len(changed)} {verb}, "
        f"{len(loaded) - len(changed)} unchanged{absent}; {result.commits_read:,} commits "
        f"read in {elapsed:.1f} s"
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0
