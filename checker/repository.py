"""Find and load the repository's files (drivers/, policies/) from a source; cross-file rules.

A source maps repository-relative paths to bytes: the working tree (DiskSource) or a
git commit (checker.gitsource.GitTreeSource), so `diff` and `history` load revisions
without a checkout. Loading gathers every problem of every file instead of stopping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from checker.errors import Problem, UsageError
from checker.load import Document, parse_document
from checker.model import Driver
from checker.policy import Fixture, Policy, validate_fixture, validate_policy
from checker.validate import field_name, validate_driver

DRIVERS_DIR = "drivers"
POLICIES_DIR = "policies"
DEFAULT_POLICY = "policies/default.yaml"
YAML_SUFFIXES = (".yaml", ".yml")


class FileSource(Protocol):
    """Where repository files come from."""

    def paths(self) -> list[str]:
        """Sorted repository-relative paths of every file under drivers/ and policies/."""
        ...

    def read(self, rel: str) -> bytes:
        """The file's bytes; OSError when it cannot be read."""
        ...


class DiskSource:
    """The working tree. Symbolic links that leave the repository are not followed."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def paths(self) -> list[str]:
        out = []
        for top in (DRIVERS_DIR, POLICIES_DIR):
            base = self.root / top
            if base.is_dir():
                out += [relative(self.root, p) for p in base.rglob("*")
                        if p.suffix in YAML_SUFFIXES and (p.is_file() or p.is_symlink())]
        return sorted(out)

    def read(self, rel: str) -> bytes:
        path = self.root / rel
        if not path.resolve().is_relative_to(self.root):
            raise OSError(f"{rel} is a link that leaves the repository; not followed")
        return path.read_bytes()


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


def relative(root: Path, path: Path) -> str:
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        try:
            return absolute.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def kind_of(relpath: str) -> str | None:
    """What a repository-relative path holds: driver, policy, fixture, or None."""
    parts = relpath.split("/")
    if not relpath.endswith(YAML_SUFFIXES):
        return None
    if parts[0] == DRIVERS_DIR and len(parts) >= 2:
        return "driver"
    if parts[0] == POLICIES_DIR and len(parts) == 2:
        return "policy"
    if parts[0] == POLICIES_DIR and len(parts) == 3 and parts[1] == "tests":
        return "fixture"
    return None


def expand(root: Path, paths: Sequence[str]) -> list[str]:
    """Command-line paths, relative to the repository (as `git -C` does), as repository-
    relative paths; directories are walked. Missing or outside paths are usage errors."""
    out: list[str] = []
    for name in paths:
        path = Path(name) if Path(name).is_absolute() else root / name
        if not path.exists():
            raise UsageError(f"no such file or directory: {name}")
        found = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES) \
            if path.is_dir() else [path]
        for item in found:
            rel = relative(root, item)
            if rel.startswith("../") or Path(rel).is_absolute():
                raise UsageError(f"{name}: outside the repository {root}")
            out.append(rel)
    return out


def _read(source: FileSource, rel: str) -> tuple[Document | None, list[Problem]]:
    try:
        raw = source.read(rel)
    except OSError as exc:
        return None, [Problem(rel, 1, 1, "", f"cannot read file: {exc.strerror or exc}",
                              rule="io")]
    return parse_document(raw, rel)


def load_workspace(root: Path, files: Sequence[str] | None = None) -> Workspace:
    """Load the working tree at `root` (see build_workspace)."""
    root = root.resolve()
    if not (root / DRIVERS_DIR).is_dir() and not (root / POLICIES_DIR).is_dir():
        raise UsageError(f"{root} has no drivers/ or policies/ directory; "
                         "run inside a policy repository or pass -C DIR")
    return build_workspace(DiskSource(root), root, files)


def build_workspace(source: FileSource, root: Path,
                    files: Sequence[str] | None = None) -> Workspace:
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
            raise UsageError(f"{rel}: not a driver (drivers/**/*.yaml), policy "
                             "(policies/*.yaml) or policy fixture (policies/tests/*.yaml)")
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
            problems.append(Problem(DEFAULT_POLICY, 1, 1, "",
                                    "the default policy file is missing", rule="policy"))
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
        every = drivers
        focus: set[str] | None = None
        if files is not None:
            focus = set(by_kind["driver"])
            others = [rel for rel in every_path if kind_of(rel) == "driver" and rel not in focus]
            every = drivers + [d for d in _valid_drivers(source, others)]
        problems += cross_file_problems(every, documents, focus)
    return Workspace(root, drivers, policy, fixtures, sorted(set(problems)), read, documents)


def _valid_drivers(source: FileSource, rels: Sequence[str]) -> list[Driver]:
    out = []
    for rel in rels:
        doc, found = _read(source, rel)
        if doc is not None and not found:
            driver, _ = validate_driver(doc)
            if driver is not None:
                out.append(driver)
    return out


def cross_file_problems(drivers: Sequence[Driver], documents: dict[str, Document],
                        focus: set[str] | None = None) -> list[Problem]:
    """Ids and paths unique; no two drivers claim overlapping patterns without an exclude.

    `focus` limits the report to problems involving these files (pre-commit passes a few).
    """
    from checker.paths import patterns_overlap

    problems: list[Problem] = []

    def at(driver: Driver, keypath: tuple[str | int, ...], message: str) -> None:
        if focus is not None and driver.file not in focus:
            return
        doc = documents.get(driver.file)
        line, col = doc.locate(keypath) if doc else (1, 1)
        problems.append(Problem(driver.file, line, col, field_name(keypath), message,
                                rule="cross-file"))

    by_id: dict[str, Driver] = {}
    by_path: dict[str, Driver] = {}
    for driver in drivers:
        key = driver.id.lower()
        if key in by_id:
            at(driver, ("name",), f"driver id {driver.id!r} differs only in case from "
               f"{by_id[key].file}")
        by_id.setdefault(key, driver)
        path_key = driver.path.rstrip("/")
        if path_key in by_path:
            other = by_path[path_key]
            at(driver, ("path",), f"{driver.path!r} is also the path of {other.id} ({other.file})")
            at(other, ("path",), f"{other.path!r} is also the path of {driver.id} ({driver.file})")
        by_path.setdefault(path_key, driver)

    # Overlap: a pattern can only overlap patterns whose fixed prefix is one of its own
    # ancestors (or equal), so look those up instead of comparing every pair.
    index: dict[str, list[tuple[Driver, int, str]]] = {}
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
                at(a, ("paths", "include", ai),
                   f"{pa!r} overlaps {pb!r} claimed by {b.id}; exclude one from the other")
                at(b, ("paths", "include", bi),
                   f"{pb!r} overlaps {pa!r} claimed by {a.id}; exclude one from the other")
    return problems


def _fixed_prefix(pattern: str) -> str:
    """The directories of a pattern before its first glob component."""
    parts = []
    for part in pattern.strip("/").split("/"):
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


def _excluded(driver: Driver, pattern: str) -> bool:
    from checker.paths import pattern_covers

    return any(pattern_covers(ex, pattern) for ex in driver.exclude)


def driver_files(root: Path) -> list[Path]:
    """Every driver file of the working tree at `root`."""
    source = DiskSource(root)
    return [source.root / rel for rel in source.paths() if kind_of(rel) == "driver"]
