"""Time `driver-policy collect` against git's own single pass and one `git log` per driver.

    python benchmarks/collect.py [--workdir DIR] [--commits 100000] [--drivers 2500]
                                 [--seed 1] [--repeat 3] [--sample 40] [--write-docs]

Builds (once, in --workdir) a synthetic kernel-like repository and its driver files
with benchmarks/make_history.py, then measures, interleaved so that each gets the same
machine load, --repeat times (medians reported):

- floor: git's own serial single pass, `git log --no-merges --numstat` over the same
  window and path prefixes, output discarded;
- collect, first run: every driver file gets its signals (a fresh copy each time);
- collect, second run at the same REV: must change no byte (checked);
- one `git log --numstat` per driver over the same window, on --sample drivers,
  extrapolated to all of them.

Wall-clock and CPU seconds (user + system of the process tree) are both reported:
the machine may be shared, and CPU time says what the work costs whatever the load.
With --write-docs, the "## collect" section of docs/benchmarks.md is replaced.

Real-tree mode (the commits are pinned in REAL_TREES below; --rev overrides):

    python benchmarks/collect.py --tree /work/.mirror/barebox+barebox/repo
    python benchmarks/collect.py --tree /work/.mirror/DPDK+dpdk/repo --discover drivers/net

makes a policy repository once (`driver-policy init --kernel TREE`, then `new
--discover`), then times, interleaved and best of --repeat, three whole processes over
the policy's window ending at REV: git's own serial `git log --no-merges --numstat -M`
(whole tree, output discarded), and `driver-policy collect --jobs 1` and `--jobs 2`,
each on a fresh copy of the scaffolded repository. The files each collect leaves are
compared byte for byte: they must be identical for every --jobs and every round.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.collect.driverfile import find_driver_files, read_driver  # noqa: E402
from checker.collect.history import pathspecs_for  # noqa: E402
from checker.collect.rules import CollectRules  # noqa: E402
from checker.collect.run import day_start  # noqa: E402


@dataclass
class Timing:
    wall: float
    cpu: float


def timed(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
          quiet: bool = True) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL if quiet else None)
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in find_driver_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def median(values: list[float]) -> float:
    return statistics.median(values)


# Real trees, each at a pinned commit, with the directories `new --discover` scaffolds.
REAL_TREES: dict[str, tuple[str, tuple[str, ...]]] = {
    "barebox": ("dd1d839c2c32a9dfb3fff919bad4570953137ab7", ("drivers",)),
    "dpdk": ("38f72e500b3b159eca3ba2f4ca0e46a26a7cb057", ("drivers/net",)),
    "rdma-core": ("691953d8d502f54088f776c5ba2aeed0a5ac945d", ("providers",)),
}


# Trees whose discover rules `init` does not know: one unit per directory below these
# parents (globs as `git ls-tree` lists them), less the excluded ones. NuttX: every
# drivers/* and arch/*/src/* directory (231 units; the chip directories carry its
# tree-wide sweeps). Its mirror lacks three large blobs (two PNG files under
# Documentation/, drivers/video/new_logo.c): drivers/video is left out, and git's pass
# is over the units' top directories (drivers, arch) without it.
PATH_TREES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "nuttx": ("4ebc8a7291df955dece09073b8798db2dfd6490b", ("drivers", "arch/*/src"),
              ("drivers/video", "*/common", "*/include")),
}


def tree_name(tree: Path) -> str:
    """The REAL_TREES or PATH_TREES key of a mirror path such as /work/.mirror/DPDK+dpdk/repo."""
    text = str(tree).lower()
    for name in (*REAL_TREES, *PATH_TREES):
        if f"+{name}" in text or text.rstrip("/").removesuffix(".git").endswith(name):
            return name
    raise SystemExit(f"{tree}: not one of the pinned trees "
                     f"({', '.join((*REAL_TREES, *PATH_TREES))}); give --rev and --discover")


def unit_paths(tree: Path, rev: str, parents: tuple[str, ...],
               excluded: tuple[str, ...]) -> list[str]:
    """One unit per directory below `parents` at `rev` (PATH_TREES)."""
    from fnmatch import fnmatch

    found: list[str] = []
    for parent in parents:
        head, _, tail = parent.partition("/*")
        bases = [head]
        if tail:  # arch/*/src: every arch directory, then its src
            listed = subprocess.run(["git", "-C", str(tree), "ls-tree", "-d", "--name-only",
                                     rev, f"{head}/"], capture_output=True, text=True,
                                    check=True).stdout.split()
            bases = [f"{name}{tail}" for name in listed]
        for base in bases:
            listed = subprocess.run(["git", "-C", str(tree), "ls-tree", "-d", "--name-only",
                                     rev, f"{base}/"], capture_output=True, text=True,
                                    check=True).stdout.split()
            found += [name for name in listed
                      if not any(fnmatch(name, pattern) for pattern in excluded)]
    return sorted(found)


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of a policy repository but its .git, by relative path."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and ".git" not in path.relative_to(root).parts}


def blank_signals(path: Path) -> None:
    """Replace a scaffolded file's `signals:` block with `signals: null`, so that collect
    has every file's signals to write (and the comparison across --jobs means something)."""
    lines = path.read_text().splitlines(keepends=True)
    start = lines.index("signals:\n")
    end = next(i for i in range(start + 1, len(lines))
               if lines[i][:1].isalpha() or lines[i].startswith("#"))
    path.write_text("".join([*lines[:start], "signals: null\n\n", *lines[end:]]))


def real_tree(args: argparse.Namespace) -> int:
    from tempfile import TemporaryDirectory

    from onboard import run_with_rusage
    from ruamel.yaml import YAML

    tree: Path = args.tree
    rev, discover = args.rev, args.discover
    units_given: list[str] = []
    git_paths: list[str] = []  # git's pass: the whole tree
    if rev is None or discover is None:
        name = tree_name(tree)
        if name in PATH_TREES:
            pinned_rev, parents, excluded = PATH_TREES[name]
            rev = rev or pinned_rev
            units_given = unit_paths(tree, rev, parents, excluded)
            git_paths = sorted({p.split("/")[0] for p in parents}) + [
                f":(exclude){e}" for e in excluded if "*" not in e]
            discover = []
        else:
            pinned_rev, pinned_dirs = REAL_TREES[name]
            rev, discover = rev or pinned_rev, discover or list(pinned_dirs)
    tool = str(Path(sys.executable).parent / "driver-policy")
    best: dict[str, tuple[float, float, int]] = {}
    written: dict[str, bytes] | None = None
    with TemporaryDirectory(prefix="collect-bench-") as scratch:
        base = Path(scratch) / "policy"
        subprocess.run([tool, "init", str(base), "--kernel", str(tree)], check=True,
                       stdout=subprocess.DEVNULL)
        run_with_rusage([tool, "-C", str(base), "new", "-q", "--kernel", str(tree), "--rev",
                         rev, *(["--discover", *discover] if discover else units_given)])
        units = sorted((base / "drivers").rglob("*.yaml"))
        signals = YAML(typ="safe").load(units[0].read_text())["signals"]["window"]
        start, end = signals["start"], signals["end"]
        for unit in units:
            blank_signals(unit)
        scaffolded = files_of(base)
        git = ["git", "-C", str(tree), "log", "--no-merges", "--numstat", "-M",
               f"--since={start.isoformat()}T00:00:00Z",
               f"--until={end.isoformat()}T23:59:59Z", rev,
               *(["--", *(f"'{p}'" for p in git_paths)] if git_paths else [])]
        load_before = os.getloadavg()
        for round_ in range(args.repeat):
            wall, cpu, rss, _ = run_with_rusage(["sh", "-c", " ".join(git) + " > /dev/null"])
            times = {"git": (wall, cpu, rss)}
            for jobs in (1, 2):
                copy = Path(scratch) / f"run-j{jobs}"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(base, copy, symlinks=True)
                times[f"j{jobs}"] = run_with_rusage(
                    [tool, "-C", str(copy), "collect", "--kernel", str(tree), "--rev", rev,
                     "--jobs", str(jobs)])[:3]
                result = files_of(copy)
                changed = sum(result[k] != v for k, v in scaffolded.items())
                if changed != len(units):
                    print(f"FAIL: collect --jobs {jobs} wrote {changed} of {len(units)} files",
                          file=sys.stderr)
                    return 1
                if written is None:
                    written = result
                elif result != written:
                    differ = sorted(k for k in result.keys() | written.keys()
                                    if result.get(k) != written.get(k))
                    print(f"FAIL: collect --jobs {jobs} (round {round_ + 1}) wrote different "
                          f"files: {', '.join(differ[:10])} ({len(differ)} in all)",
                          file=sys.stderr)
                    return 1
                shutil.rmtree(copy)
            for name, value in times.items():
                old = best.get(name)
                best[name] = (min(value[0], old[0]), min(value[1], old[1]),
                              max(value[2], old[2])) if old else value
            print(f"round {round_ + 1}: git {times['git'][0]:.1f} s, collect -j1 "
                  f"{times['j1'][0]:.1f} s, -j2 {times['j2'][0]:.1f} s", file=sys.stderr)
        load_after = os.getloadavg()
    git_t, one, two = best["git"], best["j1"], best["j2"]
    scaffolded_by = f"--discover {' '.join(discover)}" if discover else \
        f"{len(units_given)} directories as units"
    print(f"{tree} at {rev[:12]}, {scaffolded_by}: {len(units)} units, "
          f"window {start}..{end}; {len(os.sched_getaffinity(0))} cores, load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; best of {args.repeat}, "
          "interleaved; every round, collect wrote the signals of all "
          f"{len(units)} files "
          "(blanked in the scaffold), byte-identical for --jobs 1 and 2"
          + (f"; git's pass over {' '.join(git_paths)}" if git_paths else ""))
    print("| tree (commit) | units | git log --numstat -M (serial) | collect -j1 | "
          "collect -j2 | -j1 / git | -j2 / git | CPU: git, -j1, -j2 | peak RSS -j1, -j2 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {tree_name(tree) if args.rev is None else tree} (`{rev[:12]}`) | {len(units)} | "
          f"{git_t[0]:.1f} s | {one[0]:.1f} s | {two[0]:.1f} s | {one[0] / git_t[0]:.2f}x | "
          f"{two[0] / git_t[0]:.2f}x | {git_t[1]:.1f}, {one[1]:.1f}, {two[1]:.1f} s | "
          f"{one[2]}, {two[2]} MB |")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=None,
                        help="a real git tree (real-tree mode; see the module docstring)")
    parser.add_argument("--rev", default=None, help="the tree's commit (default: pinned)")
    parser.add_argument("--discover", nargs="+", default=None,
                        help="directories `new --discover` scaffolds (default: pinned)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/collect-bench"))
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.tree is not None:
        return real_tree(args)

    work: Path = args.workdir
    kernel, drivers_dir = work / "kernel", work / "policy"
    python = sys.executable
    build: Timing | None = None
    if not kernel.exists():
        work.mkdir(parents=True, exist_ok=True)
        build = timed([python, str(ROOT / "benchmarks" / "make_history.py"), str(kernel),
                       "--commits", str(args.commits), "--drivers", str(args.drivers),
                       "--seed", str(args.seed), "--emit-drivers", str(drivers_dir)])
    from ruamel.yaml import YAML

    policy = YAML(typ="safe").load((drivers_dir / "policies" / "default.yaml").read_text())
    rules = CollectRules.from_policy(policy)
    docs = [read_driver(drivers_dir, p) for p in find_driver_files(drivers_dir)]
    drivers = [paths for _, paths, _ in docs if paths is not None]
    head = subprocess.run(["git", "log", "-1", "--format=%H %ct"], cwd=kernel, check=True,
                          capture_output=True, text=True).stdout.split()
    from datetime import UTC, datetime

    end_day = datetime.fromtimestamp(int(head[1]), UTC).date()
    start_day, end_day = rules.window(end_day)
    since, until = day_start(start_day), day_start(end_day + timedelta(days=1)) - 1
    pathspecs = list(pathspecs_for(d.spec for d in drivers))
    counts = subprocess.run(["git", "rev-list", "--count", "--no-merges", "HEAD"], cwd=kernel,
                            capture_output=True, text=True, check=True).stdout.strip()
    window_count = subprocess.run(
        ["git", "rev-list", "--count", "--no-merges", f"--since=@{since}", f"--until=@{until}",
         "HEAD", "--", *pathspecs], cwd=kernel, capture_output=True, text=True,
        check=True).stdout.strip()
    log_floor = ["git", "log", "--no-merges", "--numstat", f"--since=@{since}",
                 f"--until=@{until}", "HEAD", "--", *pathspecs]
    collect = [python, "-m", "checker", "-C", "{repo}", "collect", "--kernel", str(kernel)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    floor, first, second = [], [], []
    load_before = os.getloadavg()
    for round_ in range(args.repeat):
        copy = work / f"run{round_}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(drivers_dir, copy)
        floor.append(timed(log_floor, cwd=kernel))
        command = [part.replace("{repo}", str(copy)) for part in collect]
        first.append(timed(command, cwd=ROOT, env=env))
        written = tree_hash(copy)
        second.append(timed(command, cwd=ROOT, env=env))
        if tree_hash(copy) != written:
            print("FAIL: the second run at the same REV changed bytes", file=sys.stderr)
            return 1
        print(f"round {round_ + 1}: floor {floor[-1].wall:.1f} s, collect {first[-1].wall:.1f} s"
              f" / {second[-1].wall:.1f} s", file=sys.stderr)
        shutil.rmtree(copy)

    rng = random.Random(args.seed)
    sample = rng.sample(drivers, min(args.sample, len(drivers)))
    per_driver = Timing(0.0, 0.0)
    for driver in sample:
        spec = [*driver.include, *(f":(exclude){e}" for e in driver.exclude)]
        one = timed(["git", "log", "--no-merges", "--numstat", f"--since=@{since}",
                     f"--until=@{until}", "HEAD", "--", *spec], cwd=kernel)
        per_driver.wall += one.wall
        per_driver.cpu += one.cpu
    scale = len(drivers) / len(sample)
    per_all = Timing(per_driver.wall * scale, per_driver.cpu * scale)
    load_after = os.getloadavg()

    f_wall, f_cpu = median([t.wall for t in floor]), median([t.cpu for t in floor])
    c_wall, c_cpu = median([t.wall for t in first]), median([t.cpu for t in first])
    s_wall, s_cpu = median([t.wall for t in second]), median([t.cpu for t in second])
    cores = len(os.sched_getaffinity(0))
    lines = [
        "## collect",
        "",
        f"Measured by `python benchmarks/collect.py --repeat {args.repeat} --sample "
        f"{args.sample}` on a synthetic repository from `benchmarks/make_history.py "
        f"--commits {args.commits} --drivers {args.drivers} --seed {args.seed}`: "
        f"{counts} non-merge commits over six years, {len(drivers)} driver files, "
        f"{window_count} non-merge commits touching driver paths in the "
        f"{rules.window_months}-month window ({start_day}..{end_day}). "
        f"{cores} cores; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        "(the machine was shared: CPU seconds are the steadier figure). Medians of "
        f"{args.repeat} interleaved rounds; one `git log` per driver measured on "
        f"{len(sample)} drivers and extrapolated.",
        "",
        "| what | wall s | CPU s | wall vs floor | CPU vs floor |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| floor: `git log --no-merges --numstat` over the window, one serial pass | "
        f"{f_wall:.1f} | {f_cpu:.1f} | 1.00 | 1.00 |",
        f"| `collect`, every driver, first run (writes {len(drivers)} files) | {c_wall:.1f} | "
        f"{c_cpu:.1f} | {c_wall / f_wall:.2f} | {c_cpu / f_cpu:.2f} |",
        f"| `collect` again at the same REV (no byte changes: checked) | {s_wall:.1f} | "
        f"{s_cpu:.1f} | {s_wall / f_wall:.2f} | {s_cpu / f_cpu:.2f} |",
        f"| one `git log --numstat` per driver (extrapolated) | {per_all.wall:.0f} | "
        f"{per_all.cpu:.0f} | {per_all.wall / f_wall:.1f} | {per_all.cpu / f_cpu:.1f} |",
        "",
        f"One log per driver is {per_all.wall / c_wall:.0f}x slower than `collect` in wall "
        f"time ({per_all.cpu / c_cpu:.0f}x in CPU time). `collect` does more than the floor: "
        "whole-commit diffs (`--full-diff`, to tell sweeps by size), rename detection, "
        "history before the window (first commit dates), the tree at REV (source lines, "
        "device tables, Kconfig, MAINTAINERS) and the writes. It lists every commit once "
        "(one `git log`, no diffs, which also finds the mechanical series), walks the "
        "window's commits while the rest is still listed, and runs of them on one process "
        "per core; the tree is read meanwhile, so its wall "
        "time depends on getting both cores: on a shared machine the figures move with "
        "the load (see the load averages above). Per-phase times: "
        "`DRIVER_POLICY_TIMINGS=1 driver-policy collect ...`.",
    ]
    if build is not None:
        lines += ["", f"Building the repository took {build.wall:.0f} s."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", text)
    return 0


def write_section(path: Path, section: str) -> None:
    """Replace the `## collect` section (up to the next `## `), or append it."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "## collect"), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(new)


if __name__ == "__main__":
    raise SystemExit(main())
