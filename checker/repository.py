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

    `focus` limits the report to problems involving these files (pre-commit passes a few);
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
    by_path: dict[str, Claimant] = {}
    for driver in drivers:
        key = driver.id.lower()
        if key in by_id:
            at(
                driver,
                ("name",),
                f"driver id {driver.id!r} differs only in case from {by_id[key].file}",
            )
        by_id.setdefault(key, driver)
        path_key = driver.path.rstrip("/")
        if path_key in by_path:
            other = by_path[path_key]
            at(driver, ("path",), f"{driver.path!r} is also the path of {other.id} ({other.file})")
            at(other, ("path",), f"{other.path!r} is also the path of {driver.id} ({driver.file})")
        by_path.setdefault(path_key, driver)

    # Overlap: a pattern can only overlap patterns whose fixed prefix is one of its own
    # ancestors (or equal), so look those up instead of comparing every pair.
    index: dict[str, list[tuple[Claimant, int, str]]] = {}
    for driver in drivers:
        for position, pattern in enumerate(driver.include):
            index.setdefault(_fixed_prefix(pattern), []).append((driver, position, pattern))
    for prefix, entries in index.items():
        parts = prefix.split("/") if prefix else []
        ancestors = ["/".join(parts[:n]) for n in range(len(parts))]
        for a, ai, pa in entries:
            candidates = [e for anc in ancestors for e in index.get(anc, [])]
            candidates += [e for e in entries if (e[0].id, e[1]) > (a.id, ai)]
            for b, bi, pb in candidates:
                if a.id == b.id or not patterns_overlap(pa, pb):
                    continue
                if _excluded(a, pb) or _excluded(b, pa):
                    continue
                at(
                    a,
                    ("paths", "include", ai),
                    f"{pa!r} overlaps {pb!r} claimed by {b.id}; exclude one from the other",
                )
                at(
                    b,
                    ("paths", "include", bi),
                    f"{pb!r} overlaps {pa!r} claimed by {a.id}; exclude one from the other",
                )
    return problems


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
