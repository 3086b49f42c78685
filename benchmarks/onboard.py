"""Benchmark `driver-policy new --discover` on a real tree against two baselines
measured in the same run: git's own serial `git log --no-merges --numstat -M` over the
same window, and `driver-policy collect` of the units just written.

    python benchmarks/onboard.py --kernel /work/.mirror/barebox+barebox/repo \\
        --rev dd1d839c2c32a9dfb3fff919bad4570953137ab7 --profile barebox \\
        --discover drivers arch fs net

Each phase is a separate process; wall time and the peak RSS of the largest process
(wait4's ru_maxrss: the process or its largest waited-for descendant) are reported.
The policy repository is created with `driver-policy init` in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ruamel.yaml import YAML


def run_with_rusage(command: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    started = time.monotonic()
    env = {**os.environ, "DRIVER_POLICY_NO_PROGRESS": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {problem[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--rev", required=True, help="the tree's commit, pinned")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--discover", nargs="+", required=True)
    parser.add_argument("--keep", metavar="DIR", help="create the policy repository here")
    args = parser.parse_args()
    tool = str(Path(sys.executable).parent / "driver-policy")
    work = Path(args.keep or tempfile.mkdtemp(prefix="onboard-"))
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"{work}: not empty")
    init = [tool, "init", str(work), "--kernel", args.kernel]
    if args.profile:
        init += ["--profile", args.profile]
    subprocess.run(init, check=True, stdout=subprocess.DEVNULL)

    new_s, new_rss, out = run_with_rusage(
        [tool, "-C", str(work), "new", "-q", "--kernel", args.kernel, "--rev", args.rev,
         "--discover", *args.discover])
    summary = out.strip().splitlines()[-1]
    files = sorted((work / "drivers").rglob("*.yaml"))
    first = YAML(typ="safe").load(files[0].read_text())
    window = first["signals"]["window"]
    start, end = window["start"], window["end"]
    assert isinstance(start, date) and isinstance(end, date)

    git_s, git_rss, _ = run_with_rusage(
        ["sh", "-c", f"git -C '{args.kernel}' log --no-merges --numstat -M "
         f"--since='{start.isoformat()}T00:00:00Z' --until='{end.isoformat()}T23:59:59Z' "
         f"{args.rev} > /dev/null"])
    collect_s, collect_rss, _ = run_with_rusage(
        [tool, "-C", str(work), "collect", "--kernel", args.kernel, "--rev", args.rev])

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    print(f"tree: {args.kernel} at {args.rev}; --discover {' '.join(args.discover)}; "
          f"window {start}..{end}")
    print(summary)
    print("| units | new --discover | peak RSS | git log --numstat -M | collect (same units) "
          "| new / git log | new / collect |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(files):,} | {new_s:.1f} s | {new_rss} MB | {git_s:.1f} s | "
          f"{collect_s:.1f} s ({collect_rss} MB) | {new_s / git_s:.2f}x | "
          f"{new_s / collect_s:.2f}x |")
    del git_rss
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
