"""What the tree at REV says about each driver: files, source lines, device-ID tables,
Kconfig symbols (and whether they depend on BROKEN), and the MAINTAINERS entry.

One `git ls-tree -r` lists the tree; the blobs needed (the drivers' own files,
Kconfig and Makefiles, MAINTAINERS) are read through one `git cat-file --batch`.

Heuristics (documented in docs/collect.md):
- *Kconfig symbols* are those that build the driver: `obj-$(CONFIG_X) += ...` lines
  in Makefiles naming one of the driver's objects (`x.o` from its `x.c`, or a
  composite object whose members are all the driver's) or a directory whose files
  are all the driver's. When no Kbuild line names it, the tree's other build files
  are read the way discovery reads them (`buildfiles.py`: `Make.defs`, `*.mk`,
  `Makefile.*`, CMake, meson): the symbol of the statement or conditional nearest to
  one of its files or directories. When none names it, the symbols defined in the
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
from dataclasses import dataclass

from checker.collect.buildfiles import BuildFile, grammar_of, parse_build_file
from checker.collect.gitrepo import Repo, Stream
from checker.collect.kbuild import (
    Makefile,
    broken_symbols,
    kconfig_symbols,
    parse_makefile,
    table_counts,
)
from checker.collect.maintainers import (
    Section,
    match_maintainers,
    normalise_status,
    parse_maintainers,
)
from checker.collect.rules import CollectRules
from checker.core.errors import CheckerError
from checker.core.paths import PathIndex, PathSpec

DEVICE_SUFFIXES = (".c", ".h")

# `.compatible = "vendor,chip"` in an of_device_id table (one line, bounded)
_COMPATIBLE = re.compile(r'\.compatible\s*=\s*"([^"\n]{1,200})"')
# a year from 1970 to 2099 standing alone (`2003-2011`, `(c) 2019,`), on copyright lines
_YEAR = re.compile(r"(?<![0-9])(?:19[7-9][0-9]|20[0-9][0-9])(?![0-9])")
# copyright notices are at the top of a file: the lines read for them
COPYRIGHT_HEAD = 8192


def newest_copyright(text: str) -> int | None:
    """The newest year a copyright line of the file's head states (`Copyright (C)
    2003-2011 ...`, `SPDX-FileCopyrightText: 2019 ...`), or None."""
    head = text[:COPYRIGHT_HEAD]
    lower = head.lower()
    newest = None
    at = lower.find("copyright")
    while at != -1:  # only the lines that name it are searched (most sources have one)
        start = head.rfind("\n", 0, at) + 1
        end = head.find("\n", at)
        end = len(head) if end == -1 else end
        for year in _YEAR.findall(head, start, end):
            newest = max(newest or 0, int(year))
        at = lower.find("copyright", end)
    return newest


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
    paths: tuple[str, ...] = ()  # its files at REV
    compatibles: tuple[str, ...] = ()  # device-tree compatibles its sources match
    copyright_year: int | None = None  # the newest year its sources' copyright lines state
    id_entries: int | None = None  # entries of its id tables; None without a C source


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


def read_blobs(repo: Repo, shas: Sequence[str], missing: list[str] | None = None
               ) -> Iterator[tuple[str, bytes]]:
    """Stream blobs through one `git cat-file --batch`, in the order asked. A blob the
    repository lacks is an error, unless `missing` is given: then it is listed there
    and skipped (discovery reads a partial clone as far as it goes)."""
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
                if missing is not None:
                    missing.append(sha)
                    continue
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
    dirs = ancestors(owners_of)

    wanted: dict[str, list[TreeEntry]] = defaultdict(list)  # sha -> entries
    for entry in entries:
        name = entry.path.rsplit("/", 1)[-1]
        regular = entry.mode != "120000"
        if not regular:
            continue
        if (entry.path in owners_of and (
            rules.is_source(entry.path) or entry.path.endswith(DEVICE_SUFFIXES)
        )) or name.startswith("Kconfig") or entry.path == "MAINTAINERS" or (
            _parent(entry.path) in dirs and grammar_of(name) is not None
        ):
            wanted[entry.sha].append(entry)

    lines: dict[str, int] = {}
    ids: dict[str, int] = {}
    compatibles: dict[str, list[str]] = {}
    years: dict[str, int] = {}
    tables: dict[str, int] = {}  # C file -> entries of its id tables
    defined_in: dict[str, list[str]] = defaultdict(list)  # Kconfig path -> symbols
    broken: dict[str, bool] = {}
    makefiles: dict[str, Makefile] = {}
    build_texts: dict[str, str] = {}
    sections: list[Section] = []
    for blob_sha, data in read_blobs(repo, sorted(wanted)):
        for entry in wanted[blob_sha]:
            name = entry.path.rsplit("/", 1)[-1]
            if entry.path in owners_of:
                if rules.is_source(entry.path):
                    lines[entry.path] = _line_count(data)
                if entry.path.endswith(DEVICE_SUFFIXES):
                    text = data.decode("utf-8", "replace")
                    ids[entry.path], tables[entry.path] = table_counts(text)
                    if ".compatible" in text:
                        compatibles[entry.path] = _COMPATIBLE.findall(text)
                    year = newest_copyright(text)
                    if year is not None:
                        years[entry.path] = year
            if name.startswith("Kconfig"):
                text = data.decode("utf-8", "replace")
                for symbol, is_broken in broken_symbols(text).items():
                    broken[symbol] = broken.get(symbol, False) or is_broken
                if entry.path in owners_of:
                    defined_in[entry.path] = kconfig_symbols(text)
            elif entry.path == "MAINTAINERS":
                sections = parse_maintainers(data.decode("utf-8", "replace"))
            elif grammar_of(name) is not None:
                build_texts[entry.path] = data.decode("utf-8", "replace")
                if name in ("Makefile", "Kbuild"):
                    makefiles[entry.path] = parse_makefile(_parent(entry.path),
                                                           build_texts[entry.path])

    dir_owner = _directory_owners(owners_of, entries)
    symbols = _gating_symbols(drivers, owners_of, makefiles, dir_owner)
    unnamed = [d for d in drivers if not symbols.get(d)]
    built = _build_file_symbols(unnamed, owners_of, build_texts, entries, dir_owner) \
        if unnamed else {}
    chosen = match_maintainers(sections, drivers, owned)
    facts: dict[str, TreeFacts] = {}
    for driver in drivers:
        paths = owned.get(driver, [])
        found = symbols.get(driver) or built.get(driver) or sorted(
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
            paths=tuple(sorted(paths)),
            compatibles=tuple(sorted({c for p in paths for c in compatibles.get(p, ())})),
            copyright_year=max((years[p] for p in paths if p in years), default=None),
            id_entries=(sum(tables[p] for p in paths if p in tables)
                        if any(p in tables for p in paths) else None),
        )
    return facts


def ancestors(paths: Iterable[str]) -> set[str]:
    """The directories of `paths` and every directory above them ("" is the top)."""
    result: set[str] = set()
    for path in paths:
        directory = _parent(path)
        while directory not in result:
            result.add(directory)
            if not directory:
                break
            directory = _parent(directory)
    return result


def _directory_owners(owners_of: dict[str, list[str]], entries: Iterable[TreeEntry]
                      ) -> dict[str, set[str]]:
    """Directory -> the drivers that own every file under it."""
    result: dict[str, set[str]] = {}
    for entry in entries:
        who = owners_of.get(entry.path, ())
        directory = _parent(entry.path)
        while directory:
            current = result.get(directory)
            if current is None:
                result[directory] = set(who)
            elif current:
                current.intersection_update(who)
            directory = _parent(directory)
    return result


def _gating_symbols(drivers: dict[str, PathSpec], owners_of: dict[str, list[str]],
                    makefiles: dict[str, Makefile], dir_owner: dict[str, set[str]]
                    ) -> dict[str, list[str]]:
    """Symbols of `obj-$(CONFIG_X)` lines naming a driver's objects or directories;
    `dir_owner`: each directory's drivers that own every file under it."""

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


def _build_file_symbols(drivers: Sequence[str], owners_of: dict[str, list[str]],
                        texts: dict[str, str], entries: Sequence[TreeEntry],
                        whole: dict[str, set[str]]) -> dict[str, list[str]]:
    """For drivers no Kbuild line names: the symbols every build grammar gives them.

    Each statement naming one of a driver's source files (`x.c`, or the `x.o` of its
    `x.c`) or a directory all of whose files are its own contributes the symbol
    nearest to it: the statement's own (`zephyr_library_sources_ifdef(CONFIG_X x.c)`,
    `ramstage-$(CONFIG_X) += x.c`) or, failing that, the innermost conditional around
    it (`ifeq ($(CONFIG_X),y)` ... `CSRCS += x.c`, `if(CONFIG_X)`)."""
    wanted = set(drivers)
    directories = ancestors(entry.path for entry in entries)
    by_object: dict[str, list[str]] = {}
    for path, who in owners_of.items():
        stem, dot, ext = path.rpartition(".")
        if dot and ext in ("c", "S", "rs", "cpp", "cc"):
            by_object[f"{stem}.o"] = who
    # a directory's own gate builds the unit that owns all of it: its files' gates are
    # then options inside the unit, not what builds it
    by_dir: dict[str, set[str]] = defaultdict(set)
    by_file: dict[str, set[str]] = defaultdict(set)
    near = ancestors(p for p, who in owners_of.items() if any(d in wanted for d in who))
    for path in sorted(p for p in texts if _parent(p) in near):
        parsed: BuildFile = parse_build_file(path, texts[path], directories.__contains__)
        for item in parsed.items:
            if not item.gates:
                continue
            if item.is_dir:
                for driver in whole.get(item.target.rstrip("/"), ()):
                    by_dir[driver].add(item.gates[-1])
            else:
                for driver in owners_of.get(item.target) or by_object.get(item.target) or ():
                    by_file[driver].add(item.gates[-1])
    return {driver: sorted(by_dir.get(driver) or by_file[driver]) for driver in drivers
            if by_dir.get(driver) or by_file.get(driver)}
