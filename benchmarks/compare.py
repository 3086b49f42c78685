"""Cold `check` of one corpus by two installs of the checker, interleaved, best of N.

    python benchmarks/compare.py CORPUS BASE_BIN NEW_BIN [--repeat N]

CORPUS is a corpus from `make_corpus.py N --out CORPUS`; BASE_BIN and NEW_BIN are the
`driver-policy` executables of two frozen (non-editable) installs, say of main and of
a branch. Each round runs BASE then NEW, each with its cache removed and a user cache
of its own, and prints wall and CPU seconds (user + system of the process and its
workers); the end prints the best of each and NEW / BASE. Both runs see the same
machine load in every round, so the ratio is steadier than either time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def cold_check(binary: str, corpus: Path, user_cache: Path) -> tuple[float, float, int]:
    shutil.rmtree(corpus / ".driver-policy-cache", ignore_errors=True)
    shutil.rmtree(user_cache, ignore_errors=True)
    env = dict(os.environ, XDG_CACHE_HOME=str(user_cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run([binary, "-C", str(corpus), "check", "--today", "2026-11-21"],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float, int]]] = {"base": [], "new": []}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeat):
            for name in ("base", "new"):
                result = cold_check(getattr(args, name), args.corpus, Path(scratch) / name)
                runs[name].append(result)
                print(f"{name}: {result[0]:.2f} s wall, {result[1]:.2f} s CPU, exit {result[2]}",
                      flush=True)
    best = {name: (min(r[0] for r in rs), min(r[1] for r in rs)) for name, rs in runs.items()}
    for name, (wall, cpu) in best.items():
        print(f"{name} best: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(f"new / base: {best['new'][0] / best['base'][0]:.3f} by wall, "
          f"{best['new'][1] / best['base'][1]:.3f} by CPU; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
