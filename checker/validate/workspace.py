"""Find and load the repository's files (drivers/, policies/) from a source.

A source maps repository-relative paths to bytes: the working tree (DiskSource) or a
git commit (checker.load.gitsource.GitTreeSource), so `diff` and `history` load revisions
without a checkout. Loading gathers every problem of every file instead of stopping; the
cross-file rules are checker.validate.crossfile's, the claims store checker.validate.claims's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from checker.core.errors import Problem, UsageError
from checker.core.model import Driver
from checker.load.document import Document, parse_document
from checker.load.layout import DEFAULT_POLICY as DEFAULT_POLICY
from checker.load.layout import DRIVERS_DIR as DRIVERS_DIR
from checker.load.layout import POLICIES_DIR as POLICIES_DIR
from checker.load.layout import YAML_SUFFIXES as YAML_SUFFIXES
from checker.load.layout import DiskSource as DiskSource
from checker.load.layout import FileSource as FileSource
from checker.load.layout import expand as expand
from checker.load.layout import kind_of as kind_of
from checker.load.layout import relative as relative
from checker.load.layout import require_repository
from checker.validate.crossfile import Claimant as Claimant
from checker.validate.crossfile import cross_file_problems as cross_file_problems
from checker.validate.driver import validate_driver
from checker.validate.policy import Fixture, Policy, validate_fixture, validate_policy

if TYPE_CHECKING:
    import git

    from checker.load.gitsource import GitTreeSource


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
    raw, problems = _read_bytes(source, rel)
    return parse_document(raw, rel) if raw is not None else (None, problems)


def _read_bytes(source: FileSource, rel: str) -> tuple[bytes | None, list[Problem]]:
    try:
        return source.read(rel), []
    except OSError as exc:
        return None, [Problem(rel, 1, 1, "", f"cannot read file: {exc.strerror or exc}", rule="io")]


def load_workspace(root: Path, files: Sequence[str] | None = None) -> Workspace:
    """Load the working tree at `root` (see build_workspace).

    When only some files are asked about, the other drivers' claims for the cross-file
    rules come from the claims store (checker.validate.claims), for the drivers that could
    conflict with them (the pre-commit case).
    """
    root = root.resolve()
    require_repository(root)
    disk = DiskSource(root)

    def claims(
        source: FileSource, rels: Sequence[str], focus: Sequence[Claimant]
    ) -> list[Claimant]:
        from checker.validate.claims import other_claims

        return other_claims(root, rels, disk.signatures, focus, source.read)

    def policy(source: FileSource, rel: str) -> tuple[Policy | None, list[Problem],
                                                      Document | None]:
        return remembered_policy(root, source, rel)

    return build_workspace(disk, root, files, claims, policy)


def remembered_policy(root: Path, source: FileSource, rel: str
                      ) -> tuple[Policy | None, list[Problem], Document | None]:
    """The default policy, validated, from the cache when its bytes are those of the last
    valid one seen under this code (then without its Document: locating in it is only
    for its problems, and it has none); else read and validated, and remembered if
    valid."""
    from checker.load.cache import LastValue, digest_bytes

    raw, problems = _read_bytes(source, rel)
    if raw is None:
        return None, problems, None
    memo = LastValue(root, "policy")
    key = digest_bytes(raw)
    found = memo.get(key)
    if isinstance(found, Policy):
        return found, [], None
    doc, problems = parse_document(raw, rel)
    if doc is None:
        return None, problems, None
    policy, problems = validate_policy(doc)
    if policy is not None and not problems:
        memo.put(key, policy)
    return policy, problems, doc


# (source, the default policy's path) -> (the policy, its problems, its Document if read)
PolicyOf = Callable[[FileSource, str], "tuple[Policy | None, list[Problem], Document | None]"]


# (source, other driver files, the drivers checked) -> claims of the other drivers: at
# least those that could conflict with the drivers checked
ClaimsOf = Callable[[FileSource, Sequence[str], Sequence[Claimant]], "list[Claimant]"]


def build_workspace(
    source: FileSource,
    root: Path,
    files: Sequence[str] | None = None,
    claims_of: ClaimsOf | None = None,
    policy_of: PolicyOf | None = None,
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
        if rel == DEFAULT_POLICY and rel not in by_kind["policy"] and policy_of is not None:
            # loaded for the verdicts, not asked about: its problems are still reported
            candidate, found, doc = policy_of(source, rel)
            if doc is not None:
                documents[rel] = doc
            policy = candidate
            problems += found
            continue
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
            # kind_of(rel) == "driver", as one comprehension (9,800 paths for Linux)
            prefix = DRIVERS_DIR + "/"
            others = [rel for rel in every_path if rel.startswith(prefix)
                      and rel.endswith(YAML_SUFFIXES) and rel not in focus]
            every += (claims_of or _valid_drivers)(source, others, drivers)
            # in file order, as a check of every file sees them (the first of two ids
            # that differ in case is the one left alone)
            every.sort(key=_by_file)

        def locate(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
            doc = documents.get(file)
            return doc.locate(keypath) if doc is not None else (1, 1)

        problems += cross_file_problems(every, locate, focus)
    return Workspace(root, drivers, policy, fixtures, sorted(set(problems)), read, documents)


def document_locator(workspace: Workspace) -> Callable[[str, KeyPathArg], tuple[int, int]]:
    """(file, keypath) -> (line, col) for the files of `workspace`, reading any other."""
    from checker.load.document import read_document

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


def _by_file(driver: Claimant) -> str:
    return driver.file


def _valid_drivers(
    source: FileSource, rels: Sequence[str], _focus: Sequence[Claimant] = ()
) -> list[Claimant]:
    out: list[Claimant] = []
    for rel in rels:
        doc, found = _read(source, rel)
        if doc is not None and not found:
            driver, _ = validate_driver(doc)
            if driver is not None:
                out.append(driver)
    return out


def driver_files(root: Path) -> list[Path]:
    """Every driver file of the working tree at `root`."""
    source = DiskSource(root)
    return [source.root / rel for rel in source.paths() if kind_of(rel) == "driver"]


@dataclass(frozen=True)
class GitRepository:
    """An opened git repository and where the policy repository sits inside it."""

    repo: git.Repo
    root: Path  # the policy repository directory (what -C names)
    prefix: str  # root relative to the top of the work tree ("" at the top)

    def source(self, sha: str, only: Iterable[str] | None = None) -> GitTreeSource:
        from checker.load.gitsource import GitTreeSource

        return GitTreeSource(self.repo, sha, self.prefix, only)

    def workspace(self, sha: str) -> Workspace:
        """The repository at commit `sha`, loaded and validated like the working tree."""
        return build_workspace(self.source(sha), self.root)


def open_repository(root: Path) -> GitRepository:
    """The git repository holding `root`; a usage error when there is none."""
    import git
    from git.exc import InvalidGitRepositoryError, NoSuchPathError

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise UsageError(
            f"{root} is not inside a git repository (diff, history and impact read "
            "revisions from git)"
        ) from None
    top = repo.working_tree_dir
    if top is None:  # a bare repository: the policy repository is its top
        return GitRepository(repo, root, "")
    try:
        prefix = root.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        prefix = ""
    return GitRepository(repo, root, "" if prefix == "." else prefix)
