"""The walk that finds driver units in a tree: markers, build files, what is skipped and why."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.collect.discover_rules import DiscoverRules
from checker.core.paths import PathSpec

MAX_SCAN = 4 << 20  # bytes of one file searched for entry points and names


NOT_A_DRIVER = "not-a-driver"


NO_SOURCES = "no-sources"


ALREADY_COVERED = "already-covered"


NOT_BUILT = "not-built"


BUILT_ELSEWHERE = "built-elsewhere"


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


def _inside(path: str) -> str | None:
    """`a/b/../c` -> `a/c`; None when it climbs out of the tree."""
    clean = posixpath.normpath(path)
    return None if clean == ".." or clean.startswith("../") else clean


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


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
                for match in marker.adopts.finditer(text):
                    if not match.groups() or not match.group(1):
                        continue
                    target = _inside(f"{directory}/{marker.relative_to}/{match.group(1)}")
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
