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

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.errors import CheckerError
from checker.paths import PathIndex, PathSpec

MAX_SCAN = 4 << 20  # bytes of one file searched for entry points and names

NOT_A_DRIVER = "not-a-driver"
NO_SOURCES = "no-sources"
ALREADY_COVERED = "already-covered"
NOT_BUILT = "not-built"
BUILT_ELSEWHERE = "built-elsewhere"


@dataclass(frozen=True)
class Marker:
    """A build file whose presence (and, if given, content) makes its directory a unit."""

    file: str
    contains: Any = None  # an RE2 pattern (checker.saferegex)
    # An RE2 pattern whose first group names another directory this build file compiles
    # (DPDK's drivers/common/qat/meson.build: `qat_crypto_path = 'crypto/qat'`), and the
    # directory, relative to the marker's, that the group is relative to.
    adopts: Any = None
    adopts_from: str = "."


@dataclass(frozen=True)
class DiscoverRules:
    """The policy's `discover:` section (see docs/collect.md)."""

    makefiles: tuple[str, ...]
    markers: tuple[Marker, ...]
    entry_points: tuple[str, ...]
    names: tuple[str, ...]
    source_extensions: tuple[str, ...]
    _entry: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _names: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.entry_points:
            raise CheckerError("policy: discover.entry_points must name at least one pattern")
        object.__setattr__(self, "_entry", _compiled(self.entry_points, "entry_points"))
        object.__setattr__(self, "_names", _compiled(self.names, "names"))

    @classmethod
    def from_policy(cls, mapping: Mapping[str, Any]) -> DiscoverRules:
        section = mapping.get("discover")
        if not isinstance(section, Mapping):
            raise CheckerError(
                "policy: no `discover:` section: it says how units are found and what "
                "marks a driver (docs/collect.md has the default and examples for other "
                "trees)")
        collect = mapping.get("collect")
        extensions = collect.get("source_extensions") if isinstance(collect, Mapping) else None
        markers = []
        for item in section.get("unit_markers") or ():
            if not isinstance(item, Mapping) or not isinstance(item.get("file"), str):
                raise CheckerError("policy: discover.unit_markers: each is {file: NAME, "
                                   "contains: REGEX}")
            contains = item.get("contains")
            adopts = item.get("adopts")
            if adopts is not None and not (isinstance(adopts, Mapping)
                                           and isinstance(adopts.get("pattern"), str)):
                raise CheckerError("policy: discover.unit_markers: adopts is {pattern: "
                                   "REGEX, relative_to: DIR}")
            markers.append(Marker(
                item["file"],
                None if contains is None else _compiled((str(contains),), "unit_markers")[0],
                None if adopts is None else _compiled((adopts["pattern"],),
                                                      "unit_markers.adopts")[0],
                str(adopts.get("relative_to") or ".") if adopts is not None else "."))
        return cls(
            makefiles=tuple(_strings(section, "makefiles")),
            markers=tuple(markers),
            entry_points=tuple(_strings(section, "entry_points")),
            names=tuple(_strings(section, "names")),
            source_extensions=tuple(str(e) for e in extensions or (".c", ".h", ".S", ".rs")),
        )

    def is_source(self, path: str) -> bool:
        return path.endswith(self.source_extensions)

    def has_entry_point(self, text: str) -> bool:
        return any(regex.search(text) is not None for regex in self._entry)

    def name_in(self, text: str) -> str | None:
        for regex in self._names:
            match = regex.search(text)
            if match and match.groups() and match.group(1):
                return str(match.group(1))
        return None


def _strings(section: Mapping[str, Any], key: str) -> list[str]:
    value = section.get(key) or []
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise CheckerError(f"policy: discover.{key} must be a list of strings")
    return list(value)


def _compiled(patterns: Iterable[str], key: str) -> tuple[Any, ...]:
    """The patterns compiled by RE2 (linear time: they come from a policy, which a pull
    request can change), multi-line so that `^` and `$` match at every line."""
    from checker.saferegex import RegexError, compile_policy_regex

    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_policy_regex(f"(?m){pattern}"))
        except RegexError as exc:
            raise CheckerError(f"policy: discover.{key}: {pattern!r} {exc}") from None
    return tuple(compiled)


@dataclass(frozen=True)
class Unit:
    """One driver unit: what a driver file's `paths`, `kconfig` and `name` will say."""

    id: str
    name: str
    name_from: str  # kconfig | source | maintainers | path
    path: str  # the kernel path shown (a directory, a file, or a Makefile object stem)
    include: tuple[str, ...]
    kconfig: tuple[str, ...]
    granularity: str  # directory | files
    files: tuple[str, ...] = ()
    renamed_from: str | None = None  # the default id, when the clash rule changed it

    @property
    def spec(self) -> PathSpec:
        return PathSpec(self.include)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # not-a-driver | no-sources | already-covered | not-built | built-elsewhere
    detail: str = ""


# ---------------------------------------------------------------------------------


@dataclass
class _Candidate:
    path: str
    include: list[str]
    kconfig: list[str]
    granularity: str
    stem: str  # the name part of the default id
    files: list[str] = field(default_factory=list)
    explicit: bool = False


class _Tree:
    """The tree's blobs as directories -> files and subdirectories."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files: dict[str, list[str]] = defaultdict(list)
        self.subdirs: dict[str, set[str]] = defaultdict(set)
        self.all: set[str] = set()
        for path in paths:
            self.all.add(path)
            directory = _parent(path)
            self.files[directory].append(path)
            child = directory
            while child:
                parent = _parent(child)
                if child in self.subdirs[parent]:
                    break
                self.subdirs[parent].add(child)
                child = parent

    def is_dir(self, path: str) -> bool:
        return path in self.files or path in self.subdirs

    def below(self, directory: str) -> list[str]:
        out = list(self.files.get(directory, ()))
        for sub in sorted(self.subdirs.get(directory, ())):
            out.extend(self.below(sub))
        return out


def _normalise(path: str) -> str | None:
    """`a/b/../c` -> `a/c`; None when it climbs out of the tree."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


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
    from checker.collect.tree import list_tree, parse_maintainers, read_blobs

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

    from checker.collect.tree import parse_makefile

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


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


class _Finder:
    """Walks directories top-down and turns Makefile lines into unit candidates."""

    def __init__(self, tree: _Tree, makefiles: Mapping[str, Any], texts: Mapping[str, str],
                 rules: DiscoverRules) -> None:
        self.tree = tree
        self.makefiles = makefiles
        self.texts = texts
        self.rules = rules
        self.candidates: list[_Candidate] = []
        self.skipped: list[Skipped] = []
        self.seen: set[str] = set()
        self.adopted = self._adoptions()

    def _adoptions(self) -> dict[str, str]:
        """Directory -> the marked directory whose build file compiles it (first wins)."""
        adopted: dict[str, str] = {}
        for marker in self.rules.markers:
            if marker.adopts is None:
                continue
            for path, text in sorted(self.texts.items()):
                directory = _parent(path)
                if _name(path) != marker.file or not self.marked(directory):
                    continue
                base = _normalise(f"{directory}/{marker.adopts_from}")
                for match in marker.adopts.finditer(text):
                    target = _normalise(f"{base}/{match.group(1)}") if base is not None \
                        and match.groups() and match.group(1) else None
                    if target and target != directory and self.tree.is_dir(target) \
                            and not self.marked(target):
                        adopted.setdefault(target, directory)
        # a directory below another adopted one goes with it
        return {d: owner for d, owner in adopted.items()
                if not any(_under(d, other) and other != d and adopted[other] == owner
                           for other in adopted)}

    def sources(self, paths: Iterable[str]) -> list[str]:
        return [p for p in paths if self.rules.is_source(p)]

    def marked(self, directory: str) -> bool:
        for marker in self.rules.markers:
            text = self.texts.get(f"{directory}/{marker.file}" if directory else marker.file)
            if text is not None and (marker.contains is None or marker.contains.search(text)):
                return True
        return False

    def add(self, path: str, include: list[str], kconfig: list[str], granularity: str,
            stem: str, files: list[str]) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        self.candidates.append(_Candidate(path, include, kconfig, granularity, stem, files))

    def add_dir(self, directory: str, kconfig: list[str]) -> None:
        adopted = sorted(d for d, owner in self.adopted.items() if owner == directory)
        files = self.tree.below(directory)
        for other in adopted:
            files.extend(self.tree.below(other))
        self.add(directory, [f"{directory}/", *(f"{d}/" for d in adopted)], kconfig,
                 "directory", _name(directory), files)

    def explicit(self, path: str) -> None:
        """One unit for a path asked for by name: its directory, or its one file."""
        if path in self.seen:
            return
        parent = self.makefiles.get(_parent(path))
        symbols: set[str] = set()
        if self.tree.is_dir(path):
            if parent is not None:
                symbols = set(parent.gates.get(f"{path}/", ()))
            self.add_dir(path, sorted(symbols))
        else:
            if parent is not None:
                stem = path.rsplit(".", 1)[0] + ".o"
                for target, gate in parent.gates.items():
                    members = self.objects(parent, target)
                    if target == stem or stem in members or path in members:
                        symbols |= gate
            name = _name(path).rsplit(".", 1)[0] if "." in _name(path) else _name(path)
            self.add(path, [path], sorted(symbols), "files", name, [path])
        self.candidates[-1].explicit = True

    def root(self, directory: str) -> None:
        """A directory given to --discover: one unit when its parent's Makefile would
        make it one (every gate in it names the same symbol), else walked."""
        makefile = self.makefiles.get(directory)
        symbols = {s for gate in makefile.gates.values() for s in gate} if makefile else set()
        if makefile is not None and len(symbols) == 1 and not makefile.always \
                and self.single_symbol(directory, next(iter(symbols))):
            self.add_dir(directory, sorted(symbols))
        else:
            self.walk(directory)

    def walk(self, directory: str) -> None:
        owner = self.adopted.get(directory)
        if owner is not None:
            self.skipped.append(Skipped(directory, BUILT_ELSEWHERE, f"part of the unit "
                                        f"{owner} (its build file compiles it)"))
            return
        if self.marked(directory):
            self.add_dir(directory, [])
            return
        makefile = self.makefiles.get(directory)
        if makefile is None:
            self.fallback(directory)
            return
        groups: dict[str, list[str]] = defaultdict(list)
        for target in sorted(makefile.gates, key=lambda t: (makefile.order.get(t, 0), t)):
            groups[sorted(makefile.gates[target])[0]].append(target)
        for symbol, targets in groups.items():
            self.gated(directory, makefile, symbol, targets)
        for target in sorted(makefile.always - set(makefile.gates)):
            if target.endswith("/"):
                sub = target.rstrip("/")
                if self.tree.is_dir(sub):
                    self.walk(sub)
            elif target.endswith(".o"):
                files = self.objects(makefile, target)
                stem = _name(target)[:-2]
                self.add(f"{directory}/{stem}" if not files or len(files) > 1 else files[0],
                         files or [target[:-2] + ".c"], [], "files", stem, files)
        named = {t.rstrip("/") for t in [*makefile.gates, *makefile.always] if t.endswith("/")}
        for sub in sorted(self.tree.subdirs.get(directory, ())):
            if sub not in named and self.sources(self.tree.below(sub)):
                self.skipped.append(Skipped(sub, NOT_BUILT,
                                            f"{directory}/Makefile names no object in it"))

    def gated(self, directory: str, makefile: Any, symbol: str, targets: list[str]) -> None:
        files: list[str] = []
        include: list[str] = []
        for target in targets:
            if target.endswith("/"):
                sub = target.rstrip("/")
                if not self.tree.is_dir(sub):
                    continue
                if self.single_symbol(sub, symbol):
                    include.append(f"{sub}/")
                    files.extend(self.tree.below(sub))
                else:
                    self.walk(sub)
            elif target.endswith(".o"):
                found = self.objects(makefile, target)
                include.extend(found)
                files.extend(found)
        objects = [t for t in targets if t.endswith(".o")]
        if not include and not objects:
            return
        if len(include) == 1:
            path = include[0].rstrip("/")
        else:
            first = objects[0] if objects else targets[0]
            path = first[:-2] if first.endswith(".o") else first.rstrip("/")
        stem = _name(path)
        for suffix in (*self.rules.source_extensions, ".o"):
            stem = stem.removesuffix(suffix)
        granularity = "directory" if len(include) == 1 and include[0].endswith("/") else "files"
        self.add(path if include else f"{directory}/{stem}", include or [path], [symbol],
                 granularity, stem, files)

    def objects(self, makefile: Any, target: str, depth: int = 0) -> list[str]:
        """Source files of one object: its composite members, or x.c / x.S / x.rs."""
        members = makefile.members.get(target)
        if members and depth < 8:
            out: list[str] = []
            for member in sorted(members):
                if member != target:
                    out.extend(self.objects(makefile, member, depth + 1))
            return sorted(set(out))
        stem = target[:-2]
        return [stem + ext for ext in (".c", ".S", ".rs") if stem + ext in self.tree.all]

    def single_symbol(self, directory: str, symbol: str) -> bool:
        """Does every gate below `directory` name `symbol` (or none)?"""
        makefile = self.makefiles.get(directory)
        if makefile is None:
            return True
        if any(symbols - {symbol} for symbols in makefile.gates.values()):
            return False
        return all(self.single_symbol(t.rstrip("/"), symbol)
                   for t in [*makefile.gates, *makefile.always]
                   if t.endswith("/") and self.tree.is_dir(t.rstrip("/")))

    def fallback(self, directory: str) -> None:
        subdirs = sorted(self.tree.subdirs.get(directory, ()))
        if not subdirs:
            if self.sources(self.tree.files.get(directory, ())):
                self.add_dir(directory, [])
            return
        for path in sorted(self.sources(self.tree.files.get(directory, ()))):
            if path.endswith(".h"):
                continue
            stem = _name(path).rsplit(".", 1)[0]
            self.add(path, [path], [], "files", stem, [path])
        for sub in subdirs:
            self.walk(sub)


# ---------------------------------------------------------------------------------
# Names and ids

_KCONFIG_ENTRY = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$")
_PROMPT = re.compile(r'^\s*(?:bool|tristate|prompt|string|int|hex)\s+"((?:[^"\\]|\\.)*)"')


def _kconfig_prompts(texts: Iterable[str]) -> dict[str, str]:
    """symbol -> the prompt of its first definition that has one."""
    prompts: dict[str, str] = {}
    for text in texts:
        current: str | None = None
        for line in text.splitlines():
            match = _KCONFIG_ENTRY.match(line)
            if match:
                current = match.group(1)
                continue
            if current is None:
                continue
            if line[:1].strip() and not line.startswith(("config", "menuconfig")):
                current = None
                continue
            prompt = _PROMPT.match(line)
            if prompt and current not in prompts and prompt.group(1).strip():
                prompts[current] = prompt.group(1).strip()
                current = None
    return prompts


def _specific_sections(sections: Sequence[Any], units: Sequence[_Candidate]) -> dict[int, str]:
    """Candidate index -> title of the best MAINTAINERS section that claims files of
    that unit only (never a catch-all section)."""
    from checker.collect.tree import match_maintainers

    usable = [s for s in sections if not s.catch_all]
    if not usable:
        return {}
    index = PathIndex((str(i), PathSpec(s.include, s.exclude)) for i, s in enumerate(usable))
    claimed: dict[str, set[int]] = defaultdict(set)
    for number, unit in enumerate(units):
        for path in unit.files:
            for owner in index.owners(path):
                claimed[usable[int(owner)].title].add(number)
    drivers = {str(i): PathSpec(u.include) for i, u in enumerate(units)}
    files = {str(i): list(u.files) for i, u in enumerate(units)}
    chosen = match_maintainers(usable, drivers, files)
    return {int(i): s.title for i, s in chosen.items() if claimed.get(s.title) == {int(i)}}


def _pick_name(candidate: _Candidate, prompts: Mapping[str, str],
               found: Mapping[str, str], section: str | None) -> tuple[str, str]:
    for symbol in candidate.kconfig:
        if symbol in prompts:
            return _clean(prompts[symbol]), "kconfig"
    for path in sorted(candidate.files):
        if path in found:
            return _clean(found[path]), "source"
    if section:
        return _clean(section), "maintainers"
    return f"{candidate.stem} ({candidate.path})", "path"


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace('\\"', '"')).strip()
    return text[:200] or "unnamed"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.+-]+", "-", text.lower()).strip("-.")
    return slug if slug and slug[0].isalnum() else f"x{slug}"


def subsystem_of(path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    return _slug(parts[1] if parts[0] == "drivers" and len(parts) > 2 else parts[0])


def default_id(path: str, stem: str | None = None) -> str:
    """`drivers/net/ethernet/8390/ne.c` -> `net/ne`: the subsystem (the component
    after `drivers/`, else the first), then the unit's own name."""
    name = stem if stem is not None else _name(path.strip("/"))
    for suffix in (".c", ".h", ".rs", ".S"):
        name = name.removesuffix(suffix)
    return f"{subsystem_of(path)}/{_slug(name)}"


def resolve_ids(units: Sequence[Unit], taken: set[str]) -> list[Unit]:
    """The clash rule: units whose default ids are equal (or taken by an existing file)
    take their parent directories' names as prefixes, nearest first, one at a time
    until every id in the group is unique (`net/ne` -> `net/8390-ne`); units still
    equal after that get their Kconfig symbol, then `-2`, `-3`... in path order."""
    groups: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        groups[unit.id].append(unit)
    result: list[Unit] = []
    used = set(taken)
    for base, members in sorted(groups.items()):
        if len(members) == 1 and base not in taken:
            used.add(base)
            result.append(members[0])
    for base, members in sorted(groups.items()):
        if len(members) == 1 and base not in taken:
            continue
        subsystem, name = base.split("/", 1)
        ordered = sorted(members, key=lambda u: u.path)
        names = {u.path: name for u in ordered}
        parents = {u.path: _prefixes(u.path, subsystem) for u in ordered}
        level = 0
        while True:
            level += 1
            ids = [f"{subsystem}/{names[u.path]}" for u in ordered]
            clash = {i for i in ids if ids.count(i) > 1 or i in used}
            if not clash:
                break
            grew = False
            for unit, current in zip(ordered, ids, strict=True):
                prefix = parents[unit.path]
                if current in clash and level <= len(prefix):
                    names[unit.path] = f"{prefix[level - 1]}-{names[unit.path]}"
                    grew = True
            if not grew:
                break
        for unit in ordered:
            candidate = f"{subsystem}/{names[unit.path]}"
            if candidate in used and unit.kconfig:
                candidate = f"{candidate}-{_slug(unit.kconfig[0])}"
            number = 2
            final = candidate
            while final in used:
                final = f"{candidate}-{number}"
                number += 1
            used.add(final)
            result.append(Unit(final, unit.name, unit.name_from, unit.path, unit.include,
                               unit.kconfig, unit.granularity, unit.files,
                               renamed_from=base if final != base else None))
    return result


def _prefixes(path: str, subsystem: str) -> list[str]:
    """Parent directory names, nearest first, below the subsystem's directory."""
    parts = [p for p in path.strip("/").split("/") if p][:-1]
    out = []
    for part in reversed(parts):
        if _slug(part) == subsystem or part == "drivers":
            break
        out.append(_slug(part))
    return out
