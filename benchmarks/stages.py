"""Per-stage CPU cost of checking one driver file, in-process, on a corpus.

    python benchmarks/stages.py CORPUS [--files N]

Times (CPU time of this process) load, validate, evaluate + compare, the card and chart
(a seal check when the card is current, else a render), claim positions and the index
row for the first N driver files of CORPUS (built by make_corpus.py, cards rendered),
and prints milliseconds per driver for each stage.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path


def main() -> int:
    from checker.check.driver import _claim_marks, _on_disk
    from checker.evaluate.consistency import check_driver
    from checker.load.cache import digest_bytes
    from checker.load.document import parse_document
    from checker.render.cards import card_path, render_card
    from checker.render.chart import chart_path, render_chart
    from checker.render.index import index_row
    from checker.render.seal import inputs_digest, inputs_key
    from checker.validate.driver import validate_driver
    from checker.validate.policy import load_policy

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=600)
    args = parser.parse_args()
    root = args.corpus.resolve()
    policy_file = root / "policies/default.yaml"
    policy = load_policy(policy_file, "policies/default.yaml")
    key = inputs_key(root / "templates", policy_file.read_bytes())
    rels = sorted(p.relative_to(root).as_posix() for p in root.glob("drivers/*/*.yaml"))
    names = ("read", "load", "validate", "evaluate", "card", "chart", "claim", "index row")
    totals = dict.fromkeys(names, 0.0)
    rendered = done = 0
    clock = time.process_time
    for rel in rels[: args.files]:
        t0 = clock()
        raw = (root / rel).read_bytes()
        t1 = clock()
        doc, _ = parse_document(raw, rel)
        t2 = clock()
        totals["read"] += t1 - t0
        totals["load"] += t2 - t1
        if doc is None:
            continue
        driver, _ = validate_driver(doc)
        t3 = clock()
        totals["validate"] += t3 - t2
        if driver is None:
            continue
        outcome, _ = check_driver(driver, policy, date.min, lambda _f, k, d=doc: d.locate(k))
        t4 = clock()
        inputs = inputs_digest(key, rel, raw)
        if not _on_disk(root, card_path(driver), inputs)[1]:
            digest_bytes(render_card(root / "templates", outcome, policy, inputs).encode())
            rendered += 1
        t5 = clock()
        if not _on_disk(root, chart_path(driver), inputs)[1]:
            render_chart(outcome, inputs)
        t6 = clock()
        _claim_marks(doc, driver)
        t7 = clock()
        index_row(outcome)
        t8 = clock()
        for name, seconds in zip(names[3:], (t4 - t3, t5 - t4, t6 - t5, t7 - t6, t8 - t7),
                                 strict=True):
            totals[name] += seconds
        done += 1
    for name, seconds in totals.items():
        print(f"{name:10s} {seconds / max(done, 1) * 1000:6.3f} ms per driver")
    print(f"{'total':10s} {sum(totals.values()) / max(done, 1) * 1000:6.3f} ms per driver "
          f"({done} drivers, {rendered} cards rendered; load average "
          f"{os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
