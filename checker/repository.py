"""Find and load the repository's files (drivers/, policies/) from a source; cross-file rules.

A source maps repository-relative paths to bytes: the working tree (DiskSource) or a
git commit (checker.gitsource.GitTreeSource), so `diff` and `history` load revisions
without a checkout. Loading gathers every problem of every file instead of stopping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from checker.errors import Problem, UsageError
from checker.layout import DEFAULT_POLICY as DEFAULT_POLICY
from checker.layout import DRIVERS_DIR as DRIVERS_DIR
from checker.layout import POLICIES_DIR as POLICIES_DIR
from checker.layout import YAML_SUFFIXES as YAML_SUFFIXES
from checker.layout import DiskSource as DiskSource
from checker.layout import FileSource as FileSource
from checker.layout import expand as expand
from checker.layout import kind_of as kind_of
from checker.layout import relative as relative
from checker.layout import require_repository
from checker.load import Document, parse_document
from checker.model import Driver
from checker.policy import Fixture, Policy, validate_fixture, validate_policy
from checker.validate import field_name, validate_driver


@dataclass
class Workspace:
    """A loaded repository: valid models plus every problem of every file."""

    root: Path
    drivers: list[Driver]
    policy: Policy | None
    fixtures: list[Fixture]
    problems: list[Problem]
    files: int
    documents: dict[str, Document]


def _read(source: FileSource, rel: str) -> tuple[Document | None, list[Problem]]:
    try:
        raw = source.read(rel)
    except OSError as exc:
        return None, [Problem(rel, 1, 1, "", f"cannot read file: {exc.strerror or exc}", rule="io")]
    return parse_document(raw, rel)


def load_workspace(root: Path, files: Sequence[str] | None = None) -> Workspace:
    """Load the working tree at `root` (see build_workspace).

    When only some files are asked about, the other drivers' claims for the cross-file
    rules come from the check cache where it has them (the pre-commit case).
    """
    root = root.resolve()
    require_repository(root)

    def claims(source: FileSource, rels: Sequence[str]) -> list[Claimant]:
        from checker.pipeline import cached_claims

        known, missing = cached_claims(root, rels)
        return [*known, *_valid_drivers(source, missing)]

    return build_workspace(DiskSource(root), root, files, claims)


ClaimsOf = Callable[[FileSource, Sequence[str]], "list[Claimant]"]


def build_workspace(
    source: FileSource,
    root: Path,
    files: Sequence[str] | None = None,
    claims_of: ClaimsOf | None = None,
) -> Workspace:
    """Load and validate `files` (default: every file of the source).

    The default policy is always loaded, since verdicts need it; cross-file rules are
    checked against every driver but reported only for the files asked about.
    """
    every_path = source.paths()
    targets = every_path if files is None else list(dict.fromkeys(files))
    by_kind: dict[str, list[str]] = {"driver": [], "policy": [], "fixture": []}
    for rel in targets:
        kind = kind_of(rel)
        if kind is None:
            raise UsageError(
                f"{rel}: not a driver (drivers/**/*.yaml), policy "
                "(policies/*.yaml) or policy fixture (policies/tests/*.yaml)"
            )
        by_kind[kind].append(rel)
    problems: list[Problem] = []
    documents: dict[str, Document] = {}
    drivers: list[Driver] = []
    for rel in by_kind["driver"]:
        doc, found = _read(source, rel)
        problems += found
        if doc is not None:
            documents[rel] = doc
            driver, found = validate_driver(doc)
            problems += found
            if driver is not None:
                drivers.append(driver)

    policy: Policy | None = None
    policy_paths = by_kind["policy"]
    read = len(targets)
    if DEFAULT_POLICY not in policy_paths:
        if DEFAULT_POLICY in every_path:
            policy_paths = [DEFAULT_POLICY, *policy_paths]
            read += 1
        else:
            problems.append(
                Problem(
                    DEFAULT_POLICY, 1, 1, "", "the default policy file is missing", rule="policy"
                )
            )
    for rel in policy_paths:
        doc, found = _read(source, rel)
        if doc is not None:
            documents[rel] = doc
            candidate, found = validate_policy(doc)
            if rel == DEFAULT_POLICY:
                policy = candidate
        problems += found

    fixtures: list[Fixture] = []
    for rel in by_kind["fixture"]:
        doc, found = _read(source, rel)
        if doc is not None:
            documents[rel] = doc
            fixture, found = validate_fixture(doc)
            if fixture is not None:
                fixtures.append(fixture)
        problems += found

    if files is None or by_kind["driver"]:
        every: list[Claimant] = list(drivers)
        focus: set[str] | None = None
        if files is not None:
            focus = set(by_kind["driver"])
            others = [rel for rel in every_path if kind_of(rel) == "driver" and rel not in focus]
            every += (claims_of or _valid_drivers)(source, others)

        def locate(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
            doc = documents.get(file)
            return doc.locate(keypath) if doc is not None else (1, 1)

        problems += cross_file_problems(every, locate, focus)
    return Workspace(root, drivers, policy, fixtures, sorted(set(problems)), read, documents)


def document_locator(workspace: Workspace) -> Callable[[str, KeyPathArg], tuple[int, int]]:
    """(file, keypath) -> (line, col) for the files of `workspace`, reading any other."""
    from checker.load import read_document

    def locate(file: str, keypath: KeyPathArg) -> tuple[int, int]:
        doc = workspace.documents.get(file)
        if doc is None:
            doc, _ = read_document(Path(workspace.root) / file, file)
            if doc is None:
                return 1, 1
            workspace.documents[file] = doc
        return doc.locate(keypath)

    return locate


KeyPathArg = tuple[str | int, ...]


def _valid_drivers(source: FileSource, rels: Sequence[str]) -> list[Claimant]:
    out: list[Claimant] = []
    for rel in rels:
        doc, found = _read(source, rel)
        if doc is not None and not found:
            driver, _ = validate_driver(doc)
            if driver is not None:
                out.append(driver)
    return out


class Claimant(Protocol):
    """What cross-file rules need of a driver (a Driver, or a cached claim)."""

    @property
    def id(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def include(self) -> tuple[str, ...]: ...
    @property
    def exclude(self) -> tuple[str, ...]: ...


Locate = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


def cross_file_problems(
    drivers: Sequence[Claimant], locate: Locate, focus: set[str] | None = None
) -> list[Problem]:
    """Ids and paths unique; no two drivers claim overlapping patterns without an exclude.

    Each file gets at most one problem per rule, naming the files it conflicts with (the
    first few, sorted, and how many more), so N copies of one file give N problems, not
    N squared. `focus` limits the report to these files (pre-commit passes a few);
    `locate(file, keypath)` is asked only for the places reported.
    """
    from checker.paths import patterns_overlap

    problems: list[Problem] = []

    def at(driver: Claimant, keypath: tuple[str | int, ...], message: str) -> None:
        if focus is not None and driver.file not in focus:
            return
        line, col = locate(driver.file, keypath)
        problems.append(
            Problem(driver.file, line, col, field_name(keypath), message, rule="cross-file")
        )

    by_id: dict[str, Claimant] = {}
    by_path: dict[str, list[Claimant]] = {}
    for driver in drivers:
        key = driver.id.lower()
        if key in by_id:
            at(
                driver,
                ("name",),
                f"driver id {driver.id!r} differs only in case from {by_id[key].file}",
            )
        by_id.setdefault(key, driver)
        by_path.setdefault(driver.path.rstrip("/"), []).append(driver)
    for group in by_path.values():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=_by_file)
        for driver in group:
            if len(group) == 2:
                other = ordered[0] if ordered[1] is driver else ordered[1]
                message = f"{driver.path!r} is also the path of {other.id} ({other.file})"
            else:
                named = _first_others(
                    driver, [ordered], lambda o: f"{o.id} ({o.file})", len(group) - 1
                )
                message = (f"{driver.path!r} is also the path of {len(group) - 1} other "
                           f"drivers: {named}")
            at(driver, ("path",), message)

    # Drivers with the same include and exclude lists behave alike: compare those
    # classes, not drivers, so that copies of one file cost one comparison.
    classes: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Claimant]] = {}
    for driver in drivers:
        classes.setdefault((tuple(driver.include), tuple(driver.exclude)), []).append(driver)
    members = [sorted(group, key=_by_file) for group in classes.values()]
    class_of = {id(driver): c for c, group in enumerate(members) for driver in group}
    # conflicts[c][d] = (position, pattern of c, pattern of d): c's first include that
    # overlaps one of d's
    conflicts: list[dict[int, tuple[int, str, str]]] = [{} for _ in members]

    def note(c: int, ai: int, pa: str, d: int, pb: str) -> None:
        known = conflicts[c].get(d)
        if known is None or ai < known[0]:
            conflicts[c][d] = (ai, pa, pb)

    # Overlap: a pattern can only overlap patterns whose fixed prefix is one of its own
    # ancestors (or equal), so look those up instead of comparing every pair.
    index: dict[str, list[tuple[int, int, str]]] = {}
    for c, group in enumerate(members):
        for position, pattern in enumerate(group[0].include):
            index.setdefault(_fixed_prefix(pattern), []).append((c, position, pattern))
    for prefix, entries in index.items():
        parts = prefix.split("/") if prefix else []
        above = [e for n in range(len(parts)) for e in index.get("/".join(parts[:n]), [])]
        for number, (c, ai, pa) in enumerate(entries):
            for d, bi, pb in [*above, *entries[number + 1 :]]:
                if c == d or not patterns_overlap(pa, pb):
                    continue
                if _excluded(members[c][0], pb) or _excluded(members[d][0], pa):
                    continue
                note(c, ai, pa, d, pb)
                note(d, bi, pb, c, pa)
    for c, group in enumerate(members):  # copies overlap each other
        if len(group) > 1:
            for ai, pa in enumerate(group[0].include):
                if not _excluded(group[0], pa):
                    note(c, ai, pa, c, pa)
                    break

    for c, found in enumerate(conflicts):
        if not found:
            continue
        count = sum(len(members[d]) for d in found) - (1 if c in found else 0)
        ai, pa, _ = min(found.values())
        lists = [members[d] for d in sorted(found)]

        def show(
            other: Claimant, found: dict[int, tuple[int, str, str]] = found, pa: str = pa
        ) -> str:
            pb = found[class_of[id(other)]][2]
            return other.file if pb == pa else f"{other.file} ({pb!r})"

        for driver in members[c]:
            if count == 1:
                other = next(o for group in lists for o in group if o is not driver)
                ai, pa, pb = found[class_of[id(other)]]
                message = f"{pa!r} overlaps {pb!r} claimed by {other.id}"
            else:
                named = _first_others(driver, lists, show, count)
                message = f"{pa!r} overlaps the claims of {count} other drivers: {named}"
            at(driver, ("paths", "include", ai), message + "; exclude one from the other")
    return problems


NAMED = 5  # files named in one cross-file problem; the rest are counted


def _by_file(driver: Claimant) -> str:
    return driver.file


def _first_others(
    driver: Claimant,
    groups: Sequence[Sequence[Claimant]],
    show: Callable[[Claimant], str],
    count: int,
) -> str:
    """The first NAMED of `count` drivers other than `driver`, from groups sorted by
    file, and how many more there are."""
    import heapq
    from itertools import islice

    others = (o for o in heapq.merge(*groups, key=_by_file) if o is not driver)
    named = ", ".join(show(o) for o in islice(others, NAMED))
    return named + (f" and {count - NAMED} more" if count > NAMED else "")


def _fixed_prefix(pattern: str) -> str:
    """The directories of a pattern before its first glob component."""
    parts = []
    for part in pattern.strip("/").split("/"):
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


def _excluded(driver: Claimant, pattern: str) -> bool:
    from checker.paths import pattern_covers

    return any(pattern_covers(ex, pattern) for ex in driver.exclude)


def driver_files(root: Path) -> list[Path]:
    """Every driver file of the working tree at `root`."""
    source = DiskSource(root)
    return [source.root / rel for rel in source.paths() if kind_of(rel) == "driver"]
