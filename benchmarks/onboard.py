"""Benchmark `driver-policy new --discover` on a real tree against two baselines
measured in the same run: git's own serial `git log --no-merges --numstat -M` over the
same window, and `driver-policy collect` of the units just written.

    python benchmarks/onboard.py --kernel /work/.mirror/barebox+barebox/repo \\
        --rev dd1d839c2c32a9dfb3fff919bad4570953137ab7 --discover drivers
    python benchmarks/onboard.py --kernel /work/.mirror/DPDK+dpdk/repo \\
        --rev 38f72e500b3b159eca3ba2f4ca0e46a26a7cb057 --discover drivers/net drivers/crypto

Each phase is a separate process, the three interleaved, best of --repeat; wall time,
CPU time and the peak RSS of the largest process (wait4's ru_maxrss: the process or
its largest waited-for descendant) are reported. The policy repository is created with
`driver-policy init` (discover rules picked from the tree) in a temporary directory.
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


def run_with_rusage(command: list[str], cwd: Path | None = None
                    ) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS in MB, stdout) of one command; CPU and RSS
    include the processes it waited for (git, worker processes)."""
    started = time.monotonic()
    env = {**os.environ, "DRIVER_POLICY_NO_PROGRESS": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}): {problem[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--rev", required=True, help="the tree's commit, pinned")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--discover", nargs="+", required=True)
    parser.add_argument("--repeat", type=int, default=3, help="best of N (interleaved)")
    args = parser.parse_args()
    tool = str(Path(sys.executable).parent / "driver-policy")
    best: dict[str, tuple[float, float, int]] = {}
    summary = ""
    units = 0
    window: tuple[date, date] | None = None

    def keep(name: str, wall: float, cpu: float, rss: int) -> None:
        old = best.get(name)
        best[name] = (min(wall, old[0]), min(cpu, old[1]), max(rss, old[2])) if old else (
            wall, cpu, rss)

    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="onboard-") as scratch:
            work = Path(scratch) / "policy"
            init = [tool, "init", str(work), "--kernel", args.kernel]
            if args.profile:
                init += ["--profile", args.profile]
            subprocess.run(init, check=True, stdout=subprocess.DEVNULL)
            wall, cpu, rss, out = run_with_rusage(
                [tool, "-C", str(work), "new", "-q", "--kernel", args.kernel, "--rev",
                 args.rev, "--discover", *args.discover])
            keep("new", wall, cpu, rss)
            summary = out.strip().splitlines()[-1]
            files = sorted((work / "drivers").rglob("*.yaml"))
            units = len(files)
            first = YAML(typ="safe").load(files[0].read_text())
            start, end = first["signals"]["window"]["start"], first["signals"]["window"]["end"]
            window = (start, end)
            keep("git", *run_with_rusage(
                ["sh", "-c", f"git -C '{args.kernel}' log --no-merges --numstat -M "
                 f"--since='{start.isoformat()}T00:00:00Z' "
                 f"--until='{end.isoformat()}T23:59:59Z' {args.rev} > /dev/null"])[:3])
            keep("collect", *run_with_rusage(
                [tool, "-C", str(work), "collect", "--kernel", args.kernel, "--rev",
                 args.rev])[:3])
    assert window is not None
    new, git, collect = best["new"], best["git"], best["collect"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average at the end {os.getloadavg()[0]:.2f}; "
          f"best of {args.repeat}, interleaved")
    print(f"tree: {args.kernel} at {args.rev}; --discover {' '.join(args.discover)}; "
          f"window {window[0]}..{window[1]}")
    print(summary)
    print("| units | new --discover | CPU | peak RSS | git log --numstat -M (serial) | "
          "collect, same units | new / git log | new / collect | CPU: new / git log |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {units:,} | {new[0]:.1f} s | {new[1]:.1f} s | {new[2]} MB | {git[0]:.1f} s | "
          f"{collect[0]:.1f} s | {new[0] / git[0]:.2f}x | {new[0] / collect[0]:.2f}x | "
          f"{new[1] / git[1]:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
