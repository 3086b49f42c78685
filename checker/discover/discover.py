"""Find the driver units below directories of a kernel-style tree at one revision.

`discover(repo, sha, dirs, rules)` -> `Discovery`: units, what was skipped and why,
and where every file below the directories went (`files`: path -> unit id or reason).

The build says what a unit is (`checker/discover/graph.py` walks the build files from
each directory down; `checker/collect/buildfiles.py` reads Kbuild, other Make files,
CMake and meson). With `units: kconfig` (trees configured by Kconfig), a unit is what
one Kconfig symbol builds, judged by the tree's Kconfig read with kconfiglib
(`checker/discover/units.py`); with `units: markers` (DPDK, rdma-core), a directory
holding one of the policy's unit markers is one unit, and the rest is read by build
file, else by path (a directory without subdirectories is one unit; one with them gives
one unit per source file in it; a marked directory that holds no source file of its
own but subdirectories, such as the driver directory itself, is walked through, not
taken as one unit). A marker-mode unit none of whose source files matches one of the
policy's entry points is skipped as `not-a-driver`, unless the policy's
`require_entry_point` is false (learned rules whose units share no construct).

Names come from, in order: the Kconfig prompt of the unit's symbol (for one of several
units of a symbol: the policy's `names` pattern in its sources, else the prompt and the
object), the first `names` pattern found in its sources (MODULE_DESCRIPTION), the title
of a MAINTAINERS section specific to the unit, and last the path. Ids are
`SUBSYSTEM/NAME` (`checker/discover/naming.py`).

This module reads the tree only; it is a library function shared by `new --discover`,
`init` and the backtest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.collect.buildfiles import BuildFile, grammar_of, parse_build_file
from checker.collect.kconfig_model import KconfigModel, is_kconfig_file
from checker.core.errors import CheckerError
from checker.core.paths import PathIndex, PathSpec
from checker.discover.graph import Build, Obj, Tree, Walker, name_of, parent, under
from checker.discover.model import Skipped, Unit
from checker.discover.naming import default_id, pick_name, resolve_ids, specific_sections
from checker.discover.rules import DiscoverRules
from checker.discover.units import (
    NO_SOURCES,
    NOT_A_DRIVER,
    Candidate,
    scan_for_entry,
    settle_paths,
    symbol_units,
)

MAX_SCAN = 4 << 20  # bytes of one file searched for entry points and names

ALREADY_COVERED = "already-covered"
NOT_SOURCE = "not-source"  # a file below the directories that no unit holds and no build
UNREAD = "no-build-file"


@dataclass
class Discovery:
    units: list[Unit]
    skipped: list[Skipped]
    files: dict[str, str] = field(default_factory=dict)  # path -> "unit:ID" | reason
    warnings: list[str] = field(default_factory=list)
    kconfig: KconfigModel | None = None
    build_files: Counter[str] = field(default_factory=Counter)  # file name -> count read

    def __iter__(self) -> Any:  # (units, skipped) = discover(...)
        return iter((self.units, self.skipped))


def discover(repo: Any, sha: str, dirs: Sequence[str], rules: DiscoverRules,
             existing: Mapping[str, PathSpec] | None = None, paths: Sequence[str] = (),
             taken: Iterable[str] = ()) -> Discovery:
    """The driver units below `dirs` in the tree at commit `sha`, and what was skipped.

    `paths` are tree paths asked for one by one: each is one unit (a directory or a
    file), named and gated the same way, and kept even without an entry point.
    `existing` maps the ids of driver files already in the policy repository to their
    paths: a unit whose files they already claim is skipped as `already-covered`, and
    their ids (and `taken`) are taken for the clash rule."""
    from checker.collect.tree import list_tree

    entries = [e for e in list_tree(repo, sha) if e.kind == "blob"]
    tree = Tree(e.path for e in entries)
    roots = _roots(tree, dirs, sha)
    asked = _asked(tree, paths, sha)
    missing: list[str] = []
    texts = _read_texts(repo, entries, tree, rules, roots, asked, missing)
    found = Discovery([], [])
    pending = _start_kconfig(texts, rules, roots, found) if rules.units == "kconfig" \
        else None
    build_files = _parse_build_files(texts, tree, rules, found)
    walk_roots = sorted({*roots, *(p if tree.is_dir(p) else parent(p) for p in asked)})
    walker = Walker(tree, build_files, texts, rules)
    build = walker.walk(walk_roots, _chains(walk_roots, build_files))
    kconfig = None
    if pending is not None:
        kconfig = _finish_kconfig(pending, texts, {o.symbol for o in build.objects
                                                   if o.symbol}, found)
    found.kconfig = kconfig
    sources = _Sources(repo, entries, rules)
    if kconfig is not None:
        sources.read(scan_for_entry(build.objects, kconfig, rules.require_entry_point,
                                    roots))
        candidates, skipped = symbol_units(
            [o for o in build.objects if any(under(o.path, r) for r in roots)],
            kconfig, roots, sources.entry_point, rules.require_entry_point,
            rules.subsystem_core_dependents)
        candidates.extend(_markers(build, tree))
    else:
        candidates, skipped = _marker_units(build, tree, rules, sources)
    skipped.extend(build.skipped)
    others = {f for s in skipped for f in s.files}
    candidates = [c for c in candidates if not any(c.path == a or under(c.path, a)
                                                   for a in asked)]
    candidates[:0] = [_explicit(p, build, tree) for p in asked]
    settle_paths(candidates, tree, [*roots, ""], others, rules.is_source)
    kept = _keep(candidates, skipped, existing or {}, sources, rules)
    sections = _sections(texts)
    unnamed = [n for n, c in enumerate(kept) if not (c.symbol and c.symbol.prompt)
               and not any(f in sources.names for f in c.files)]
    specific = specific_sections(sections, kept, unnamed) if unnamed else {}
    units = []
    for number, candidate in enumerate(kept):
        name, source = pick_name(candidate, sources.names, specific.get(number))
        units.append(Unit(
            id=default_id(candidate.path, candidate.stem, _base(candidate.path, roots,
                                                                rules.subsystem_base)),
            name=name, name_from=source, path=candidate.path,
            include=tuple(sorted(candidate.include)), kconfig=tuple(candidate.kconfig),
            granularity=candidate.granularity, files=tuple(sorted(candidate.files))))
    found.units = sorted(resolve_ids(units, set(existing or ()) | set(taken)),
                         key=lambda u: u.id)
    found.skipped = sorted({(s.path, s.reason): s for s in skipped}.values(),
                           key=lambda s: (s.path, s.reason))  # one row per path and reason
    found.files = _account(tree, roots, found, build, rules)
    lost = sorted({*missing, *sources.missing})
    if lost:
        paths = sorted(e.path for e in entries if e.sha in set(lost))
        found.warnings.append(f"{len(paths):,} file(s) are missing from the repository (a "
                              f"partial clone?) and were not read, e.g. {paths[0]}")
    return found


def _roots(tree: Tree, dirs: Sequence[str], sha: str) -> list[str]:
    roots = []
    for directory in dirs:
        clean = directory.strip().strip("/")
        if not clean or not tree.is_dir(clean):
            raise CheckerError(f"--discover {directory}: no such directory in the tree at "
                               f"{sha[:12]}")
        roots.append(clean)
    return sorted(set(roots))


def _asked(tree: Tree, paths: Sequence[str], sha: str) -> list[str]:
    asked = []
    for given in paths:
        clean = given.strip().strip("/")
        if not clean or not (tree.is_dir(clean) or clean in tree.all):
            raise CheckerError(f"{given}: no such file or directory in the tree at "
                               f"{sha[:12]}")
        asked.append(clean)
    return asked


def _read_texts(repo: Any, entries: Sequence[Any], tree: Tree, rules: DiscoverRules,
                roots: Sequence[str], asked: Sequence[str], missing: list[str]
                ) -> dict[str, str]:
    """Build files below the roots and above them, every Kconfig file, the markers and
    MAINTAINERS."""
    from checker.collect.tree import read_blobs

    ancestors: set[str] = {""}
    for path in [*roots, *asked]:
        while path:
            path = parent(path)
            ancestors.add(path)
    markers = {m.file for m in rules.markers}
    wanted: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.mode == "120000":
            continue
        name = name_of(entry.path)
        directory = parent(entry.path)
        build = rules.is_build_file(name) and (
            directory in ancestors or any(under(entry.path, r) for r in [*roots, *asked]))
        if build or name in markers or is_kconfig_file(entry.path) \
                or entry.path == "MAINTAINERS":
            wanted[entry.sha].append(entry.path)
    texts: dict[str, str] = {}
    for blob, data in read_blobs(repo, sorted(wanted), missing):
        for path in wanted[blob]:
            texts[path] = data[:MAX_SCAN].decode("utf-8", "replace")
    return texts


def _parse_build_files(texts: Mapping[str, str], tree: Tree, rules: DiscoverRules,
                       found: Discovery) -> dict[str, BuildFile]:
    out = {}
    for path, text in texts.items():
        name = name_of(path)
        if rules.is_build_file(name):
            out[path] = parse_build_file(path, text, tree.is_dir, grammar_of(name))
            found.build_files[name] += 1
    return out


def _start_kconfig(texts: Mapping[str, str], rules: DiscoverRules, roots: Sequence[str],
                   found: Discovery) -> Any:
    """Start reading the tree's Kconfig from its tops, with the Kconfig files below the
    roots that no `source` reaches (the parse runs while the build is walked)."""
    from checker.collect.kconfig import start_kconfig, statically_sourced

    kconfig_texts = {p: t for p, t in texts.items() if is_kconfig_file(p)}
    tops = [t for t in rules.kconfig_tops if t in kconfig_texts]
    missing = [t for t in rules.kconfig_tops if t not in kconfig_texts]
    if missing:
        found.warnings.append(f"Kconfig: {', '.join(missing)} (discover.kconfig.top) not "
                              "in the tree: the Kconfig files below the directories are "
                              "read on their own")
    env = dict(rules.kconfig_env)
    reached = statically_sourced(kconfig_texts, tops, env)
    orphans = sorted(p for p in kconfig_texts if p not in reached
                     and any(under(p, r) for r in roots))
    return start_kconfig(kconfig_texts, tops, env, extra=orphans)


def _finish_kconfig(pending: Any, texts: Mapping[str, str], wanted: set[str],
                    found: Discovery) -> KconfigModel:
    """The parse's model; symbols the build names that it did not define (another
    architecture's) are looked up in the other Kconfig files, read line by line."""
    from checker.collect.kconfig_model import KconfigModel
    from checker.collect.kconfig_text import read_text

    model: KconfigModel = pending.model()
    found.warnings.extend(model.warnings)
    unknown = {s for s in wanted if s not in model.symbols}
    if not unknown:
        return model
    read = set(model.files)
    defining = {p: t for p, t in texts.items() if is_kconfig_file(p) and p not in read
                and any(f"config {s}" in t for s in unknown)}
    extra = read_text(defining).symbols
    symbols = dict(model.symbols)
    for name in sorted(unknown):
        if name in extra:
            symbols[name] = extra[name]
    return KconfigModel(symbols, model.files, model.warnings, model.engine, model.env)


def _chains(roots: Sequence[str], files: Mapping[str, BuildFile]) -> dict[str, tuple[str, ...]]:
    """The symbols the build files above each root put on it (drivers/net/ethernet/intel
    is gated by CONFIG_NET_VENDOR_INTEL in its parent's Makefile)."""
    by_dir: dict[str, list[BuildFile]] = defaultdict(list)
    for build_file in files.values():
        by_dir[build_file.directory].append(build_file)
    chains = {}
    for root in roots:
        parts = root.split("/")
        chain: list[str] = []
        for depth in range(len(parts)):
            directory = "/".join(parts[:depth])
            target = "/".join(parts[:depth + 1]) + "/"
            for build_file in by_dir.get(directory, ()):
                for item in build_file.items:
                    if item.target == target:
                        chain.extend(g for g in item.gates if g not in chain)
        chains[root] = tuple(chain)
    return chains


class _Sources:
    """The source files of candidates, read once: entry points and names."""

    def __init__(self, repo: Any, entries: Sequence[Any], rules: DiscoverRules) -> None:
        self.repo = repo
        self.rules = rules
        self.blobs = {e.path: e.sha for e in entries if e.mode != "120000"}
        self.entry: dict[str, str | None] = {}
        self.names: dict[str, str] = {}
        self.reads = 0
        self.missing: list[str] = []

    def read(self, paths: Iterable[str]) -> None:
        from checker.collect.tree import read_blobs

        wanted: dict[str, list[str]] = defaultdict(list)
        for path in paths:
            if path in self.entry or path not in self.blobs or path.endswith(".h") \
                    or not self.rules.is_source(path):
                continue
            wanted[self.blobs[path]].append(path)
            self.entry[path] = None
        if wanted:
            self.reads += 1
        for blob, data in read_blobs(self.repo, sorted(wanted), self.missing):
            text = data[:MAX_SCAN].decode("utf-8", "replace")
            pattern = self.rules.entry_point_in(text)
            described = self.rules.name_in(text)
            for path in wanted[blob]:
                self.entry[path] = pattern
                if described:
                    self.names[path] = described

    def entry_point(self, files: Sequence[str]) -> str | None:
        self.read(files)
        return next((self.entry[f] for f in files if self.entry.get(f)), None)


def _markers(build: Build, tree: Tree) -> list[Candidate]:
    out = []
    for directory, adopted in sorted(build.marked.items()):
        files = tree.below(directory)
        for other in adopted:
            files.extend(tree.below(other))
        out.append(Candidate(directory, [f"{directory}/", *(f"{d}/" for d in adopted)], [],
                             "directory", name_of(directory), sorted(files)))
    return out


def _marker_units(build: Build, tree: Tree, rules: DiscoverRules, sources: _Sources
                  ) -> tuple[list[Candidate], list[Skipped]]:
    """`units: markers`: marked directories, objects by symbol, else by path."""
    candidates = _markers(build, tree)
    skipped: list[Skipped] = []
    groups: dict[str | None, list[Obj]] = defaultdict(list)
    for obj in sorted(build.objects, key=lambda o: o.order):
        groups[obj.symbol].append(obj)
    for symbol, objs in groups.items():
        chunks = [objs] if symbol else [[o] for o in objs]
        for chunk in chunks:
            files = sorted({f for o in chunk for f in o.files})
            head = chunk[0].path
            stem = name_of(head).rsplit(".", 1)[0]
            if not files:
                skipped.append(Skipped(head, NO_SOURCES, "no file of it is in the tree"))
                continue
            candidates.append(Candidate(files[0] if len(files) == 1 else
                                        f"{parent(head)}/{stem}".lstrip("/"), list(files),
                                        [symbol] if symbol else [], "files", stem, files))
    for directory in sorted(build.unread):  # directories no build file describes: by path
        if not tree.subdirs.get(directory):
            files = tree.files.get(directory, [])
            if any(rules.is_source(p) and not p.endswith(".h") for p in files):
                candidates.append(Candidate(directory, [f"{directory}/"], [], "directory",
                                            name_of(directory), tree.below(directory)))
            elif any(rules.is_source(p) for p in files):  # shared headers: no driver
                skipped.append(Skipped(directory, NOT_A_DRIVER, "only header files",
                                       tuple(sorted(files))))
            continue
        for path in sorted(tree.files.get(directory, ())):
            if rules.is_source(path) and not path.endswith(".h"):
                stem = name_of(path).rsplit(".", 1)[0]
                candidates.append(Candidate(path, [path], [], "files", stem, [path]))
    return candidates, skipped


def _explicit(path: str, build: Build, tree: Tree) -> Candidate:
    """One unit for a path asked for by name: its directory, or its one file, with the
    symbols of the objects that build it."""
    if tree.is_dir(path):
        files = sorted(tree.below(path))
        symbols = Counter(o.symbol for o in build.objects if o.symbol
                          and any(under(f, path) for f in o.files))
        candidate = Candidate(path, [f"{path}/"], [s for s, _ in symbols.most_common()],
                              "directory", name_of(path), files, explicit=True)
    else:
        symbols = Counter(o.symbol for o in build.objects if o.symbol and path in o.files)
        stem = name_of(path).rsplit(".", 1)[0] if "." in name_of(path) else name_of(path)
        candidate = Candidate(path, [path], [s for s, _ in symbols.most_common()], "files",
                              stem, [path], explicit=True)
    return candidate


def _keep(candidates: list[Candidate], skipped: list[Skipped],
          existing: Mapping[str, PathSpec], sources: _Sources, rules: DiscoverRules
          ) -> list[Candidate]:
    owner: dict[str, str] = {}
    for candidate in candidates:  # a file two candidates name stays with the first
        mine = [p for p in candidate.files if owner.setdefault(p, candidate.path)
                == candidate.path]
        if len(mine) < len(candidate.files):
            candidate.files = mine
            candidate.include = [p for p in candidate.include
                                 if p.endswith("/") or p in set(mine)]
    sources.read(f for c in candidates if c.split or c.explicit or not (
        c.symbol and c.symbol.prompt) for f in c.files)
    covered = PathIndex(existing.items())
    kept: list[Candidate] = []
    for candidate in candidates:
        if not candidate.files or not candidate.include:
            skipped.append(Skipped(candidate.path, NO_SOURCES,
                                   "no file of it is in the tree (or another unit has them)"))
            continue
        if rules.units == "markers" and rules.require_entry_point != "no" \
                and not candidate.explicit and sources.entry_point(candidate.files) is None:
            skipped.append(Skipped(candidate.path, NOT_A_DRIVER,
                                   "no entry point in its sources", tuple(candidate.files)))
            continue
        owners = sorted({o for path in candidate.files for o in covered.owners(path)})
        if owners:
            skipped.append(Skipped(candidate.path, ALREADY_COVERED, ", ".join(owners),
                                   tuple(candidate.files)))
            continue
        kept.append(candidate)
    return kept


def _sections(texts: Mapping[str, str]) -> list[Any]:
    from checker.collect.maintainers import parse_maintainers

    return parse_maintainers(texts.get("MAINTAINERS", ""))


def _base(path: str, roots: Sequence[str], configured: Sequence[str]) -> str:
    """The directory whose children are subsystems, for one unit path: the deepest
    configured `subsystem_base` above it ("." is the tree's root), else its discovered
    root; a path asked for by name below neither: its top directory."""
    for base in sorted(configured, key=len, reverse=True):
        if base in (".", "") or (under(path, base) and path != base):
            return "" if base == "." else base
    for root in sorted(roots, key=len, reverse=True):
        if under(path, root) and path != root:
            return root
    return path.split("/", 1)[0] if path.count("/") >= 2 else ""


def _account(tree: Tree, roots: Sequence[str], found: Discovery, build: Build,
             rules: DiscoverRules) -> dict[str, str]:
    """Every file below the roots: `unit:ID`, or the reason it is in no unit."""
    status: dict[str, str] = {}
    for unit in found.units:
        spec = unit.spec
        for path in unit.files:
            if spec.matches(path):
                status.setdefault(path, f"unit:{unit.id}")
    for path in list(tree.all):
        if any(under(path, r) for r in roots) and (rules.is_build_file(name_of(path))
                                                     or is_kconfig_file(path)):
            status.setdefault(path, "build-file")
    for skip in found.skipped:
        files = skip.files or (tree.below(skip.path) if tree.is_dir(skip.path)
                               else [skip.path])
        for path in files:
            status.setdefault(path, skip.reason)
    for root in roots:
        for path in tree.below(root):
            if path in status:
                continue
            name = name_of(path)
            if rules.is_build_file(name) or is_kconfig_file(path):
                status[path] = "build-file"
            elif rules.is_source(path) and not path.endswith(".h"):
                status[path] = "not-built"
            else:
                status[path] = NOT_SOURCE
    return status
