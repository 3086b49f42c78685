"""`new`: scaffold driver files for kernel paths, or for every unit found below
directories (`--discover`), with one history walk for all of them."""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from checker.cli.commands.collect import (
    _common,
    _json,
    _need_git,
    _root,
    policy_mapping,
    usage_options,
)
from checker.core.errors import CheckerError, UsageError
from checker.core.output import safe

NEW_EPILOG = """\
Each new file gets paths, kconfig, a name, maintainers_status and signals from the
tree; assessment fields are left `unknown` (deployment, hardware.sold_new,
replacement) and hardware.kind is `hardware` when the code has MODULE_DEVICE_TABLE
entries, else `unknown`. No verdict is written: `driver-policy check` then says what
the policy computes. An existing file is never overwritten.

--discover DIR finds the driver units below DIR (docs/collect.md, "Discovery"): what
one Kconfig symbol builds (Makefile `obj-$(CONFIG_X) += x.o`, composite objects,
subdirectories), else a directory holding one of the policy's unit markers, else a
directory or single file. Code with no entry point of the policy's `discover.
entry_points` (module_init, module_*_driver, ...) is skipped as not-a-driver, code an
existing driver file already claims as already-covered. All units' history is read in
one walk. Names: the Kconfig prompt, else MODULE_DESCRIPTION (the policy's
`discover.names`), else a MAINTAINERS section specific to the unit, else the path.
Ids are SUBSYSTEM/NAME from the path; when two would be equal, or one is taken, each
gets its parent directories' names as a prefix until they differ (net/ne ->
net/8390-ne), then its Kconfig symbol, then -2, -3. To choose an id yourself,
scaffold that one path with --id.

examples:
  driver-policy new --kernel ~/src/linux drivers/infiniband/ulp/ipoib
  driver-policy new --kernel ~/src/linux drivers/scsi/3w-9xxx.c drivers/scsi/3w-sas.c
  driver-policy new --kernel ~/src/linux --id net/plip drivers/net/plip/
  driver-policy new --kernel ~/src/linux --discover drivers/ --dry-run
  driver-policy new --kernel ~/src/dpdk --discover drivers/net drivers/crypto
"""

_ID = re.compile(r"[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*")


def register(subparsers: Any) -> None:
    new = subparsers.add_parser(
        "new",
        help="scaffold driver files for paths of a tree, or every driver below a directory",
        description="Create drivers/SUBSYSTEM/NAME.yaml for each path of the tree given and each "
        "driver unit found below --discover directories, with paths, name, Kconfig "
        "symbols, MAINTAINERS status and signals filled in (one history walk for all).",
        epilog=NEW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(new)
    new.add_argument("--id", metavar="SUBSYSTEM/NAME",
                     help="the driver's id, with exactly one KERNEL_PATH "
                     "(default: from the path, e.g. infiniband/ipoib)")
    new.add_argument("--discover", nargs="+", default=[], metavar="DIR",
                     help="find every driver unit below these directories of the tree")
    new.add_argument("--dry-run", action="store_true",
                     help="list the units (id, name, paths, Kconfig) and what is skipped and "
                     "why; read no history, write nothing")
    new.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    new.add_argument("kernel_paths", nargs="*", metavar="KERNEL_PATH",
                     help="directories or files in the tree (--kernel), e.g. "
                     "drivers/scsi/3w-9xxx.c")
    new.set_defaults(func=run_new)


def _check_kernel_path(given: str) -> str:
    path = given.strip()
    if path.startswith(("/", "-")) or ".." in path.split("/") or not path.strip("/"):
        raise UsageError(f"KERNEL_PATH {given!r}: give a path inside the tree, such "
                         "as drivers/scsi/3w-9xxx.c")
    return path.rstrip("/")


def _discover_rules(policy: dict[str, Any], needed: bool) -> Any:
    from checker.discover.rules import DiscoverRules

    if "discover" in policy:
        return DiscoverRules.from_policy(policy)
    if needed:
        return None  # learned from the tree (run_new)
    # No `discover:` section and only paths given: build files are read as collect reads
    # them; no entry point is needed (every path given is kept).
    return DiscoverRules(("Makefile", "Kbuild"), (), (r"[^\s\S]",), (),
                         tuple(policy.get("collect", {}).get("source_extensions") or ()))


def _learn_rules(root: Path, args: argparse.Namespace, repo: Any, sha: str) -> Any:
    """No `discover:` section: learn one from the tree, write it into the policy (for
    review in a pull request) and use it."""
    from checker.discover.learn import learn, render_section
    from checker.discover.rules import DiscoverRules
    from checker.load.fsutil import read_text, write_atomic

    learned = learn(repo, sha, [d.strip().strip("/") for d in args.discover])
    section = render_section(learned, f"{args.kernel} at {sha[:12]}")
    if not args.policy and not args.dry_run:
        target = root / "policies" / "default.yaml"
        text = read_text(target, "policies/default.yaml", root=root)
        write_atomic(target, (text.rstrip("\n") + "\n\n" + section).encode())
        print("new: the policy had no discover: rules; rules learned from the tree were "
              "added to policies/default.yaml (review them: docs/collect.md)", file=sys.stderr)
    else:
        print("new: the policy has no discover: rules; rules learned from the tree are used "
              "(not written: " + ("--dry-run" if args.dry_run else "--policy") + ")",
              file=sys.stderr)
    return DiscoverRules.from_policy({"discover": learned.section})


def run_new(args: argparse.Namespace) -> int:
    """Scaffold one driver file per unit; never overwrite; one history walk."""
    from checker.collect.gitrepo import check_rev_syntax

    check_rev_syntax(args.rev)
    root = _root(args)
    paths = [_check_kernel_path(p) for p in args.kernel_paths]
    if not paths and not args.discover:
        raise UsageError("give KERNEL_PATH... or --discover DIR... (see --help)")
    if args.id is not None:
        if len(paths) != 1 or args.discover:
            raise UsageError("--id names one driver: give exactly one KERNEL_PATH with it, "
                             "and no --discover")
        if not _ID.fullmatch(args.id):
            raise UsageError(f"--id {args.id!r}: must be SUBSYSTEM/NAME in lower case")
    drivers_dir = root / "drivers"
    if drivers_dir.is_symlink():
        raise CheckerError("drivers: a link; refusing to write through it")

    _need_git()
    from checker.collect.driverfile import find_driver_files, read_driver
    from checker.collect.gitrepo import open_repo, resolve
    from checker.collect.rules import CollectRules
    from checker.discover.discover import discover
    from checker.discover.model import Unit

    policy = policy_mapping(args, root)
    rules = CollectRules.from_policy(policy)
    discover_rules = _discover_rules(policy, bool(args.discover))
    existing = {}
    for path in find_driver_files(root):
        _, driver, _ = read_driver(root, path)
        if driver is not None:
            existing[driver.id] = driver.spec
    existing_ids = {p.relative_to(drivers_dir).with_suffix("").as_posix()
                    for p in find_driver_files(root)}
    if args.id is not None:
        target = drivers_dir / f"{args.id}.yaml"
        if not target.parent.resolve().is_relative_to(root) or target.is_symlink():
            raise CheckerError(f"drivers/{args.id}.yaml: a link leaves the repository; "
                               "refusing to write through it")
        if args.id in existing_ids or target.exists():
            raise CheckerError(f"drivers/{args.id}.yaml already exists; refusing to overwrite "
                               "it (edit it, or run collect)")
    clock = time.monotonic()
    repo = open_repo(Path(args.kernel))
    try:
        revision = resolve(repo, args.rev)
        if discover_rules is None:
            discover_rules = _learn_rules(root, args, repo, revision.sha)
        found = discover(repo, revision.sha, args.discover, discover_rules,
                         existing, paths, taken=existing_ids)
        units, skipped = found.units, found.skipped
    finally:
        repo.close()
    if args.id is not None and units:
        unit = units[0]
        units = [Unit(args.id, unit.name, unit.name_from, unit.path, unit.include,
                      unit.kconfig, unit.granularity, unit.files)]
    for given in paths:
        for skip in skipped:
            if skip.path != given:
                continue
            if skip.reason == "already-covered":
                raise CheckerError(f"{given}: already-covered: already claimed by "
                                   f"drivers/{skip.detail.split(', ')[0]}.yaml; refusing to "
                                   "scaffold it again (edit that file, or run collect)")
            raise CheckerError(f"{safe(given)}: {skip.reason}: {safe(skip.detail)}")
    found_in = time.monotonic() - clock
    renamed = [u for u in units if u.renamed_from]

    for warning in found.warnings:
        print(f"driver-policy new: warning: {safe(warning)}", file=sys.stderr)
    if args.dry_run and args.format == "json":
        _json({
            "dry_run": True,
            "units": [{"id": u.id, "path": u.path, "kconfig": list(u.kconfig), "name": u.name,
                       "name_from": u.name_from, "renamed_from": u.renamed_from,
                       "files": list(u.files)}
                      for u in units],
            "skipped": [{"path": k.path, "reason": k.reason, "detail": k.detail}
                        for k in skipped],
            "files": [{"path": path, "unit": status[5:]} if status.startswith("unit:")
                      else {"path": path, "reason": status}
                      for path, status in sorted(found.files.items())],
            "file_counts": _file_counts(found.files),
            "warnings": list(found.warnings),
        })
        return 0
    if args.dry_run:
        for unit in units:
            kconfig = ",".join(unit.kconfig) or "-"
            note = f"  (id {unit.renamed_from} clashed)" if unit.renamed_from else ""
            print(f"unit  {unit.id}  {safe(unit.path)}  [{safe(kconfig)}]  "
                  f"{safe(repr(unit.name))} "
                  f"(name from {unit.name_from}){note}")
        for skip in skipped:
            print(f"skip  {safe(skip.path)}  {skip.reason}: {safe(skip.detail)}")
        print(_summary(len(units), skipped, renamed, would=True)
              + f"; found in {found_in:.1f} s")
        print("files below the directories: " + ", ".join(
            f"{count:,} {reason}" for reason, count in _file_counts(found.files).items()))
        if not units and args.discover:
            print(_why_none(found, discover_rules))
        return 0
    if not units:
        print(_summary(0, skipped, renamed, would=False))
        if args.discover:
            print(_why_none(found, discover_rules))
        return 0 if args.discover else 1
    return _scaffold(args, root, revision, units, skipped, renamed, rules,
                     usage_options(args, policy))


def _file_counts(files: dict[str, str]) -> dict[str, int]:
    counts = Counter("in a unit" if s.startswith("unit:") else s for s in files.values())
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _why_none(found: Any, rules: Any) -> str:
    """What a discovery that found nothing saw, and what to try."""
    reasons = Counter(s.reason for s in found.skipped)
    files = _file_counts(found.files)
    if not found.files:
        return ("new: no file below the directories: check the paths (they are relative to "
                "the tree's root)")
    if not found.build_files and rules.build_files:
        return ("new: no build file below the directories matched discover.build_files ("
                + ", ".join(rules.build_files) + "): name the tree's build files there, or "
                "remove the policy's discover: section to learn them from the tree")
    if rules.units == "kconfig" and found.kconfig is not None and not found.kconfig.symbols:
        return ("new: no Kconfig symbol was read (discover.kconfig.top: "
                + ", ".join(rules.kconfig_tops) + "): set the tree's top Kconfig file there")
    top = ", ".join(f"{n} {r}" for r, n in reasons.most_common(3)) or \
        ", ".join(f"{n} {r}" for r, n in list(files.items())[:3])
    return (f"new: 0 units ({top}); `--dry-run --format json` lists every file with its "
            "reason; docs/collect.md says what each reason means and which discover: key "
            "changes it")


def _summary(written: int, skipped: list[Any], renamed: list[Any], would: bool) -> str:
    reasons = Counter(s.reason for s in skipped)
    parts = [f"{written} unit(s) {'would be written' if would else 'written'}"]
    if skipped:
        parts.append(f"{len(skipped)} skipped (" + ", ".join(
            f"{count} {reason}" for reason, count in sorted(reasons.items())) + ")")
    if renamed:
        parts.append(f"{len(renamed)} id(s) changed by the clash rule (to choose one, "
                     "scaffold that path alone with --id SUBSYSTEM/NAME)")
    return "new: " + "; ".join(parts)


def _scaffold(args: argparse.Namespace, root: Path, revision: Any, units: list[Any],
              skipped: list[Any], renamed: list[Any], rules: Any, usage: Any) -> int:
    from checker.collect.run import DriverPaths, collect
    from checker.core.progress import Progress
    from checker.load.fsutil import FileAccessError
    from checker.load.rewrite import EXISTS, create_new
    from checker.validate.categories import Categories

    started = time.monotonic()
    progress = Progress("new", unit="commit", stream=sys.stderr, quiet=args.quiet)
    try:
        result = collect(Path(args.kernel), [DriverPaths(u.id, u.include, (), u.kconfig)
                                             for u in units],
                         rules, rev=revision.sha, window_end=args.window_end, jobs=args.jobs,
                         progress=progress, usage=usage)
    finally:
        progress.close()
    for warning in result.warnings:
        print(f"driver-policy new: warning: {safe(warning)}", file=sys.stderr)
    drivers_dir = root / "drivers"
    categories = Categories.from_policy(policy_mapping(args, root))  # the policy's list
    problems: list[str] = []
    planned: list[tuple[Any, Path, str, bytes]] = []
    for unit in units:
        target = drivers_dir / f"{unit.id}.yaml"
        shown = target.relative_to(root).as_posix()
        parent = target.parent
        if parent.is_symlink() or target.is_symlink() or (
                parent.exists() and not parent.resolve().is_relative_to(root)):
            problems.append(f"{shown}: a link leaves the repository; refusing to write "
                            "through it")
            continue
        parent.mkdir(parents=True, exist_ok=True)
        text = scaffold_text(unit, revision.sha, result.signals[unit.id],
                             result.kconfig.get(unit.id) or unit.kconfig,
                             result.maintainers_status.get(unit.id, "unknown"),
                             categories.guess(unit.path))
        planned.append((unit, target, shown, text.encode("utf-8")))

    def write(plan: tuple[Any, Path, str, bytes]) -> str:
        _, target, shown, data = plan
        try:  # created only where nothing is (a file may appear while collecting)
            create_new(target, data, display=shown)
        except FileAccessError as exc:
            return (f"{shown} already exists; refusing to overwrite it"
                    if exc.reason == EXISTS else str(exc))
        return ""

    # Each file is created under its directory's lock: one thread a directory, so that
    # the threads wait on the disk (fsync), not on each other's locks.
    by_directory: dict[Path, list[int]] = {}
    for number, plan in enumerate(planned):
        by_directory.setdefault(plan[1].parent, []).append(number)
    outcomes = [""] * len(planned)

    def write_directory(numbers: list[int]) -> None:
        for number in numbers:
            outcomes[number] = write(planned[number])

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:  # fsyncs wait on the disk, not the CPU
        list(pool.map(write_directory, by_directory.values()))
    written = 0
    files: list[dict[str, Any]] = []
    for (unit, _, shown, _), problem in zip(planned, outcomes, strict=True):
        if problem:
            problems.append(problem)
            continue
        written += 1
        files.append({"id": unit.id, "file": shown, "status": "draft",
                      "files": result.signals[unit.id]["files"],
                      "commits": result.signals[unit.id]["commits"]})
    elapsed = time.monotonic() - started
    if args.format == "json":
        _json({"dry_run": False, "kernel_rev": revision.sha, "written": files,
               "skipped": [{"path": k.path, "reason": k.reason, "detail": k.detail}
                           for k in skipped],
               "problems": problems})
        return 1 if problems else 0
    if len(units) == 1 and not problems:
        unit = units[0]
        signals = result.signals[unit.id]
        note = (f" (id {unit.renamed_from} is taken: clash rule; choose another with "
                "--id SUBSYSTEM/NAME)" if unit.renamed_from else "")
        print(f"new: wrote drivers/{unit.id}.yaml ({signals['files']} files, "
              f"{signals['commits']} commits in the window){note}; fill in the `unknown` "
              "fields")
    else:
        print(_summary(written, skipped, renamed, would=False)
              + f"; {result.commits_read:,} commits read in {elapsed:.1f} s")
    for problem in problems:
        print(f"driver-policy new: {safe(problem)}", file=sys.stderr)
    return 1 if problems else 0


def scaffold_text(unit: Any, sha: str, signals: dict[str, Any], kconfig: Any,
                  status: str, category: str = "misc") -> str:
    """The new driver file: facts from the kernel, assessment left `unknown`."""
    from checker.collect.yamltext import render_signals, scalar

    subsystem = unit.id.split("/", 1)[0]
    include = "".join(f"    - {scalar(p)}\n" for p in unit.include)
    symbols = ", ".join(scalar(s) for s in kconfig)
    # a device table (Linux's exported ones, or any tree's id tables) says it serves hardware
    hardware = "hardware" if signals["device_ids"] or signals.get("id_entries") else "unknown"
    comment = "" if unit.name_from in ("kconfig", "source") else (
        "   # from MAINTAINERS; check it" if unit.name_from == "maintainers"
        else "   # from the path: give it a real name")
    return f"""\
# Scaffolded by `driver-policy new` from {unit.path} at commit {sha[:12]} of the tree.
# Fields left `unknown` or TODO are for a person to fill from evidence (docs/evidence.md).
# A draft publishes no verdict: `driver-policy check` lists what is left to finish
# (TODO text, sources, `# guessed` fields, the verdict); then remove `status: draft`.
schema: 1
status: draft
name: {scalar(unit.name)}{comment}
subsystem: {scalar(subsystem)}
category: {category}   # guessed from the path (the policy's categories); check it
path: {scalar(unit.path)}
paths:
  include:
{include}  exclude: []
granularity: {unit.granularity}
kconfig: [{symbols}]
summary: >-
  TODO: what this driver is for, which hardware or protocol it serves, and who uses it.
provenance: {scalar(f"Scaffolded by driver-policy new from the tree at commit {sha}.")}

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
