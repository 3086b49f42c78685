"""Discover rules learned from what a tree itself says, for a maintainer to review.

`learn(repo, sha)` reads the tree at one revision and proposes its `discover:` section:

1. **Where the drivers are**: directories named `drivers` (the shallowest; else the
   top-level directories whose build files gate the most objects by Kconfig symbols).
2. **Build files**: every file whose name is a build file of one of the grammars
   (`checker/collect/buildfiles.py`), counted by name.
3. **Kconfig**: the top file (`Kconfig` at the root, else the Kconfig files no other
   one sources), and values for the variables its `source` lines need
   (`arch/$(SRCARCH)/Kconfig`: the directory with the most shipped configurations;
   `$(SRC_DIR)/lib/Kconfig`: the Kconfig root, when the paths are there).
4. **Units**: `kconfig` when most objects below the driver directories are built under
   a Kconfig symbol, else `markers` (the build file most leaf directories hold).
5. **Entry points**: file-scope constructs (`checker/discover/constructs.py`) ranked by
   how many compiled files of units use them; a construct is kept when at least
   MIN_FILES of those files in as many directories (or four times as many files) use it
   and it is at least twice as
   common there as in the files of library symbols, when there are MIN_LIBRARY of
   those (MODULE_LICENSE and EXPORT_SYMBOL are not); macros that share a first and a
   last word become one family (`module_*_driver`).
6. **Names**: the string macro used by the most unit files whose texts are distinct and
   read like phrases (MODULE_DESCRIPTION).

It writes nothing: `render_section` gives the YAML, with what was found as comments
(counts, three example files each).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.collect.buildfiles import GRAMMARS, grammar_of
from checker.collect.kconfig_model import is_kconfig_file
from checker.core.errors import CheckerError
from checker.discover.graph import Tree, name_of, parent, under

MIN_FILES = 5  # files that must use a construct before it is an entry point
MIN_LIBRARY = 50  # library files needed before constructs are compared with them
MAX_ENTRY_POINTS = 30
NOTHING = r"[^\s\S]"  # a regular expression that matches no text
MAX_SCANNED = 6000  # compiled files read for constructs (a deterministic sample beyond)
REQUIRE_COVERAGE = 0.98  # share of units with an entry point that makes one required
FAMILY = 3  # selected constructs sharing a prefix and suffix that become one pattern
CORE_DEPENDENTS = 10
KCONFIG_SHARE = 0.5  # share of gated objects that makes units `kconfig`


@dataclass
class Construct:
    key: str  # macro:NAME | struct:TYPE | string:NAME
    files: int  # unit files that use it (in the files read)
    library: int = 0
    examples: list[str] = field(default_factory=list)
    directories: set[str] = field(default_factory=set)


@dataclass
class Learned:
    roots: list[str]
    section: dict[str, Any]  # the discover: mapping
    comments: dict[str, list[str]]  # key -> comment lines above it
    notes: list[str]  # the summary for the terminal
    entry: list[Construct] = field(default_factory=list)
    names: list[Construct] = field(default_factory=list)


# a `drivers` directory below one of these holds tests, samples or documentation of
# drivers (RIOT's and Zephyr's tests/drivers, samples/drivers), not drivers
NOT_DRIVER_PARENTS = frozenset({"test", "tests", "testing", "sample", "samples", "example",
                                "examples", "doc", "docs", "Documentation"})


def driver_directories(tree: Tree) -> list[str]:
    named = sorted((d for d in {*tree.files, *tree.subdirs} if d and name_of(d) == "drivers"
                    and d.count("/") <= 2
                    and not NOT_DRIVER_PARENTS.intersection(d.split("/")[:-1])),
                   key=lambda d: (d.count("/"), d))
    roots: list[str] = []
    for directory in named:
        if not any(under(directory, r) for r in roots):
            roots.append(directory)
    return roots


def shipped_configs(paths: Sequence[str]) -> dict[str, int]:
    """Directory -> configuration files below it (`*defconfig`, `configs/*`)."""
    counts: dict[str, int] = defaultdict(int)
    for path in paths:
        name = name_of(path)
        if name.endswith("defconfig") or f"/configs/{name}" in f"/{path}":
            directory = parent(path)
            while directory:
                counts[directory] += 1
                directory = parent(directory)
    return counts


def learn(repo: Any, sha: str, roots: Sequence[str] = ()) -> Learned:
    from checker.collect.kconfig_shims import choose_env, kconfig_root
    from checker.collect.tree import list_tree, read_blobs
    from checker.discover.discover import discover
    from checker.discover.rules import DiscoverRules

    entries = [e for e in list_tree(repo, sha) if e.kind == "blob" and e.mode != "120000"]
    tree = Tree(e.path for e in entries)
    notes: list[str] = []
    chosen = list(roots) or [d for d in driver_directories(tree)
                             if any(grammar_of(name_of(p)) for p in tree.below(d))]
    if not chosen:
        chosen = _gated_directories(repo, entries, tree)
    if not chosen:
        raise CheckerError("no driver directory found: no directory is named `drivers` and "
                           "no build file gates objects by a Kconfig symbol; give the "
                           "directories with --discover DIR")
    names = Counter(name_of(e.path) for e in entries if grammar_of(name_of(e.path))
                    and any(under(e.path, r) for r in chosen))
    # the grammars' name patterns that match, not the names: `Makefile.*` still finds a
    # tree's build files at a revision where they were Makefile.inc, not Makefile.mk
    patterns = Counter({_name_pattern(n): 0 for n in names})
    for name, count in names.items():
        patterns[_name_pattern(name)] += count
    build_files = sorted(patterns, key=lambda n: (-patterns[n], n))
    kconfig_files = [e.path for e in entries if is_kconfig_file(e.path)]
    tops = ["Kconfig"] if "Kconfig" in tree.all else _kconfig_tops(repo, entries)
    env: dict[str, str] = {}
    if tops:  # every Kconfig file: `source "arch/$(SRCARCH)/Kconfig"` may sit anywhere
        by_blob: dict[str, list[str]] = defaultdict(list)
        for item in entries:
            if is_kconfig_file(item.path):
                by_blob[item.sha].append(item.path)
        texts = {path: data.decode("utf-8", "replace")
                 for blob, data in read_blobs(repo, sorted(by_blob), [])
                 for path in by_blob[blob]}
        env = choose_env("\n".join(texts[p] for p in sorted(texts)), tree.all,
                         shipped_configs(sorted(tree.all)),
                         root=kconfig_root(tops[0], texts.get(tops[0], ""), texts),
                         tops=tops)
    provisional = {
        "build_files": build_files or list(GRAMMARS["make"]),
        "units": "kconfig" if kconfig_files else "markers",
        "kconfig": {"top": tops, "env": env},
        "unit_markers": [],
        "entry_points": [NOTHING],
        "names": [],
    }
    rules = DiscoverRules.from_policy({"discover": provisional})
    found = discover(repo, sha, chosen, rules)
    gated = sum(1 for v in found.files.values() if v.startswith("unit:") or v in (
        "library", "hidden", "gated-outside", "subsystem-core", "unknown-symbol"))
    built = gated + sum(1 for v in found.files.values() if v == "always-built")
    units_mode = "kconfig" if kconfig_files and built and gated / built >= KCONFIG_SHARE \
        else "markers"
    section: dict[str, Any] = {"build_files": build_files, "units": units_mode,
                               "subsystem_base": list(chosen)}
    comments: dict[str, list[str]] = {
        "subsystem_base": ["ids are SUBSYSTEM/NAME, SUBSYSTEM the first directory below "
                           "these"],
        "build_files": [f"build files below {', '.join(r + '/' for r in chosen)} at "
                        f"{sha[:12]}: " + ", ".join(f"{n} ({names[n]:,})"
                                                     for n in sorted(names, key=lambda n: (
                                                         -names[n], n))[:8])],
    }
    if units_mode == "kconfig":
        section["kconfig"] = {"top": tops, "env": env}
        comments["kconfig"] = [f"{len(kconfig_files):,} Kconfig files; read from "
                               f"{', '.join(tops) or 'no top file'}"] + [
            f"{k}={v}: the Kconfig root, where the paths it starts are" if v == "." else
            f"{k}={v}: the value whose `source` path exists with the most shipped "
            "configurations" for k, v in env.items()]
        section["subsystem_core_dependents"] = CORE_DEPENDENTS
        comments["subsystem_core_dependents"] = [
            "a symbol this many units depend on is a subsystem's core, not a driver"]
        section["unit_markers"] = []
    else:
        marker = _marker(found, tree, sorted(names))
        section["unit_markers"] = [{"file": marker}] if marker else []
        comments["unit_markers"] = [f"the build file most leaf directories hold: {marker}"]
        if marker and (provisional["units"] != "markers" or not found.units):
            # the units the marker gives, so that their constructs are what is learned
            found = discover(repo, sha, chosen, DiscoverRules.from_policy({"discover": {
                **provisional, "units": "markers", "unit_markers": [{"file": marker}],
                "require_entry_point": False}}))
    unit_files = sorted({f for u in found.units for f in u.files
                         if rules.is_source(f) and not f.endswith(".h")}
                        | {p for p, v in found.files.items() if v in ("hidden", "gated-outside")
                           and rules.is_source(p) and not p.endswith(".h")})
    library_files = sorted({p for p, v in found.files.items() if v == "library"
                            and rules.is_source(p) and not p.endswith(".h")})
    entry, strings = _rank(repo, entries, unit_files, library_files)
    entry = families(entry)
    # none found: a pattern that matches nothing (another tree's construct would be a
    # rule the tree never said)
    section["entry_points"] = [_pattern(c.key) for c in entry] or [NOTHING]
    comments["entry_points"] = [
        "file-scope constructs of the compiled files of units, by how many use them "
        f"({min(len(unit_files), MAX_SCANNED):,} files read); kept: in at least "
        f"{MIN_FILES} files and directories, and twice as common as in library files"]
    section["names"] = [_pattern(c.key) for c in strings[:1]]
    comments["names"] = ["names after the Kconfig prompt: the string macro most unit files "
                         "use with distinct, phrase-like texts"]
    covered = _coverage(found, entry, repo, entries)
    require = units_mode == "kconfig" and covered >= REQUIRE_COVERAGE
    section["require_entry_point"] = require
    comments["require_entry_point"] = [
        f"{covered:.0%} of the units found have an entry point"
        + ("; required" if require else f"; not required (below {REQUIRE_COVERAGE:.0%})")]
    notes.append(f"driver directories: {', '.join(r + '/' for r in chosen)}")
    notes.append(f"units: {units_mode}; {len(found.units):,} found before entry points")
    return Learned(chosen, section, comments, notes, entry, strings)


def _name_pattern(name: str) -> str:
    import fnmatch

    for names in GRAMMARS.values():
        for pattern in names:
            if fnmatch.fnmatchcase(name, pattern):
                return pattern
    return name


def _gated_directories(repo: Any, entries: Sequence[Any], tree: Tree) -> list[str]:
    """Top-level directories ranked by build-file lines that name a Kconfig symbol."""
    from checker.collect.tree import read_blobs

    wanted: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if grammar_of(name_of(entry.path)) and "/" in entry.path:
            wanted[entry.sha].append(entry.path)
    counts: Counter[str] = Counter()
    for blob, data in read_blobs(repo, sorted(wanted), []):
        hits = data.count(b"CONFIG_")
        for path in wanted[blob]:
            counts[path.split("/", 1)[0]] += hits
    ranked = [d for d, n in counts.most_common(3) if n]
    return sorted(ranked)


def _kconfig_tops(repo: Any, entries: Sequence[Any]) -> list[str]:
    """Kconfig files that no other one sources, shallowest first (at most three)."""
    from checker.collect.kconfig import statically_sourced
    from checker.collect.tree import read_blobs

    files = {e.path: e.sha for e in entries if is_kconfig_file(e.path)}
    texts = {}
    by_blob: dict[str, list[str]] = defaultdict(list)
    for path, blob in files.items():
        by_blob[blob].append(path)
    for blob, data in read_blobs(repo, sorted(by_blob), []):
        for path in by_blob[blob]:
            texts[path] = data.decode("utf-8", "replace")
    ordered = sorted(texts, key=lambda p: (p.count("/"), p))
    tops: list[str] = []
    reached: set[str] = set()
    for path in ordered:
        if path in reached:
            continue
        tops.append(path)
        reached |= statically_sourced(texts, [path], {})
        if len(tops) == 3:
            break
    return tops


def _marker(found: Any, tree: Tree, build_files: Sequence[str]) -> str | None:
    leaves: Counter[str] = Counter()
    for directory in tree.files:
        if tree.subdirs.get(directory):
            continue
        for path in tree.files[directory]:
            if name_of(path) in build_files:
                leaves[name_of(path)] += 1
    return leaves.most_common(1)[0][0] if leaves else None


def _sample(paths: Sequence[str], limit: int) -> list[str]:
    if len(paths) <= limit:
        return list(paths)
    return sorted(paths, key=lambda p: hashlib.sha256(p.encode()).hexdigest())[:limit]


def _rank(repo: Any, entries: Sequence[Any], unit_files: Sequence[str],
          library_files: Sequence[str]) -> tuple[list[Construct], list[Construct]]:
    from checker.collect.tree import read_blobs
    from checker.discover.constructs import constructs

    blobs = {e.path: e.sha for e in entries}
    units = _sample(unit_files, MAX_SCANNED)
    libraries = _sample(library_files, MAX_SCANNED // 3)
    wanted: dict[str, list[str]] = defaultdict(list)
    for path in [*units, *libraries]:
        if path in blobs:  # a link (mode 120000) is listed by discovery, not read here
            wanted[blobs[path]].append(path)
    in_units: dict[str, Construct] = {}
    in_library: Counter[str] = Counter()
    texts: dict[str, list[str]] = defaultdict(list)
    unit_set = set(units)
    for blob, data in read_blobs(repo, sorted(wanted), []):
        found = constructs(data[:4 << 20].decode("utf-8", "replace"))
        for path in wanted[blob]:
            if path in unit_set:
                for key in found.used:
                    construct = in_units.setdefault(key, Construct(key, 0))
                    construct.files += 1
                    construct.directories.add(parent(path))
                    if len(construct.examples) < 3:
                        construct.examples.append(path)
                for key, text in found.strings.items():
                    texts[key].append(text)
            else:
                in_library.update(found.used)
    unit_total, library_total = max(1, len(units)), max(1, len(libraries))
    entry = []
    for construct in in_units.values():
        construct.library = in_library.get(construct.key, 0)
        share = construct.files / unit_total
        # a handful of library files says little: the comparison needs MIN_LIBRARY
        library_share = construct.library / library_total \
            if len(libraries) >= MIN_LIBRARY else 0.0
        spread = len(construct.directories) >= MIN_FILES or construct.files >= 4 * MIN_FILES
        if construct.files >= MIN_FILES and spread and share >= 2 * library_share:
            entry.append(construct)
    entry.sort(key=lambda c: (-c.files, c.key))
    strings = []
    for key, values in texts.items():
        if len(values) < MIN_FILES:
            continue
        distinct = len(set(values)) / len(values)
        phrases = sum(1 for v in values if " " in v.strip()) / len(values)
        addresses = sum(1 for v in values if "@" in v) / len(values)  # MODULE_AUTHOR
        if distinct >= 0.8 and phrases >= 0.5 and addresses < 0.3:
            construct = in_units.get(key.replace("string:", "macro:"), Construct(key, 0))
            strings.append(Construct(key, len(values), 0, construct.examples))
    strings.sort(key=lambda c: (-c.files, c.key))
    return entry, strings


def families(constructs: list[Construct]) -> list[Construct]:
    """Constructs that share a first and a last word (`module_*_driver`, `struct
    *_driver`) become one: the family catches the rarer members below MIN_FILES."""
    groups: dict[tuple[str, str, str], list[Construct]] = defaultdict(list)
    for construct in constructs:
        kind, name = construct.key.split(":", 1)
        words = name.split("_")
        if kind == "macro" and len(words) >= 2:
            first = words[0] if kind == "macro" else ""
            groups[(kind, first, words[-1])].append(construct)
    out: list[Construct] = []
    merged: set[str] = set()
    for (kind, first, last), members in groups.items():
        if len(members) < FAMILY:
            continue
        key = f"{kind}:{first + '_' if first else ''}*_{last}"
        examples = [e for m in members for e in m.examples][:3]
        out.append(Construct(key, sum(m.files for m in members),
                             sum(m.library for m in members), examples))
        merged.update(m.key for m in members)
    out.extend(c for c in constructs if c.key not in merged)
    out.sort(key=lambda c: (-c.files, c.key))
    return out[:MAX_ENTRY_POINTS]


def _pattern(key: str) -> str:
    from checker.discover.constructs import pattern

    return pattern(key)


def _coverage(found: Any, entry: Sequence[Construct], repo: Any,
              entries: Sequence[Any]) -> float:
    """Share of the units with a file that uses one of the entry points (sampled)."""
    if not entry or not found.units:
        return 0.0
    from checker.collect.tree import read_blobs
    from checker.discover.constructs import constructs

    keys = {c.key for c in entry}
    units = _sample([u.id for u in found.units], 1500)
    by_id = {u.id: u for u in found.units}
    blobs = {e.path: e.sha for e in entries}
    wanted: dict[str, list[str]] = defaultdict(list)
    for unit_id in units:
        for path in by_id[unit_id].files:
            if path.endswith((".c", ".S", ".rs")) and path in blobs:
                wanted[blobs[path]].append(unit_id)
    hit: set[str] = set()
    for blob, data in read_blobs(repo, sorted(wanted), []):
        if keys & constructs(data[:4 << 20].decode("utf-8", "replace")).used:
            hit.update(wanted[blob])
    return len(hit) / len(units)


def render_section(learned: Learned, source: str) -> str:
    """The discover: section as YAML, with what was found as comments."""
    from checker.collect.yamltext import scalar

    section = learned.section
    lines = [f"# `driver-policy new --discover` rules learned from {source}: review them",
             "# (docs/collect.md explains each key). Driver directories: "
             + ", ".join(r + "/" for r in learned.roots) + ".",
             "discover:"]

    def comment(key: str) -> None:
        for text in learned.comments.get(key, ()):
            lines.append(f"  # {text}")

    for key in ("build_files", "units", "subsystem_base", "kconfig",
                "subsystem_core_dependents",
                "require_entry_point", "unit_markers"):
        if key not in section:
            continue
        comment(key)
        value = section[key]
        if key == "kconfig":
            lines.append("  kconfig:")
            lines.append(f"    top: [{', '.join(scalar(t) for t in value['top'])}]")
            env = ", ".join(f"{k}: {scalar(v)}" for k, v in sorted(value["env"].items()))
            lines.append(f"    env: {{{env}}}")
        elif key == "unit_markers":
            lines.append("  unit_markers: [" + ", ".join(
                f"{{file: {scalar(m['file'])}}}" for m in value) + "]")
        elif isinstance(value, list):
            lines.append(f"  {key}: [{', '.join(scalar(v) for v in value)}]")
        elif isinstance(value, bool):
            lines.append(f"  {key}: {'true' if value else 'false'}")
        else:
            lines.append(f"  {key}: {scalar(value)}")
    comment("entry_points")
    lines.append("  entry_points:")
    entries: list[Construct | None] = [*learned.entry] or [None]
    for construct, regex in zip(entries, section["entry_points"], strict=False):
        if construct is None:
            lines.append("    # none recurs in the units' files: this pattern matches nothing")
        else:
            lines.append(f"    # {construct.key}: {construct.files:,} unit files, "
                         f"{construct.library:,} library files; e.g. "
                         + ", ".join(construct.examples))
        lines.append(f"    - {_quoted(regex)}")
    comment("names")
    lines.append("  names:")
    for construct, regex in zip(learned.names, section["names"], strict=False):
        lines.append(f"    # {construct.key}: {construct.files:,} unit files; e.g. "
                     + ", ".join(construct.examples))
        lines.append(f"    - {_quoted(regex)}")
    if not section["names"]:
        lines[-1] = "  names: []"
    return "\n".join(lines) + "\n"


def _quoted(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def section_mapping(learned: Learned) -> Mapping[str, Any]:
    return {"discover": learned.section}
