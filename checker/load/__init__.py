"""Load: files -> Documents. The one door for repository files (fsutil), where things
live (layout), the working tree and git trees as sources, YAML -> plain data with a
way back to line/column (document; libyaml's fast path, fastyaml; the YAML 1.2 reference,
reference; plain scalars, scalars), claim marks, and the cache of results."""
