"""Find and load the repository's files: drivers/, policies/; cross-file rules.

load -> validate for every file, gathering problems instead of stopping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from checker.errors import Problem, UsageError
from checker.load import Document, read_document
from checker.model import Driver
from checker.policy import Fixture, Policy, validate_fixture, validate_policy
from checker.validate import validate_driver

DRIVERS_DIR = "drivers"
POLICIES_DIR = "policies"
DEFAULT_POLICY = "policies/default.yaml"


@dataclass
class Loaded:
    """Everything loaded from a set of files, with every problem found on the way."""

    drivers: list[Driver] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    documents: dict[str, Document] = field(default_factory=dict)


def relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def kind_of(relpath: str) -> str | None:
    """What a repository-relative path holds: driver, policy, fixture, or None."""
    parts = relpath.split("/")
    if not relpath.endswith((".yaml", ".yml")):
        return None
    if parts[0] == DRIVERS_DIR:
        return "driver"
    if parts[0] == POLICIES_DIR and len(parts) == 2:
        return "policy"
    if parts[0] == POLICIES_DIR and len(parts) == 3 and parts[1] == "tests":
        return "fixture"
    return None


def driver_files(root: Path) -> list[Path]:
    base = root / DRIVERS_DIR
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def expand(root: Path, paths: Sequence[str]) -> list[Path]:
    """Files named on the command line, relative to the repository (as `git -C` does);
    directories are walked. Missing paths are usage errors."""
    out: list[Path] = []
    for name in paths:
        path = Path(name) if Path(name).is_absolute() else root / name
        if not path.exists():
            raise UsageError(f"no such file or directory: {name}")
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            out.append(path)
    return out


def load_drivers(root: Path, files: Iterable[Path]) -> Loaded:
    loaded = Loaded()
    for path in files:
        rel = relative(root, path)
        loaded.files += 1
        doc, problems = read_document(path, rel)
        loaded.problems += problems
        if doc is None:
            continue
        loaded.documents[rel] = doc
        driver, problems = validate_driver(doc)
        loaded.problems += problems
        if driver is not None:
            loaded.drivers.append(driver)
    return loaded


def cross_file_problems(
    drivers: Sequence[Driver], documents: dict[str, Document], focus: set[str] | None = None
) -> list[Problem]:
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
        from checker.validate import field_name

        problems.append(
            Problem(driver.file, line, col, field_name(keypath), message, rule="cross-file")
        )

    by_id: dict[str, Driver] = {}
    by_path: dict[str, Driver] = {}
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


def _excluded(driver: Driver, pattern: str) -> bool:
    from checker.paths import pattern_covers

    return any(pattern_covers(ex, pattern) for ex in driver.exclude)


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


def all_files(root: Path) -> list[Path]:
    policies = root / POLICIES_DIR
    files = driver_files(root)
    if policies.is_dir():
        files += sorted(p for p in policies.glob("*.y*ml") if p.is_file())
        files += sorted(p for p in (policies / "tests").glob("*.y*ml") if p.is_file())
    return files


def load_workspace(root: Path, files: Sequence[Path] | None = None) -> Workspace:
    """Load and validate `files` (default: every file of the repository).

    The default policy is always loaded, since verdicts need it; cross-file rules are
    checked against every driver but reported only for the files asked about.
    """
    root = root.resolve()
    if not (root / DRIVERS_DIR).is_dir() and not (root / POLICIES_DIR).is_dir():
        raise UsageError(
            f"{root} has no drivers/ or policies/ directory; "
            "run inside a policy repository or pass -C DIR"
        )
    targets = all_files(root) if files is None else list(files)
    by_kind: dict[str, list[Path]] = {"driver": [], "policy": [], "fixture": []}
    for path in targets:
        rel = relative(root, path)
        kind = kind_of(rel)
        if kind is None:
            raise UsageError(
                f"{rel}: not a driver (drivers/**/*.yaml), policy "
                "(policies/*.yaml) or policy fixture (policies/tests/*.yaml)"
            )
        by_kind[kind].append(path)
    loaded = load_drivers(root, by_kind["driver"])
    problems = list(loaded.problems)
    documents = dict(loaded.documents)

    policy: Policy | None = None
    policy_paths = by_kind["policy"]
    default = root / DEFAULT_POLICY
    read = len(targets)
    if default.is_file() and default not in policy_paths:
        policy_paths = [default, *policy_paths]
        read += 1
    for path in policy_paths:
        rel = relative(root, path)
        doc, found = read_document(path, rel)
        if doc is not None:
            documents[rel] = doc
            candidate, found = validate_policy(doc)
            if rel == DEFAULT_POLICY:
                policy = candidate
        problems += found
    if not default.is_file():
        problems.append(
            Problem(DEFAULT_POLICY, 1, 1, "", "the default policy file is missing", rule="policy")
        )

    fixtures: list[Fixture] = []
    for path in by_kind["fixture"]:
        rel = relative(root, path)
        doc, found = read_document(path, rel)
        if doc is not None:
            documents[rel] = doc
            fixture, found = validate_fixture(doc)
            if fixture is not None:
                fixtures.append(fixture)
        problems += found

    every = loaded.drivers
    focus: set[str] | None = None
    if files is not None and by_kind["driver"]:
        focus = {relative(root, p) for p in by_kind["driver"]}
        others = [p for p in driver_files(root) if relative(root, p) not in focus]
        every = every + load_drivers(root, others).drivers
    if files is None or by_kind["driver"]:
        problems += cross_file_problems(every, documents, focus)
    return Workspace(root, loaded.drivers, policy, fixtures, sorted(set(problems)), read, documents)
