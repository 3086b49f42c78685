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

from checker.collect.history import pathspecs_for  # noqa: E402
from checker.collect.rules import CollectRules  # noqa: E402
from checker.collect.run import day_start  # noqa: E402
from checker.collect.write import find_driver_files, read_driver  # noqa: E402


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/collect-bench"))
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)

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
        "(`git rev-list`, no diffs) and walks runs of them on one process per core while "
        "the listing goes on; one of those processes reads the tree meanwhile, so its wall "
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
