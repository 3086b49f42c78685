"""Two builds of `driver-policy collect` on one real tree, against git's own pass.

    python benchmarks/collect_compare.py --tree /work/.mirror/barebox+barebox/repo \\
        --variant before=/path/to/main/.venv/bin/driver-policy \\
        --variant after=.venv/bin/driver-policy \\
        --variant after+keys=.venv/bin/driver-policy:policy-with-keys.yaml \\
        [--rev SHA --discover DIR...] [--jobs 2] [--repeat 3]

Scaffolds a policy repository once with the first variant's tool (`init --kernel
TREE`, `new --discover`; the tree's commit and directories are pinned in
benchmarks/collect.py's REAL_TREES), blanks every file's signals, then times,
interleaved and best of --repeat, git's own serial `git log --no-merges --numstat -M`
over the policy's window (output discarded) and `collect --jobs N` of every variant,
each on a fresh copy of the scaffold (with the variant's policy file, when one is
given after a colon). Wall and CPU seconds (the process and everything it waited
for) are reported with their ratio to git's pass in the same run, and a digest of the
driver files each variant wrote: variants that must agree show one digest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent))

from collect import REAL_TREES, blank_signals, tree_name
from onboard import run_with_rusage


def digest(root: Path) -> str:
    hashed = hashlib.sha256()
    for path in sorted((root / "drivers").rglob("*.yaml")):
        hashed.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--variant", action="append", required=True,
                        help="NAME=TOOL or NAME=TOOL:POLICY (repeatable)")
    parser.add_argument("--rev", default=None)
    parser.add_argument("--discover", nargs="+", default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rev, discover = args.rev, args.discover
    if rev is None or discover is None:
        pinned_rev, pinned_dirs = REAL_TREES[tree_name(args.tree)]
        rev, discover = rev or pinned_rev, discover or list(pinned_dirs)
    variants: dict[str, tuple[str, Path | None]] = {}
    for text in args.variant:
        name, _, rest = text.partition("=")
        tool, _, policy = rest.partition(":")
        variants[name] = (str(Path(tool).resolve()), Path(policy).resolve() if policy else None)
    first_tool = next(iter(variants.values()))[0]
    best: dict[str, tuple[float, float]] = {}
    digests: dict[str, set[str]] = {}
    with TemporaryDirectory(prefix="collect-compare-") as scratch:
        base = Path(scratch) / "policy"
        run_with_rusage([first_tool, "init", str(base), "--kernel", str(args.tree)])
        run_with_rusage([first_tool, "-C", str(base), "new", "-q", "--kernel", str(args.tree),
                         "--rev", rev, "--discover", *discover])
        units = sorted((base / "drivers").rglob("*.yaml"))
        from ruamel.yaml import YAML

        window = YAML(typ="safe").load(units[0].read_text())["signals"]["window"]
        for unit in units:
            blank_signals(unit)
        git = ["git", "-C", str(args.tree), "log", "--no-merges", "--numstat", "-M",
               f"--since={window['start'].isoformat()}T00:00:00Z",
               f"--until={window['end'].isoformat()}T23:59:59Z", rev]
        load_before = os.getloadavg()[0]
        for round_ in range(args.repeat):
            times = {"git": run_with_rusage(["sh", "-c", " ".join(git) + " > /dev/null"])[:2]}
            for name, (tool, policy) in variants.items():
                copy = Path(scratch) / f"run-{round_}"
                shutil.copytree(base, copy, symlinks=True)
                if policy is not None:
                    shutil.copyfile(policy, copy / "policies/default.yaml")
                times[name] = run_with_rusage(
                    [tool, "-C", str(copy), "collect", "-q", "--kernel", str(args.tree),
                     "--rev", rev, "--jobs", str(args.jobs)])[:2]
                digests.setdefault(name, set()).add(digest(copy))
                shutil.rmtree(copy)
            for name, (wall, cpu) in times.items():
                old = best.get(name)
                best[name] = (min(wall, old[0]), min(cpu, old[1])) if old else (wall, cpu)
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[0]:.1f} s" for k, v in
                                                       times.items()), file=sys.stderr)
        load_after = os.getloadavg()[0]
    git_wall, git_cpu = best["git"]
    print(f"{args.tree} at {rev[:12]}, --discover {' '.join(discover)}: {len(units)} units, "
          f"window {window['start']}..{window['end']}, --jobs {args.jobs}; load average "
          f"{load_before:.1f} before, {load_after:.1f} after; best of {args.repeat}")
    print("| what | wall s | CPU s | wall / git | CPU / git | files written (digest) |")
    print("|---|---:|---:|---:|---:|---|")
    for name, (wall, cpu) in best.items():
        written = ", ".join(sorted(digests.get(name, {"-"})))
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / git_wall:.2f}x | "
              f"{cpu / git_cpu:.2f}x | {written} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
