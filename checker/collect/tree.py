"""What the tree at REV says about each driver: files, source lines, device-ID tables,
Kconfig symbols (and whether they depend on BROKEN), and the MAINTAINERS entry.

One `git ls-tree -r` lists the tree; the blobs needed (the drivers' own files,
Kconfig and Makefiles, MAINTAINERS) are read through one `git cat-file --batch`.

Heuristics (documented in docs/collect.md):
- *Kconfig symbols* are those that build the driver: `obj-$(CONFIG_X) += ...` lines
  in Makefiles naming one of the driver's objects (`x.o` from its `x.c`, or a
  composite object whose members are all the driver's) or a directory whose files
  are all the driver's. When no Makefile names it, the symbols defined in the
  driver's own Kconfig files are used.
- A symbol *depends on BROKEN* when one of its definitions has `depends on` with
  `BROKEN` (not negated), or sits in an `if`/`menu`/`choice` that does.
- *Device IDs* are the entries of each table named by `MODULE_DEVICE_TABLE(type,
  name)` in the driver's C files: the brace groups of `name[] = {...}` other than the
  empty terminator; a table defined elsewhere counts as one.
- The *MAINTAINERS entry* is the section whose `F:` (minus `X:`) patterns cover the
  most of the driver's files, the most specific pattern breaking ties (deeper, then
  longer), then the title; its `S:` status is normalised (`Orphaned` is Orphan). A
  catch-all section (an `F:` pattern claiming the whole tree, such as Linux's "THE
  REST") gives the status `unknown`: the entry still names it.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from checker.collect.gitrepo import Repo, Stream
from checker.collect.rules import CollectRules
from checker.errors import CheckerError
from checker.paths import PathIndex, PathSpec, parse_pattern, pattern_covers

STATUSES = ("Supported", "Maintained", "Odd Fixes", "Orphan", "Obsolete")
DEVICE_SUFFIXES = (".c", ".h")


@dataclass(frozen=True)
class TreeFacts:
    """The tree's answers for one driver."""

    files: int
    source_lines: int
    device_ids: int
    kconfig: tuple[str, ...]
    depends_on_broken: bool | None
    maintainers_entry: str | None
    maintainers_status: str | None  # normalised; None when no entry was found


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str
    sha: str
    path: str


def list_tree(repo: Repo, sha: str) -> list[TreeEntry]:
    raw = Stream(repo, "ls-tree", ["-r", "-z", "--full-tree", sha]).read_all()
    entries = []
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, object_sha = meta.decode().split(" ")
        entries.append(TreeEntry(mode, kind, object_sha, path.decode("utf-8", "surrogateescape")))
    return entries


def read_blobs(repo: Repo, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Stream blobs through one `git cat-file --batch`, in the order asked."""
    if not shas:
        return
    stream = Stream(repo, "cat-file", ["--batch"], stdin=True)

    def feed() -> None:
        try:
            for sha in shas:
                stream.stdin.write(sha.encode() + b"\n")
            stream.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = stream.stdout
    try:
        for sha in shas:
            header = out.readline()
            if not header:
                raise CheckerError(f"git cat-file stopped early: {stream.error_text()}")
            fields = header.split()
            if len(fields) < 2 or fields[1] == b"missing":
                raise CheckerError(
                    f"object {sha} is missing from the repository (a partial or damaged "
                    "clone?): run `git fsck` there, or fetch the full history"
                )
            size = int(fields[2])
            data = out.read(size)
            out.read(1)  # the newline after the contents
            yield sha, data
        writer.join()
        stream.finish()
    except BaseException:
        stream.kill()
        raise


# ---------------------------------------------------------------------------------
# MAINTAINERS


@dataclass
class Section:
    title: str
    status: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    @property
    def catch_all(self) -> bool:
        """Whether the section claims the whole tree (`F: *`, `F: */`, as Linux's "THE
        REST" does): matching it says nothing about who maintains a driver."""
        return any(all(char in "*?" for char in parse_pattern(p).parts[0]) for p in self.include)


_FIELD = re.compile(r"^([A-Z]):\s*(.*?)\s*$")


def parse_maintainers(text: str) -> list[Section]:
    """Sections: a title line followed by `X:` field lines; anything else is skipped.

    A commented-out line inside a section (`#M: ...`, `# F: ...`) is ignored, not taken
    as the end of the section."""
    sections: list[Section] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            if block and line.lstrip().startswith("#"):
                continue
            block.append(line)
            continue
        if len(block) >= 2 and not _FIELD.match(block[0]) and not block[0][:1].isspace():
            fields = [_FIELD.match(item) for item in block[1:]]
            if all(fields):
                section = Section(block[0].strip())
                for match in fields:
                    assert match is not None
                    letter, value = match.group(1), match.group(2)
                    if letter == "S" and section.status is None:
                        section.status = value
                    elif letter in "FX" and value:
                        target = section.include if letter == "F" else section.exclude
                        try:
                            parse_pattern(value)
                        except ValueError:
                            continue
                        target.append(value)
                if section.include:
                    sections.append(section)
        block = []
    return sections


def normalise_status(text: str | None) -> str:
    """`S:` text -> Supported | Maintained | Odd Fixes | Orphan | Obsolete | unknown."""
    if not text:
        return "unknown"
    lowered = text.lower()
    if "obsolete" in lowered:
        return "Obsolete"
    if "orphan" in lowered:
        return "Orphan"
    if "odd fix" in lowered or "odd-fix" in lowered:
        return "Odd Fixes"
    if "supported" in lowered:
        return "Supported"
    if "maintained" in lowered or "buried alive" in lowered:
        return "Maintained"
    return "unknown"


def _specificity(pattern: str) -> tuple[int, int]:
    parsed = parse_pattern(pattern)
    literal = sum(len(part) for part in parsed.parts if not any(c in part for c in "*?["))
    return len(parsed.parts), literal


def match_maintainers(sections: Sequence[Section], drivers: dict[str, PathSpec],
                      files: dict[str, list[str]]) -> dict[str, Section]:
    """The best-covering section per driver (see module docstring)."""
    index = PathIndex((str(i), PathSpec(s.include, s.exclude)) for i, s in enumerate(sections))
    result: dict[str, Section] = {}
    for driver, spec in drivers.items():
        counts: dict[int, int] = defaultdict(int)
        owned = files.get(driver, [])
        for path in owned:
            for owner in index.owners(path):
                counts[int(owner)] += 1
        if not owned:  # nothing at REV: reason about the patterns themselves
            for i, section in enumerate(sections):
                if all(any(pattern_covers(f, inc) for f in section.include)
                       for inc in spec.include):
                    counts[i] = 1
        if not counts:
            continue

        def rank(i: int, paths: list[str] = owned, counts: dict[int, int] = counts
                 ) -> tuple[int, tuple[int, int], tuple[int, ...]]:
            section = sections[i]
            best = (0, 0)
            for pattern in section.include:
                parsed = parse_pattern(pattern)
                if not paths or any(parsed.matches(path) for path in paths):
                    best = max(best, _specificity(pattern))
            return counts[i], best, _reverse(section.title)

        result[driver] = sections[max(counts, key=rank)]
    return result


def _reverse(text: str) -> tuple[int, ...]:
    """Sort key that makes max() pick the alphabetically first title."""
    return (*tuple(-ord(char) for char in text), 0)


# ---------------------------------------------------------------------------------
# Kconfig and Makefiles

_CONFIG = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$")
_DEPENDS = re.compile(r"^\s*depends\s+on\s+(.*)$")
_IF = re.compile(r"^\s*if\s+(.*)$")
_BLOCK_OPEN = re.compile(r"^\s*(menu|choice)\b")
_BLOCK_CLOSE = re.compile(r"^\s*(endif|endmenu|endchoice)\b")
_BROKEN = re.compile(r"(?<![!\w])BROKEN\b")


def kconfig_symbols(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _CONFIG.match(line))]


def broken_symbols(text: str) -> dict[str, bool]:
    """For each symbol defined in one Kconfig file: does it depend on BROKEN?"""
    result: dict[str, bool] = {}
    stack: list[bool] = []  # per open if/menu/choice: its condition involves BROKEN
    current: str | None = None
    block_pending = False  # `depends on` lines right after menu/choice belong to it
    for raw in _join_continuations(text).splitlines():
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        if m := _CONFIG.match(line):
            current = m.group(1)
            result[current] = result.get(current, False) or any(stack)
            block_pending = False
            continue
        if m := _IF.match(line):
            stack.append(bool(_BROKEN.search(m.group(1))))
            current, block_pending = None, False
            continue
        if _BLOCK_OPEN.match(line):
            stack.append(False)
            current, block_pending = None, True
            continue
        if _BLOCK_CLOSE.match(line):
            if stack:
                stack.pop()
            current, block_pending = None, False
            continue
        if m := _DEPENDS.match(line):
            broken = bool(_BROKEN.search(m.group(1)))
            if current is not None:
                result[current] = result[current] or broken
            elif block_pending and stack:
                stack[-1] = stack[-1] or broken
            continue
        if not line[:1].isspace():
            current, block_pending = None, False
    return result


def _join_continuations(text: str) -> str:
    return re.sub(r"\\\n", " ", text)


# `obj-$(CONFIG_X)`, also with a build-phase prefix inside the reference, as trees that
# build one driver for several boot phases write it: `obj-$(CONFIG_$(PHASE_)X)`,
# `$(SPL_)`, `$(SPL_TPL_)`, `$(XPL_)`; the symbol is X.
_ASSIGN = re.compile(
    r"^\s*([A-Za-z0-9_.-]+?)-(\$\(CONFIG_(?:\$\([A-Za-z0-9_]+\))?([A-Za-z0-9_]+)\)|y|m|objs)"
    r"\s*[:+]?=\s*(.*)$"
)


@dataclass
class Makefile:
    gates: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    always: set[str] = field(default_factory=set)  # `obj-y`/`obj-m` targets (no symbol)
    order: dict[str, int] = field(default_factory=dict)  # target -> first line naming it


def parse_makefile(directory: str, text: str) -> Makefile:
    """`obj-$(CONFIG_X) += a.o b/` -> gates; `foo-y := a.o` -> members of foo.o;
    `obj-y += c.o d/` -> always."""
    result = Makefile()
    base = f"{directory}/" if directory else ""
    for number, raw in enumerate(_join_continuations(text).splitlines()):
        line = raw.split("#", 1)[0]
        match = _ASSIGN.match(line)
        if not match:
            continue
        target, _, symbol, values = match.groups()
        items = [item for item in values.split() if not item.startswith("$")]
        if target == "obj":
            for item in items:
                result.order.setdefault(base + item, number)
                if symbol:
                    result.gates[base + item].add(symbol)
                else:
                    result.always.add(base + item)
        else:
            for item in items:
                if item.endswith(".o"):
                    result.members[f"{base}{target}.o"].add(base + item)
    return result


# ---------------------------------------------------------------------------------
# Device tables

_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_TABLE = re.compile(r"\bMODULE_DEVICE_TABLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
_SENTINEL = re.compile(r"^[\s,0{}]*$")
# An array definition `name[...] <words> = {`; the words after `]` are one character
# class (no nested quantifier: `(?:\w+\s*)*` backtracked exponentially on a long word).
_ARRAY = re.compile(r"\b(\w+)\s*\[[^\]]*\][\w\s]*=\s*\{")


def device_ids(text: str) -> int:
    """Entries of the tables that MODULE_DEVICE_TABLE names in one C file."""
    if "MODULE_DEVICE_TABLE" not in text:
        return 0
    code = _COMMENTS.sub(" ", text)
    arrays = {m.group(1): m.end() for m in _ARRAY.finditer(code)}
    total = 0
    for match in _TABLE.finditer(code):
        name = match.group(2)
        if name == "name":  # the macro's own definition
            continue
        start = arrays.get(name)
        total += 1 if start is None else max(1, _count_entries(code, start))
    return total


def _count_entries(code: str, start: int) -> int:
    depth, count, entry_start = 1, 0, -1
    for index in range(start, len(code)):
        char = code[index]
        if char == "{":
            depth += 1
            if depth == 2:
                entry_start = index
        elif char == "}":
            depth -= 1
            if depth == 1 and not _SENTINEL.match(code[entry_start:index + 1]):
                count += 1
            if depth == 0:
                break
    return count


# ---------------------------------------------------------------------------------


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def read_tree(repo: Repo, sha: str, drivers: dict[str, PathSpec],
              rules: CollectRules) -> dict[str, TreeFacts]:
    """Every driver's TreeFacts at commit `sha`."""
    entries = [e for e in list_tree(repo, sha) if e.kind == "blob"]
    index = PathIndex(drivers.items())
    owned: dict[str, list[str]] = defaultdict(list)
    owners_of: dict[str, list[str]] = {}
    for entry in entries:
        found = index.owners(entry.path)
        if found:
            owners_of[entry.path] = found
            for owner in found:
                owned[owner].append(entry.path)

    # Which directories' Makefiles can gate a driver: its files' directories and up.
    dirs: set[str] = set()
    for path in owners_of:
        directory = _parent(path)
        while directory not in dirs:
            dirs.add(directory)
            if not directory:
                break
            directory = _parent(directory)

    wanted: dict[str, list[TreeEntry]] = defaultdict(list)  # sha -> entries
    for entry in entries:
        name = entry.path.rsplit("/", 1)[-1]
        regular = entry.mode != "120000"
        if not regular:
            continue
        if (entry.path in owners_of and (
            rules.is_source(entry.path) or entry.path.endswith(DEVICE_SUFFIXES)
        )) or name.startswith("Kconfig") or entry.path == "MAINTAINERS" or (
            name in ("Makefile", "Kbuild") and _parent(entry.path) in dirs
        ):
            wanted[entry.sha].append(entry)

    lines: dict[str, int] = {}
    ids: dict[str, int] = {}
    defined_in: dict[str, list[str]] = defaultdict(list)  # Kconfig path -> symbols
    broken: dict[str, bool] = {}
    makefiles: dict[str, Makefile] = {}
    sections: list[Section] = []
    for blob_sha, data in read_blobs(repo, sorted(wanted)):
        for entry in wanted[blob_sha]:
            name = entry.path.rsplit("/", 1)[-1]
            if entry.path in owners_of:
                if rules.is_source(entry.path):
                    lines[entry.path] = _line_count(data)
                if entry.path.endswith(DEVICE_SUFFIXES):
                    ids[entry.path] = device_ids(data.decode("utf-8", "replace"))
            if name.startswith("Kconfig"):
                text = data.decode("utf-8", "replace")
                for symbol, is_broken in broken_symbols(text).items():
                    broken[symbol] = broken.get(symbol, False) or is_broken
                if entry.path in owners_of:
                    defined_in[entry.path] = kconfig_symbols(text)
            elif name in ("Makefile", "Kbuild"):
                makefiles[entry.path] = parse_makefile(
                    _parent(entry.path), data.decode("utf-8", "replace"))
            elif entry.path == "MAINTAINERS":
                sections = parse_maintainers(data.decode("utf-8", "replace"))

    symbols = _gating_symbols(drivers, owned, owners_of, makefiles, entries)
    chosen = match_maintainers(sections, drivers, owned)
    facts: dict[str, TreeFacts] = {}
    for driver in drivers:
        paths = owned.get(driver, [])
        found = symbols.get(driver) or sorted(
            {s for p in paths for s in defined_in.get(p, [])})
        section = chosen.get(driver)
        known = [broken[s] for s in found if s in broken]
        facts[driver] = TreeFacts(
            files=len(paths),
            source_lines=sum(lines.get(p, 0) for p in paths),
            device_ids=sum(ids.get(p, 0) for p in paths),
            kconfig=tuple(found),
            depends_on_broken=any(known) if known else None,
            maintainers_entry=section.title if section else None,
            maintainers_status=(None if section is None else "unknown" if section.catch_all
                                else normalise_status(section.status)),
        )
    return facts


def _gating_symbols(drivers: dict[str, PathSpec], owned: dict[str, list[str]],
                    owners_of: dict[str, list[str]], makefiles: dict[str, Makefile],
                    entries: Iterable[TreeEntry]) -> dict[str, list[str]]:
    """Symbols of `obj-$(CONFIG_X)` lines naming a driver's objects or directories."""
    # the drivers that own every file under each directory
    dir_owner: dict[str, set[str]] = {}
    for entry in entries:
        who = owners_of.get(entry.path, ())
        directory = _parent(entry.path)
        while directory:
            current = dir_owner.get(directory)
            if current is None:
                dir_owner[directory] = set(who)
            elif current:
                current.intersection_update(who)
            directory = _parent(directory)

    object_owner: dict[str, set[str]] = defaultdict(set)
    for path, who in owners_of.items():
        stem, dot, ext = path.rpartition(".")
        if dot and ext in ("c", "S", "rs"):
            object_owner[f"{stem}.o"].update(who)
    for makefile in makefiles.values():
        for composite, members in makefile.members.items():
            common: set[str] | None = None
            for member in members:
                member_owners = object_owner.get(member, set())
                common = set(member_owners) if common is None else common & member_owners
            if common:
                object_owner[composite].update(common)

    result: dict[str, set[str]] = defaultdict(set)
    for makefile in makefiles.values():
        for target, gate in makefile.gates.items():
            if target.endswith("/"):
                whole = dir_owner.get(target.rstrip("/"))
                if whole:
                    for driver in whole:
                        result[driver].update(gate)
            elif target.endswith(".o"):
                for driver in object_owner.get(target, ()):
                    result[driver].update(gate)
    return {driver: sorted(symbols) for driver, symbols in result.items() if driver in drivers}
