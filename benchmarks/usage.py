"""Benchmark the usage evaluation of a tree's shipped configurations with the census
(`tree_built`, checker/collect/usage.py) against the same evaluation without it, measured
in the same run: one process per measurement, interleaved, best of --repeat, nothing
cached (DRIVER_POLICY_NO_CACHE=1). With `--compare children`, the evaluation in two
children against the same in one (a tree whose configurations are all read with one
parse, as NuttX's, ran in one child before its group was cut in two).

    python benchmarks/usage.py --kernel /work/trees/linux-pair --rev a9b564527 \\
        --scope drivers --env SRCARCH=x86
    python benchmarks/usage.py --kernel /tmp/cal-barebox.git --rev dd1d839c2c32 \\
        --scope drivers --env SRCARCH=arm
    python benchmarks/usage.py --kernel /tmp/cal-nuttx.git --rev 4ebc8a7291 \
        --scope drivers --compare children

The drivers' symbols asked are every tenth census symbol (a repository of some hundred
drivers of the tree; onboarding a whole tree asks nearly the census itself, and costs
less on top: docs/benchmarks.md); the baseline asks the same symbols with an empty census.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(kernel: str, rev: str, scope: list[str], env: list[str], census: bool,
            jobs: int = 2) -> str:
    """One evaluation in this process: its wall time, configurations, census size and
    share, as one line."""
    from checker.collect.gitrepo import open_repo, resolve
    from checker.collect.usage import UsageOptions, evaluate, read_inputs

    pairs = tuple((name, value) for name, _, value in (item.partition("=") for item in env))
    options = UsageOptions(("Kconfig",), pairs)
    repo = open_repo(Path(kernel))
    try:
        sha = resolve(repo, rev).sha
        started = time.monotonic()
        inputs, directories = read_inputs(repo, sha, options, scope)
        wanted = sorted(inputs.census)[::10]
        if not census:
            inputs.census = set()
        result, _ = evaluate(inputs, ["Kconfig"], dict(pairs), directories, wanted, jobs)
        elapsed = time.monotonic() - started
    finally:
        repo.close()
    digest = hashlib.sha256(json.dumps(result.as_json(), sort_keys=True).encode()).hexdigest()
    return (f"{elapsed:.3f} {len(result.enabled)} {len(result.defined)} "
            f"{result.built_share()} {digest[:16]}")


def tree_parser(description: str) -> argparse.ArgumentParser:
    """The arguments of the usage benchmarks (this one and needs.py): the tree, its
    revision, the drivers' top directories, the Kconfig variables, the repetitions."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--rev", required=True)
    parser.add_argument("--scope", nargs="+", default=["drivers"])
    parser.add_argument("--env", nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    return parser


# --compare: (baseline, measured) as (census asked, children)
COMPARED = {"census": {"baseline": (False, 2), "measured": (True, 2)},
            "children": {"baseline": (True, 1), "measured": (True, 2)}}


def main() -> int:
    parser = tree_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--compare", choices=sorted(COMPARED), default="census",
                        help="census: with the census against without (two children); "
                        "children: two children against one (with the census)")
    parser.add_argument("--one", choices=["baseline", "measured"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        census, jobs = COMPARED[args.compare][args.one]
        print(measure(args.kernel, args.rev, args.scope, args.env, census, jobs))
        return 0
    best: dict[str, float] = {}
    facts: dict[str, str] = {}
    for _ in range(args.repeat):
        for mode in ("baseline", "measured"):
            out = subprocess.run(
                [sys.executable, __file__, "--kernel", args.kernel, "--rev", args.rev,
                 "--scope", *args.scope, "--env", *args.env, "--compare", args.compare,
                 "--one", mode],
                check=True, capture_output=True, text=True,
                env={**os.environ, "DRIVER_POLICY_NO_CACHE": "1"}).stdout.split()
            best[mode] = min(best.get(mode, float("inf")), float(out[0]))
            facts[mode] = f"{out[1]} configurations, census {out[2]} symbols, " \
                f"tree_built {out[3]}, result {out[4]}"
    print(f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}; best of {args.repeat}, interleaved")
    for mode in ("baseline", "measured"):
        print(f"{args.kernel} {args.rev} {mode}: {facts[mode]}")
    names = {"census": ("without census", "with census"),
             "children": ("one child", "two children")}[args.compare]
    print(f"{names[0]} {best['baseline']:.2f} s, {names[1]} {best['measured']:.2f} s: "
          f"{best['measured'] / best['baseline']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
