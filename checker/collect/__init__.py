"""git history and the tree at a revision -> maintenance signals for driver files.

The only package that imports gitpython. Stages, each with one input and one output:

- rules.py    the policy mapping -> CollectRules (window length, mechanical rules)
- gitrepo.py  open the checkout, resolve REV, stream git's output
- history.py  every commit listed once (series.py: mechanical series, reverts.py:
              reverts, sweeps.py: sweeps and what needs no walk, found while listing),
              walked in runs (walker.py), all drivers at once -> Activity
- tree.py     the tree at REV -> files, source lines, device IDs (kbuild.py: Kconfig,
              Makefiles, id tables; maintainers.py: MAINTAINERS)
- run.py      collect(): the above, in parallel (runner.py), -> signal mappings per driver
- write.py    signal mappings -> driver files (only their own bytes change; driverfile.py
              reads a driver file's segments, yamltext.py writes the values)
- discover.py units below directories of a tree (discover_rules.py: what to look for,
              finder.py: the walk, naming.py: names and ids), for `new --discover`

See docs/collect.md for what is counted and why.
"""

from __future__ import annotations
