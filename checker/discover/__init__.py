"""A tree at one revision -> the driver units it holds (for `new --discover`, `init`, the
backtest). Reads the tree only; it never writes a driver file or decides a verdict.

- rules.py        the policy's `discover:` section -> DiscoverRules
- profiles.py     the bundled profiles and which one a tree matches (bundled.py: their names)
- learn.py        discover rules learned from a tree (constructs.py: what files register)
- graph.py        the build walked from the discovered directories: objects, their gates
- units.py        objects -> units by Kconfig symbol, and the skips with their reasons
- naming.py       names and ids
- model.py        Unit, Skipped
- discover.py     discover(): the above, and where every file below the directories went
"""
