"""Find the driver units below directories of a kernel-style tree at one revision.

`discover(repo, sha, dirs, rules)` -> (units, skipped). A *unit* is what one Kconfig
symbol builds: the objects and directories of the `obj-$(CONFIG_X) += ...` lines of one
Makefile that name X (a composite object `x.o` brings its members, `x-y`/`x-objs`/
`x-$(CONFIG_Y)`; a directory is one unit when every gate inside it names X, else its own
Makefile is read the same way). An `obj-y` object is a unit of its own, with no symbol.
Where no Makefile speaks, a directory holding one of the policy's *unit markers* (DPDK's
`meson.build` with `sources`, rdma-core's `CMakeLists.txt` with `rdma_provider(`) is one
unit; otherwise a directory without subdirectories is one unit and a directory with them
gives one unit per source file directly in it, and its subdirectories are read the same
way. A unit none of whose source files matches one of the policy's *entry points*
(`module_init(`, `module_*_driver(`, `RTE_PMD_REGISTER_PCI(`, ...) is skipped as
`not-a-driver` (headers only, helper libraries).

Every constant is data in the policy (`discover:`, docs/collect.md); the code holds
none. Names come from, in order: the Kconfig prompt of the unit's symbol, the first
policy `names` pattern found in its sources (MODULE_DESCRIPTION), the title of a
MAINTAINERS section specific to the unit (one that claims files of no other unit and is
not a catch-all), and last the path. Ids are `SUBSYSTEM/NAME` from the path; the clash
rule (`resolve_ids`) makes them unique and deterministic.

This module reads the tree only; it is a library function shared by `new --discover`
and the backtest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from checker.collect.discover_rules import DiscoverRules
from checker.collect.finder import (
    ALREADY_COVERED,
    MAX_SCAN,
    NO_SOURCES,
    NOT_A_DRIVER,
    Skipped,
    Unit,
    _Candidate,
    _Finder,
    _name,
    _parent,
    _Tree,
    _under,
)
from checker.collect.naming import (
    _kconfig_prompts,
    _pick_name,
    _specific_sections,
    default_id,
    resolve_ids,
)
from checker.core.errors import CheckerError
from checker.core.paths import PathIndex, PathSpec

# ---------------------------------------------------------------------------------


def discover(repo: Any, sha: str, dirs: Sequence[str], rules: DiscoverRules,
             existing: Mapping[str, PathSpec] | None = None, paths: Sequence[str] = (),
             taken: Iterable[str] = ()) -> tuple[list[Unit], list[Skipped]]:
    """The driver units below `dirs` in the tree at commit `sha`, and what was skipped.

    `paths` are kernel paths asked for one by one: each is one unit (a directory or a
    file), named and gated the same way, and kept even without an entry point.
    `existing` maps the ids of driver files already in the policy repository to their
    paths: a unit whose files they already claim is skipped as `already-covered`, and
    their ids (and `taken`) are taken for the clash rule. A file that two units would claim (a
    member shared by two composite objects) stays with the first found.
    """
    from checker.collect.maintainers import parse_maintainers
    from checker.collect.tree import list_tree, read_blobs

    entries = [e for e in list_tree(repo, sha) if e.kind == "blob"]
    tree = _Tree(e.path for e in entries)
    by_path = {e.path: e for e in entries}
    roots = []
    for directory in dirs:
        clean = directory.strip().strip("/")
        if not clean or not tree.is_dir(clean):
            raise CheckerError(f"--discover {directory}: no such directory in the tree at "
                               f"{sha[:12]}")
        roots.append(clean)
    asked = []
    for given in paths:
        clean = given.strip().strip("/")
        if not clean or not (tree.is_dir(clean) or clean in tree.all):
            raise CheckerError(f"{given}: no such file or directory in the kernel at "
                               f"{sha[:12]}")
        asked.append(clean)
    ancestors = {_parent(p) for p in asked}
    for path in list(ancestors):
        while path:
            path = _parent(path)
            ancestors.add(path)

    # Pass 1: build files, Kconfig files (anywhere: a prompt may sit above the unit),
    # markers and MAINTAINERS.
    marker_names = {m.file for m in rules.markers}
    wanted: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        name = _name(entry.path)
        if entry.mode == "120000":
            continue
        if (name in rules.makefiles and (any(_under(entry.path, r) for r in roots)
                                         or _parent(entry.path) in ancestors)) \
                or name in marker_names or name.startswith("Kconfig") \
                or entry.path == "MAINTAINERS":
            wanted[entry.sha].append(entry.path)
    texts: dict[str, str] = {}
    for blob, data in read_blobs(repo, sorted(wanted)):
        for path in wanted[blob]:
            texts[path] = data[:MAX_SCAN].decode("utf-8", "replace")

    from checker.collect.kbuild import parse_makefile

    makefiles = {}
    for path, text in texts.items():
        if _name(path) in rules.makefiles:
            makefiles[_parent(path)] = parse_makefile(_parent(path), text)
    prompts = _kconfig_prompts(t for p, t in texts.items() if _name(p).startswith("Kconfig"))

    finder = _Finder(tree, makefiles, texts, rules)
    for path in asked:
        finder.explicit(path)
    for root in sorted(set(roots)):
        finder.root(root)
    candidates, skipped = finder.candidates, finder.skipped
    owner: dict[str, str] = {}
    for candidate in candidates:
        mine = []
        for path in candidate.files:
            if owner.setdefault(path, candidate.path) == candidate.path:
                mine.append(path)
        if len(mine) < len(candidate.files):
            candidate.files = mine
            candidate.include = [p for p in candidate.include
                                 if p.endswith("/") or p in set(mine)]

    # Pass 2: the candidates' sources, for entry points and names.
    sources: dict[str, list[str]] = defaultdict(list)
    for candidate in candidates:
        for path in candidate.files:
            blob_entry = by_path.get(path)
            # headers are not read: entry points and descriptions are in the code
            if blob_entry is not None and blob_entry.mode != "120000" \
                    and rules.is_source(path) and not path.endswith(".h"):
                sources[blob_entry.sha].append(path)
    has_entry: set[str] = set()
    found_name: dict[str, str] = {}
    for blob, data in read_blobs(repo, sorted(sources)):
        text = data[:MAX_SCAN].decode("utf-8", "replace")
        entry_point = rules.has_entry_point(text)
        described = rules.name_in(text)
        for path in sources[blob]:
            if entry_point:
                has_entry.add(path)
            if described:
                found_name[path] = described

    covered = PathIndex((existing or {}).items())
    kept: list[_Candidate] = []
    for candidate in candidates:
        if not candidate.files or not candidate.include:
            skipped.append(Skipped(candidate.path, NO_SOURCES,
                                   "no file of it is in the tree (or another unit has them)"))
            continue
        if not candidate.explicit and not any(path in has_entry for path in candidate.files):
            skipped.append(Skipped(candidate.path, NOT_A_DRIVER, "no entry point in its sources"))
            continue
        owners = sorted({o for path in candidate.files for o in covered.owners(path)})
        if owners:
            skipped.append(Skipped(candidate.path, ALREADY_COVERED, ", ".join(owners)))
            continue
        kept.append(candidate)

    sections = parse_maintainers(texts.get("MAINTAINERS", ""))
    specific = _specific_sections(sections, kept)
    units = []
    for number, candidate in enumerate(kept):
        name, source = _pick_name(candidate, prompts, found_name, specific.get(number))
        units.append(Unit(
            id=default_id(candidate.path, candidate.stem),
            name=name,
            name_from=source,
            path=candidate.path,
            include=tuple(sorted(candidate.include)),
            kconfig=tuple(candidate.kconfig),
            granularity=candidate.granularity,
            files=tuple(sorted(candidate.files)),
        ))
    units = resolve_ids(units, set(existing or ()) | set(taken))
    skipped.sort(key=lambda s: (s.path, s.reason))
    return sorted(units, key=lambda u: u.id), skipped
