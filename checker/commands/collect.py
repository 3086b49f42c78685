"""`collect` and `new`: maintenance signals from a kernel checkout into driver files.

gitpython and the collect machinery are imported inside the command functions, so
that other commands start without them.
"""

from __future__ import annotations

import argparse
import os
import re
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

NEW_EPILOG = """\
The new file gets paths, kconfig, maintainers_status and signals from the kernel;
assessment fields are left `unknown` (deployment, hardware.sold_new, replacement)
and hardware.kind is `hardware` when the code has MODULE_DEVICE_TABLE entries,
else `unknown`. No verdict is written: `driver-policy check` then says what the
policy computes. An existing file is never overwritten.

examples:
  driver-policy new --kernel ~/src/linux drivers/infiniband/ulp/ipoib
  driver-policy new --kernel ~/src/linux drivers/scsi/3w-9xxx.c
  driver-policy new --kernel ~/src/linux --id net/plip drivers/net/plip/
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

    new = subparsers.add_parser(
        "new",
        help="scaffold a driver file for a kernel path, pre-filled from the kernel",
        description="Create drivers/SUBSYSTEM/NAME.yaml for a kernel path, with paths, "
        "Kconfig symbols, MAINTAINERS status and signals filled in.",
        epilog=NEW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(new)
    new.add_argument("--id", metavar="SUBSYSTEM/NAME",
                     help="the driver's id (default: from the path, e.g. infiniband/ipoib)")
    new.add_argument("kernel_path", metavar="KERNEL_PATH",
                     help="a directory or file in the kernel tree, e.g. drivers/scsi/3w-9xxx.c")
    new.set_defaults(func=run_new)


def _common(parser: argparse.ArgumentParser) -> None:
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
    root = Path(args.repo)
    if not root.is_dir():
        raise UsageError(f"-C {args.repo}: not a directory")
    return root.resolve()


def _rules(args: argparse.Namespace, root: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from checker.collect.rules import CollectRules

    path = Path(args.policy) if args.policy else root / "policies" / "default.yaml"
    try:
        data = YAML(typ="safe", pure=False).load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckerError(f"{path}: policy file not found (give one with --policy)") from None
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise CheckerError(f"{path}: cannot read the policy: {exc}") from None
    if not isinstance(data, dict):
        raise CheckerError(f"{path}: the policy must be a mapping")
    return CollectRules.from_policy(data)


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
    clock = time.monotonic()

    changed: list[tuple[Path, str]] = []
    for doc, _ in loaded:
        text = render(doc, result.signals[doc.id], result.kconfig.get(doc.id),
                      result.maintainers_status.get(doc.id))
        if text != doc.text:
            changed.append((doc.path, text))
    if args.dry_run:
        for path, _ in changed:
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
    print(
        f"collect: {len(loaded)} drivers at {result.sha[:12]} (window "
        f"{result.start.isoformat()}..{result.end.isoformat()}): {len(changed)} {verb}, "
        f"{len(loaded) - len(changed)} unchanged; {result.commits_read:,} commits read "
        f"in {elapsed:.1f} s"
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


# ---------------------------------------------------------------------------------
# new

_CATEGORIES = (  # path prefix -> category, most specific first
    ("drivers/net/ethernet/", "networking-ethernet"),
    ("drivers/net/wireless/", "networking-wireless"),
    ("drivers/net/", "networking-other"),
    ("net/", "networking-other"),
    ("drivers/infiniband/", "rdma"),
    ("drivers/nvme/", "storage-nvme"),
    ("drivers/scsi/", "storage-scsi-ata"),
    ("drivers/ata/", "storage-scsi-ata"),
    ("drivers/block/", "storage-other"),
    ("drivers/md/", "storage-other"),
    ("drivers/mtd/", "storage-other"),
    ("drivers/gpu/", "gpu-display"),
    ("drivers/video/", "gpu-display"),
    ("drivers/input/", "input-hid"),
    ("drivers/hid/", "input-hid"),
    ("drivers/media/", "media"),
    ("drivers/usb/", "usb"),
    ("sound/", "sound"),
    ("drivers/hwmon/", "sensors-hwmon"),
    ("drivers/iio/", "sensors-hwmon"),
    ("drivers/crypto/", "crypto"),
    ("crypto/", "crypto"),
    ("drivers/virtio/", "virtualization"),
    ("drivers/vfio/", "virtualization"),
    ("drivers/xen/", "virtualization"),
    ("drivers/vhost/", "virtualization"),
    ("drivers/platform/", "platform"),
    ("drivers/power/", "power-thermal"),
    ("drivers/thermal/", "power-thermal"),
    ("drivers/pci/", "bus"),
    ("drivers/i2c/", "bus"),
    ("drivers/spi/", "bus"),
)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.+-]+", "-", text.lower()).strip("-.")
    return slug if slug and slug[0].isalnum() else f"x{slug}"


def default_id(kernel_path: str) -> str:
    parts = [p for p in kernel_path.strip("/").split("/") if p]
    if not parts:
        raise UsageError("KERNEL_PATH is empty")
    subsystem = parts[1] if parts[0] == "drivers" and len(parts) > 2 else parts[0]
    name = parts[-1]
    for suffix in (".c", ".h", ".rs", ".S"):
        name = name.removesuffix(suffix)
    return f"{_slug(subsystem)}/{_slug(name)}"


def guess_category(kernel_path: str) -> str:
    probe = kernel_path.strip("/") + "/"
    for prefix, category in _CATEGORIES:
        if probe.startswith(prefix):
            return category
    return "misc"


def run_new(args: argparse.Namespace) -> int:
    """Scaffold drivers/SUBSYSTEM/NAME.yaml for KERNEL_PATH, refusing to overwrite."""
    _check_rev(args.rev)
    root = _root(args)
    kernel_path = args.kernel_path.strip()
    if kernel_path.startswith(("/", "-")) or ".." in kernel_path.split("/") or not kernel_path:
        raise UsageError(f"KERNEL_PATH {args.kernel_path!r}: give a path inside the kernel "
                         "tree, such as drivers/scsi/3w-9xxx.c")
    kernel_path = kernel_path.rstrip("/")
    driver = args.id or default_id(kernel_path)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*", driver):
        raise UsageError(f"--id {driver!r}: must be SUBSYSTEM/NAME in lower case")
    target = root / "drivers" / f"{driver}.yaml"
    if not target.parent.resolve().is_relative_to(root) or target.is_symlink():
        raise CheckerError(f"{target.relative_to(root).as_posix()}: a link leaves the "
                           "repository; refusing to write through it")
    if target.exists():
        raise CheckerError(f"{target.relative_to(root).as_posix()} already exists; "
                           "refusing to overwrite it (edit it, or run collect)")

    _need_git()
    from checker.collect.gitrepo import open_repo, resolve
    from checker.collect.run import DriverPaths, collect
    from checker.collect.write import render_signals, scalar, write_if_changed
    from checker.progress import Progress

    rules = _rules(args, root)
    repo = open_repo(Path(args.kernel))
    try:
        revision = resolve(repo, args.rev)
        kind = _path_kind(repo, revision.sha, kernel_path)
    finally:
        repo.close()
    if kind is None:
        raise CheckerError(f"{kernel_path}: no such file or directory in the kernel at "
                           f"{revision.sha[:12]}")
    pattern = f"{kernel_path}/" if kind == "tree" else kernel_path
    progress = Progress("new", unit="commit", stream=sys.stderr)
    try:
        result = collect(Path(args.kernel), [DriverPaths(driver, (pattern,))], rules,
                         rev=revision.sha, window_end=args.window_end, jobs=args.jobs,
                         progress=progress)
    finally:
        progress.close()
    signals = result.signals[driver]
    subsystem = driver.split("/", 1)[0]
    title = signals["maintainers_entry"] or kernel_path.rsplit("/", 1)[-1]
    kconfig = ", ".join(scalar(s) for s in result.kconfig.get(driver, ()))
    hardware = "hardware" if signals["device_ids"] else "unknown"
    status = result.maintainers_status.get(driver, "unknown")
    text = f"""\
# Scaffolded by `driver-policy new` from {kernel_path} at kernel {revision.sha[:12]}.
# Fields left `unknown` or TODO are for a person to fill from evidence (docs/evidence.md).
# No verdict yet: `driver-policy check` says what the policy computes.
schema: 1
name: {scalar(title)}
subsystem: {scalar(subsystem)}
category: {guess_category(kernel_path)}   # guessed from the path; check it
path: {scalar(kernel_path)}
paths:
  include:
    - {scalar(pattern)}
  exclude: []
granularity: {"directory" if kind == "tree" else "files"}
kconfig: [{kconfig}]
summary: >-
  TODO: what this driver is for, which hardware or protocol it serves, and who uses it.
provenance: {scalar(f"Scaffolded by driver-policy new from kernel {revision.sha}.")}

# Assessment inputs.
deployment: unknown
hardware:
  kind: {hardware}
  sold_new: unknown
  last_sold: null
replacement:
  status: unknown
  by: null
  note: null
maintainers_status: {status}
upstream: []
users_reported: []

{render_signals(signals)}
sources: []
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # appeared while collecting
        raise CheckerError(f"{target.relative_to(root).as_posix()} already exists; "
                           "refusing to overwrite it")
    write_if_changed(target, text)
    print(f"new: wrote {target.relative_to(root).as_posix()} ({signals['files']} files, "
          f"{signals['commits']} commits in the window); fill in the `unknown` fields")
    return 0


def _path_kind(repo: Any, sha: str, path: str) -> str | None:
    """"tree", "blob", or None when the path is not in the tree at `sha`."""
    from git.exc import GitCommandError

    try:
        out = repo.git.ls_tree("-z", "--full-tree", sha, "--", path)
    except GitCommandError:
        return None
    for record in out.split("\0"):
        if "\t" in record:
            meta, name = record.split("\t", 1)
            if name == path:
                return str(meta.split(" ")[1])
    return None
