"""Per-stage CPU cost of checking one driver file, in-process, on a corpus.

    python benchmarks/stages.py CORPUS [--files N]

Times load, validate, evaluate + compare, card render, chart render and index row for
the first N driver files of CORPUS (built by make_corpus.py), and prints milliseconds
per driver for each stage.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path


def main() -> int:
    from checker.consistency import check_driver
    from checker.load import read_document
    from checker.policy import load_policy
    from checker.render import index_row, render_card, render_chart
    from checker.validate import validate_driver

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=600)
    args = parser.parse_args()
    root = args.corpus.resolve()
    policy = load_policy(root / "policies/default.yaml", "policies/default.yaml")
    rels = sorted(p.relative_to(root).as_posix() for p in root.glob("drivers/*/*.yaml"))
    totals = dict.fromkeys(("load", "validate", "evaluate", "card", "chart", "index row"), 0.0)
    done = 0
    for rel in rels[: args.files]:
        t0 = time.perf_counter()
        doc, _ = read_document(root / rel, rel)
        t1 = time.perf_counter()
        totals["load"] += t1 - t0
        if doc is None:
            continue
        driver, _ = validate_driver(doc)
        t2 = time.perf_counter()
        totals["validate"] += t2 - t1
        if driver is None:
            continue
        outcome, _ = check_driver(driver, policy, date.min, lambda _f, k, d=doc: d.locate(k))
        t3 = time.perf_counter()
        render_card(root / "templates", outcome, policy)
        t4 = time.perf_counter()
        render_chart(outcome)
        t5 = time.perf_counter()
        index_row(outcome)
        t6 = time.perf_counter()
        totals["evaluate"] += t3 - t2
        totals["card"] += t4 - t3
        totals["chart"] += t5 - t4
        totals["index row"] += t6 - t5
        done += 1
    for name, seconds in totals.items():
        print(f"{name:10s} {seconds / max(done, 1) * 1000:6.3f} ms per driver")
    print(f"{'total':10s} {sum(totals.values()) / max(done, 1) * 1000:6.3f} ms per driver "
          f"({done} drivers; load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
