"""The build below the discovered directories: what is compiled, under which symbols.

`walk_build(tree, build_files, roots, rules)` follows the build files from each root
down (a directory is read when a build file above names it), and returns every object
it compiles with its source files and the chain of Kconfig symbols that gate it, the
directories that hold a unit marker, and what no build file reaches. The walk is
iterative (any depth) and reads each directory once (no cycle can loop it); a composite
object's members are expanded once each, whatever the order or cycles of the lists.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from checker.collect.buildfiles import BuildFile, BuildItem
from checker.discover.model import Skipped
from checker.discover.rules import DiscoverRules

NOT_BUILT = "not-built"
BUILT_ELSEWHERE = "built-elsewhere"


class Tree:
    """The tree's blobs as directories -> files and subdirectories."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files: dict[str, list[str]] = defaultdict(list)
        self.subdirs: dict[str, set[str]] = defaultdict(set)
        self.all: set[str] = set()
        for path in paths:
            self.all.add(path)
            directory = parent(path)
            self.files[directory].append(path)
            child = directory
            while child:
                up = parent(child)
                if child in self.subdirs[up]:
                    break
                self.subdirs[up].add(child)
                child = up

    def is_dir(self, path: str) -> bool:
        path = path.rstrip("/")
        return path in self.files or path in self.subdirs

    def below(self, directory: str) -> list[str]:
        """Every file below `directory`, iteratively (any depth)."""
        out: list[str] = []
        stack = [directory]
        while stack:
            current = stack.pop()
            out.extend(self.files.get(current, ()))
            stack.extend(sorted(self.subdirs.get(current, ()), reverse=True))
        return out


def parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def under(path: str, root: str) -> bool:
    return not root or path == root or path.startswith(root + "/")


@dataclass
class Obj:
    """One compiled object (or source file) as a build file names it."""

    path: str  # as named: dir/x.o, dir/x.c
    files: list[str]  # its source files, members of a composite included
    own: str | None  # the symbol of its own statement
    gates: tuple[str, ...]  # every symbol on the way down to it, outermost first
    build_file: str
    line: int
    options: set[str] = field(default_factory=set)  # symbols of member statements
    order: int = 0

    @property
    def symbol(self) -> str | None:
        """The symbol that decides whether it is built: its own, else the nearest."""
        return self.own or (self.gates[-1] if self.gates else None)


@dataclass
class Build:
    objects: list[Obj] = field(default_factory=list)
    marked: dict[str, list[str]] = field(default_factory=dict)  # marked dir -> adopted dirs
    reached: set[str] = field(default_factory=set)  # directories the walk read
    skipped: list[Skipped] = field(default_factory=list)
    # directories with no build file -> the build file that named it ("" for a root)
    unread: dict[str, str] = field(default_factory=dict)


class Walker:
    def __init__(self, tree: Tree, files: Mapping[str, BuildFile],
                 texts: Mapping[str, str], rules: DiscoverRules) -> None:
        self.tree = tree
        self.rules = rules
        self.texts = texts
        self.by_dir: dict[str, list[BuildFile]] = defaultdict(list)
        for path in sorted(files):
            self.by_dir[parent(path)].append(files[path])
        self.files = files
        # the directories that hold a build file, and every directory above one
        self.builds_below = _and_above(self.by_dir)
        # the same for the build files that name a file from a directory above their own:
        # written to be included from there (OpenSBI's platform/generic/<vendor>/
        # objects.mk, which platform/generic's does not name)
        self.written_above = _and_above(
            directory for directory, build_files in self.by_dir.items()
            if any(self._anchored(item, build_file) is not item
                   for build_file in build_files for item in build_file.items))
        self.build = Build()
        self.adopted = self._adoptions()
        self.claimed: dict[str, str] = {}  # source file -> first object naming it

    # -- markers (trees whose units are directories with a build file of their own)

    def marked(self, directory: str) -> bool:
        for marker in self.rules.markers:
            text = self.texts.get(f"{directory}/{marker.file}" if directory else marker.file)
            if text is not None and (marker.contains is None or marker.contains.search(text)):
                return True
        return False

    def _container(self, directory: str) -> bool:
        """A marked directory that compiles nothing of its own but holds subdirectories
        (a tree's `drivers/Makefile`, a vendor's directory of chips): its subdirectories
        are the units, not it."""
        return bool(self.tree.subdirs.get(directory)) and not any(
            self.rules.is_source(path) for path in self.tree.files.get(directory, ()))

    def _adoptions(self) -> dict[str, str]:
        """Directory -> the marked directory whose build file compiles it (first wins)."""
        adopted: dict[str, str] = {}
        for marker in self.rules.markers:
            if marker.adopts is None:
                continue
            for path, text in sorted(self.texts.items()):
                directory = parent(path)
                if name_of(path) != marker.file or not self.marked(directory):
                    continue
                for match in marker.adopts.finditer(text):
                    if not match.groups() or not match.group(1):
                        continue
                    target = posixpath.normpath(f"{directory}/{marker.relative_to}/"
                                                f"{match.group(1)}")
                    if target.startswith("../") or target == "..":
                        continue
                    if target != directory and self.tree.is_dir(target) \
                            and not self.marked(target):
                        adopted.setdefault(target, directory)
        return {d: owner for d, owner in adopted.items()
                if not any(under(d, other) and other != d and adopted[other] == owner
                           for other in adopted)}

    # -- the walk

    def walk(self, roots: Iterable[str], chains: Mapping[str, tuple[str, ...]]) -> Build:
        stack: list[tuple[str, tuple[str, ...], str]] = [
            (root, chains.get(root, ()), "") for root in sorted(roots, reverse=True)]
        order = 0
        unnamed: list[tuple[str, list[BuildFile]]] = []
        while stack:
            directory, chain, by = stack.pop()
            if directory in self.build.reached:
                continue
            self.build.reached.add(directory)
            owner = self.adopted.get(directory)
            if owner is not None:
                self.build.skipped.append(Skipped(directory, BUILT_ELSEWHERE, f"part of the "
                                               f"unit {owner} (its build file compiles it)"))
                continue
            if self.marked(directory) and not self._container(directory):
                self.build.marked[directory] = sorted(
                    d for d, o in self.adopted.items() if o == directory)
                continue
            files = self._files_of(directory)
            if not files:
                self.build.unread[directory] = by
                # no build file here names what is below: markers read every
                # subdirectory; else the build files below are read by one elsewhere
                # (OpenSBI's Makefile includes what `find lib/utils -name objects.mk`
                # lists), so the subdirectories that hold one are walked
                for sub in sorted(self.tree.subdirs.get(directory, ()), reverse=True):
                    if self.rules.units == "markers" or sub in self.builds_below:
                        stack.append((sub, chain, ""))
                continue
            named_dirs: set[str] = set()
            subdirs: list[tuple[str, tuple[str, ...], str]] = []
            members: dict[str, list[BuildItem]] = defaultdict(list)
            for build_file in files:
                for item in build_file.items:
                    if item.member_of is not None:
                        members[item.member_of].append(self._anchored(item, build_file))
            for build_file in files:
                for item in build_file.items:
                    if item.member_of is not None:
                        continue
                    item = self._anchored(item, build_file)
                    gates = _join(chain, item.gates)
                    if item.is_dir:
                        sub = item.target.rstrip("/")
                        named_dirs.add(sub)
                        if self.tree.is_dir(sub) and any(under(sub, r) for r in roots):
                            subdirs.append((sub, gates, build_file.path))
                        continue
                    order += 1
                    self._object(build_file, item, gates, members, order)
            for sub, gates, by_file in reversed(subdirs):
                stack.append((sub, gates, by_file))
            for sub in sorted(self.tree.subdirs.get(directory, ())):
                if sub in named_dirs:
                    continue
                if self.rules.units == "markers" or sub in self.written_above:
                    # markers are looked for everywhere; a build file written from above
                    # is read by one elsewhere, not left out of the build
                    stack.append((sub, chain, ""))
                else:
                    unnamed.append((sub, files))
        for sub, files in unnamed:  # once every object is known: members live there too
            if sub not in self.build.reached:
                self._not_built(sub, files)
        return self.build

    def _files_of(self, directory: str) -> list[BuildFile]:
        """The build files of a directory, with the files they include."""
        out = list(self.by_dir.get(directory, ()))
        seen = {f.path for f in out}
        queue = list(out)
        while queue:
            current = queue.pop()
            for include in current.includes:
                for path in self._included(include.target, current.directory, directory):
                    if path not in seen and path in self.files:
                        seen.add(path)
                        included = self.files[path]
                        # an included file's items carry the include's conditions, and
                        # name paths relative to its own directory (a Make.defs found
                        # through VPATH) or, as Kbuild reads them, to the directory
                        # being built
                        gated = BuildFile(included.path, included.grammar, [
                            BuildItem(self._rebased(i.target, included.directory, directory),
                                      _join(include.gates, i.gates), i.own, i.list, i.line,
                                      i.member_of and self._rebased(
                                          i.member_of, included.directory, directory))
                            for i in included.items], included.includes)
                        out.append(gated)
                        queue.append(gated)
        return out

    def _exists(self, target: str) -> bool:
        if target.endswith("/"):
            return self.tree.is_dir(target)
        if target.endswith(".o"):
            return any(target[:-2] + ext in self.tree.all for ext in self.rules.source_extensions)
        return target in self.tree.all

    def _anchored(self, item: BuildItem, build_file: BuildFile) -> BuildItem:
        """A file a build file names that is not in its directory, as named from the
        nearest directory above where it is: the directory of the makefile that includes
        it (OpenSBI's lib/utils/serial/objects.mk names `serial/fdt_serial_cadence.o`,
        read from lib/utils)."""
        own = build_file.directory
        if item.is_dir or not own or self._exists(item.target) \
                or not item.target.startswith(own + "/"):
            return item
        relative = item.target[len(own) + 1:]
        base = parent(own)
        while True:
            candidate = f"{base}/{relative}" if base else relative
            if self._exists(candidate):
                return replace(item, target=candidate)
            if not base:
                return item
            base = parent(base)

    def _rebased(self, target: str, own: str, walked: str) -> str:
        """`target` as the included file at `own` named it, else the same words read
        from the directory being built, whichever exists (the first when neither)."""
        if own == walked or self._exists(target) or not target.startswith(own + "/"):
            return target
        other = posixpath.normpath(f"{walked}/{target[len(own) + 1:]}") + (
            "/" if target.endswith("/") else "")
        return other if self._exists(other) else target

    def _included(self, target: str, including: str, walked: str) -> list[str]:
        """An `include` names a file relative to the including file's directory, or (as
        Make reads it) to the directory make runs in, or to the tree's root."""
        relative = target[len(including) + 1:] if including and target.startswith(
            including + "/") else target
        for base in (including, walked, ""):
            candidate = posixpath.normpath(f"{base}/{relative}") if base else relative
            found = self._matching(candidate)
            if any(path in self.files for path in found):
                return found
        return []

    def _matching(self, pattern: str) -> list[str]:
        if "*" not in pattern:
            return [pattern]
        head, tail = pattern.split("*/", 1) if "*/" in pattern else (pattern, "")
        base = head.rstrip("/")
        return sorted(f"{sub}/{tail}" for sub in self.tree.subdirs.get(base, ()))

    def _object(self, build_file: BuildFile, item: BuildItem, gates: tuple[str, ...],
                members: Mapping[str, list[BuildItem]], order: int) -> None:
        files: list[str] = []
        options: set[str] = set()
        seen: set[str] = set()
        queue = [item.target]
        while queue:  # composite members, each expanded once (cycles end here)
            target = queue.pop()
            if target in seen:
                continue
            seen.add(target)
            if target in members:
                for member in members[target]:
                    if member.own:
                        options.add(member.own)
                    queue.append(member.target)
                continue
            files.extend(self._sources(target))
        mine = [f for f in sorted(set(files)) if self.claimed.setdefault(f, item.target)
                == item.target]
        self.build.objects.append(Obj(item.target, mine, item.own, gates, build_file.path,
                                      item.line, options, order))

    def _sources(self, target: str) -> list[str]:
        if target.endswith(".o"):
            stem = target[:-2]
            return [stem + ext for ext in self.rules.source_extensions
                    if ext != ".h" and stem + ext in self.tree.all]
        return [target] if target in self.tree.all else []

    def _not_built(self, sub: str, files: list[BuildFile]) -> None:
        sources = [p for p in self.tree.below(sub) if self.rules.is_source(p)
                   and not p.endswith(".h")]
        if sources and not any(p in self.claimed for p in sources):
            names = ", ".join(f.path for f in files[:3]) + (
                f" and {len(files) - 3} more" if len(files) > 3 else "")
            self.build.skipped.append(Skipped(sub, NOT_BUILT, f"{names} names nothing in it",
                                              tuple(sources)))


def _and_above(directories: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for directory in directories:
        while directory and directory not in out:
            out.add(directory)
            directory = parent(directory)
    return out


def _join(chain: tuple[str, ...], gates: tuple[str, ...]) -> tuple[str, ...]:
    out = list(chain)
    for gate in gates:
        if not out or out[-1] != gate:
            out.append(gate)
    return tuple(out)
