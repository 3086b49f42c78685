"""`collect` and `new`: maintenance signals from a kernel checkout into driver files.

The collect machinery is imported inside the command functions, so that other
commands start without it; collect itself runs plain `git` processes (no gitpython).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from checker.core.environment import TIMINGS, flag
from checker.core.errors import CheckerError, UsageError
from checker.core.output import safe

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
        help="compute maintenance signals from a tree's git checkout into driver files",
        description="Walk the tree's git history once for every driver (time slices in "
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
                        help="a git checkout of the tree the drivers live in (the kernel, or "
                        "another kernel-style tree; full history for the window)")
    parser.add_argument("--rev", default="HEAD", metavar="REV",
                        help="the revision of the tree to read (default: HEAD)")
    parser.add_argument("--window-end", type=_date, metavar="YYYY-MM-DD",
                        help="last day of the window (default: the committer date of REV)")
    parser.add_argument("--policy", metavar="FILE", default=None,
                        help="the policy whose window and rules apply "
                        "(default: policies/default.yaml in the repository)")
    parser.add_argument("--jobs", "-j", type=_jobs, default=0, metavar="N",
                        help="processes walking history at once (default: one per core)")
    parser.add_argument("--config", action="append", default=[], metavar="GLOB",
                        help="configuration files (kernel .config, defconfig; .xz and .gz "
                        "read too) to count as usage besides the tree's own shipped ones, "
                        "e.g. a distribution's kernel configs; repeatable")
    parser.add_argument("--no-usage", action="store_true",
                        help="do not evaluate the tree's configurations (usage signals are "
                        "then null)")


def usage_options(args: argparse.Namespace, policy: dict[str, Any]) -> Any:
    """What collect needs for usage signals: the policy's Kconfig rules (its discover:
    section) and the configuration files named with --config; None with --no-usage."""
    from checker.collect.usage import Config, UsageOptions

    if args.no_usage:
        return None
    section = policy.get("discover")
    section = section if isinstance(section, dict) else {}
    kconfig = section.get("kconfig")
    kconfig = kconfig if isinstance(kconfig, dict) else {}
    tops = tuple(str(t) for t in kconfig.get("top") or ("Kconfig",))
    env = tuple(sorted((str(k), str(v)) for k, v in (kconfig.get("env") or {}).items()))
    collect = policy.get("collect")
    refresh = collect.get("config_refresh_files") if isinstance(collect, dict) else None
    return UsageOptions(tops, env, tuple(Config(shown, text)
                                         for shown, text in read_configs(args.config)),
                        refresh_files=refresh if isinstance(refresh, int) else 0)


def read_configs(globs: list[str]) -> list[tuple[str, str]]:
    """(name shown, text) of each configuration file the globs name, decompressed."""
    import glob
    import gzip
    import lzma

    out: list[tuple[str, str]] = []
    for pattern in globs:
        found = sorted(glob.glob(pattern))
        if not found:
            raise UsageError(f"--config {pattern}: no file matches")
        for name in found:
            path = Path(name)
            try:
                data = path.read_bytes()
                if name.endswith(".xz"):
                    data = lzma.decompress(data)
                elif name.endswith(".gz"):
                    data = gzip.decompress(data)
            except (OSError, lzma.LZMAError, EOFError) as exc:
                raise CheckerError(f"--config {name}: cannot be read ({exc})") from None
            from checker.collect.usage import config_text

            text = config_text(data)
            if text is None:
                raise CheckerError(f"--config {name}: not a configuration (no CONFIG_ line)")
            out.append((path.name, text))
    return out


EARLIEST_END, LATEST_END = date(1970, 1, 1), date(9998, 12, 31)


def _date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
    if not EARLIEST_END <= value <= LATEST_END:  # the window reaches back up to 20 years
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give a day from {EARLIEST_END} to {LATEST_END}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (0: auto)")
    return value


def _root(args: argparse.Namespace) -> Path:
    from checker.cli.commands.common import repo_root

    return repo_root(args)


# The parts of the policy that collect uses, validated as `check` validates them.
# (and the categories `new` guesses from)
COLLECT_POLICY_KEYS = ("window", "collect", "categories")


def _rules(args: argparse.Namespace, root: Path) -> Any:
    from checker.collect.rules import CollectRules

    return CollectRules.from_policy(policy_mapping(args, root))


def policy_mapping(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """The policy (--policy, else policies/default.yaml) as a plain mapping, validated
    in the parts collect uses as `check` validates them (a window of 30,000 months or a
    pattern that backtracks never reaches collect). The repository's policy is read
    through the one door (checker.load.fsutil); --policy FILE is the user's own."""
    from checker.load.document import Document, read_document
    from checker.validate.policy_schema import POLICY_SCHEMA
    from checker.validate.schema_check import schema_problems

    if args.policy:
        path, shown, inside = Path(args.policy), args.policy, None
    else:
        path, shown, inside = root / "policies" / "default.yaml", "policies/default.yaml", root
    if not path.exists() and not path.is_symlink():
        raise CheckerError(f"{shown}: policy file not found (give one with --policy)")
    doc, problems = read_document(path, shown, root=inside)  # read once: what is validated
    if doc is not None:                                       # is what is used
        part = Document(doc.path, doc.text, {k: v for k, v in doc.data.items()
                                             if k in COLLECT_POLICY_KEYS})
        problems = schema_problems(part, {key: POLICY_SCHEMA[key] for key in COLLECT_POLICY_KEYS})
    if doc is None or problems:
        raise CheckerError("the policy is invalid:\n" + "\n".join(str(p) for p in problems))
    return doc.data


def _need_git() -> None:
    """Find the git program here, with a clean message if there is none (collect runs
    git itself: gitpython is not needed on its path)."""
    import shutil

    if shutil.which("git") is None:
        raise CheckerError("collect needs git: no `git` program on PATH")


def _check_rev(rev: str) -> None:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--rev {rev!r}: a revision cannot be empty or begin with '-'")


def run_collect(args: argparse.Namespace) -> int:
    """Collect signals for every driver (or the IDs given) and write them back."""
    _check_rev(args.rev)
    root = _root(args)
    _need_git()
    from checker.collect.driverfile import DriverFile, driver_id, find_driver_files, read_driver
    from checker.collect.rules import CollectRules
    from checker.collect.run import collect
    from checker.collect.write import render, write_if_changed
    from checker.core.progress import Progress

    policy = policy_mapping(args, root)
    rules = CollectRules.from_policy(policy)
    usage = usage_options(args, policy)
    load_clock = time.monotonic()
    problems: list[str] = []
    files = find_driver_files(root)  # links and FIFOs among them are refused when read
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
            print(safe(problem), file=sys.stderr)
        raise CheckerError(f"no driver files with paths under {root / 'drivers'}")

    started = time.monotonic()
    progress = Progress("collect", unit="commit", stream=sys.stderr)
    try:
        result = collect(Path(args.kernel), [paths for _, paths in loaded], rules,
                         rev=args.rev, window_end=args.window_end, jobs=args.jobs,
                         progress=progress, usage=usage)
    finally:
        progress.close()
    for warning in result.warnings:
        print(f"driver-policy collect: warning: {safe(warning)}", file=sys.stderr)
    gone = sorted(i for i, values in result.signals.items() if values.get("present") is False)
    if gone and len(gone) == len(result.signals) and not args.ids:
        raise CheckerError(
            f"--kernel {args.kernel}: the tree at {result.sha[:12]} holds none of the "
            f"{len(gone)} drivers' paths: is it the tree this repository rules on? Nothing "
            "was written. (To record that drivers are gone from this tree, name them: "
            "collect --kernel PATH ID...)")
    clock = time.monotonic()

    changed: list[tuple[DriverFile, str]] = []
    for doc, _ in loaded:
        try:
            text = render(doc, result.signals[doc.id], result.kconfig.get(doc.id),
                          result.maintainers_status.get(doc.id))
        except CheckerError as exc:  # the edit could not be proved safe: not written
            problems.append(str(exc))
            continue
        if text != doc.text:
            changed.append((doc, text))
    if args.dry_run:
        for doc, _ in changed if args.format == "text" else ():
            print(f"would update {safe(doc.path.relative_to(root).as_posix())}")
    else:
        from concurrent.futures import ThreadPoolExecutor

        def write(item: tuple[DriverFile, str]) -> str:
            doc, text = item
            try:
                write_if_changed(doc.path, text, expected=doc.raw,
                                 display=doc.path.relative_to(root).as_posix())
            except CheckerError as exc:  # changed meanwhile, disk full, read-only
                return str(exc)
            return ""

        with ThreadPoolExecutor(max_workers=8) as pool:  # fsyncs wait on the disk, not the CPU
            problems += [p for p in pool.map(write, changed) if p]
    elapsed = time.monotonic() - started
    if flag(TIMINGS):
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
            "changed": [doc.path.relative_to(root).as_posix() for doc, _ in changed],
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
        print(safe(problem), file=sys.stderr)
    return 1 if problems else 0
