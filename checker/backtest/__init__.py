"""Backtest: does the policy's score predict what upstream really removed?

Stages, each with one input and one output:

- units.py    the tree at OLD -> units (id, path patterns): the repository's drivers,
              or units discovered in the kernel tree
- truth.py    git history OLD..NEW -> the units that were removed (ground truth)
- engine.py   collect signals as of OLD (nothing after OLD is read), evaluate each unit
              under the policy -> rows (score, verdict, signals, outcome)
- metrics.py  rows -> ROC AUC with a seeded bootstrap CI, precision/recall,
              confusion table, single-signal AUCs (pure functions)
- report.py   a result -> text, json, markdown, and an ROC chart as SVG

See docs/backtest.md for what is measured and the figures on real trees.
"""

from __future__ import annotations
