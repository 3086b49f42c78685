"""git history and the tree at a revision -> maintenance signals for driver files.

The only package that imports gitpython. Stages, each with one input and one output:

- rules.py    the policy mapping -> CollectRules (window length, mechanical rules)
- gitrepo.py  open the checkout, resolve REV, stream git's output
- history.py  every commit listed once, walked in runs, all drivers at once -> Activity
- tree.py     the tree at REV -> files, source lines, device IDs, Kconfig, MAINTAINERS
- run.py      collect(): the above, in parallel, -> signal mappings per driver
- write.py    signal mappings -> driver files (only their own bytes change)

See docs/collect.md for what is counted and why.
"""

from __future__ import annotations
