"""Benchmark the per-file facts `collect` reads from a tree's C sources
(checker/collect/tree.py `read_tree`): `device_ids` (the tables MODULE_DEVICE_TABLE
names) as it was read before `id_entries` (the baseline), the newest copyright year,
and both table counts read separately (every file parsed again for its id tables) and
as `collect` reads them (`kbuild.table_counts`: one parse for both, and a file that
names no id-table struct type not parsed for it), in the same run, over the same texts.
Best of --repeat; the counts of the two ways are compared.

    python benchmarks/source_facts.py --tree /work/trees/linux-6.1 --under drivers
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def texts_below(tree: Path, under: str) -> list[str]:
    found = []
    for directory, _dirs, files in os.walk(tree / under):
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                found.append((Path(directory) / name).read_bytes().decode("utf-8", "replace"))
    return found


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, required=True, help="a checked-out tree")
    parser.add_argument("--under", default="drivers", help="the directory read (drivers)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from checker.collect import kbuild
    from checker.collect.tree import newest_copyright

    texts = texts_below(args.tree, args.under)
    size = sum(len(t) for t in texts)

    def exported_only(text: str) -> int:  # what device_ids alone costs
        if "MODULE_DEVICE_TABLE" not in text:
            return 0
        code = kbuild.strip_comments(text)
        return kbuild._exported_entries(code, kbuild.array_bodies(code))

    def id_tables_alone(text: str) -> int:  # every file parsed again, for id tables only
        code = kbuild.strip_comments(text)
        starts: dict[str, int] = {}
        return kbuild._id_table_entries(code, kbuild.array_bodies(code, starts), starts)

    separate: list[tuple[int, int]] = []
    shared: list[tuple[int, int]] = []
    rows = [
        ("device_ids alone (baseline: the exported tables only)",
         best(args.repeat, lambda: [exported_only(t) for t in texts])),
        ("newest copyright year", best(args.repeat, lambda: [newest_copyright(t) for t in texts])),
        ("device_ids, then id_entries parsing every file again",
         best(args.repeat, lambda: separate.__setitem__(
             slice(None), [(exported_only(t), id_tables_alone(t)) for t in texts]))),
        ("table_counts: both from one parse, files naming no id-table type not parsed "
         "for it (collect)",
         best(args.repeat, lambda: shared.__setitem__(
             slice(None), [kbuild.table_counts(t) for t in texts]))),
    ]
    base = rows[0][1]
    print(f"{len(texts):,} C files, {size / 1e6:.0f} MB below {args.under}/ of {args.tree}; "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; best of "
          f"{args.repeat}\n")
    print("| what | s | vs baseline |\n|---|---:|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} | {seconds / base:.2f} |")
    same = separate == shared
    print(f"\nthe same counts both ways: {same} ({sum(e for _d, e in shared):,} id table "
          f"entries, {sum(d for d, _e in shared):,} device ids)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
