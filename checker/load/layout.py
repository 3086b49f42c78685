"""Where things live in a policy repository, and reading its files from the working tree.

Kept free of heavy imports: a warm `check` needs only this to find what changed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from checker.core.errors import UsageError

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
        # rel -> stat signature (checker.load.cache.signature) of the files the last
        # paths() listed: what the cache compares with, without a second walk
        self.signatures: dict[str, Signature | None] = {}

    def paths(self) -> list[str]:
        listed = walk_stat(self.root, (DRIVERS_DIR, POLICIES_DIR), YAML_SUFFIXES)
        self.signatures = dict(listed)
        return [rel for rel, _ in listed]

    def read(self, rel: str) -> bytes:
        """Through the one door (checker.load.fsutil.read_file): no links, regular files only,
        the evidence size limit checked before reading."""
        from checker.load.document import MAX_BYTES
        from checker.load.fsutil import FileAccessError, read_file

        try:
            return read_file(self.root / rel, rel, root=self.root, limit=MAX_BYTES)
        except FileAccessError as exc:
            raise OSError(exc.reason.removeprefix("cannot read file: ")) from None


CARDS_DIR = "cards"
MANAGED_SUFFIXES = (".md", ".svg")  # files under cards/ that `render` owns
SCHEMA_FILES = {"driver": "schema/driver.schema.json", "policy": "schema/policy.schema.json"}


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


def managed_files(root: Path) -> list[str]:
    """The files under cards/ that `render` owns (Markdown and SVG), relative to root."""
    return walk(root, (CARDS_DIR,), MANAGED_SUFFIXES)


def walk(root: Path, tops: Sequence[str], suffixes: tuple[str, ...]) -> list[str]:
    """Sorted repository-relative paths of the files (or links) under `tops` with one of
    `suffixes`; a directory that cannot be listed is a FileAccessError."""
    return [rel for rel, _ in walk_stat(root, tops, suffixes)]


# (mode, inode, size, mtime ns, ctime ns) of a directory entry, not following a link
Signature = tuple[int, int, int, int, int]


def signature(st: os.stat_result) -> Signature:
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def walk_stat(
    root: Path, tops: Sequence[str], suffixes: tuple[str, ...]
) -> list[tuple[str, Signature | None]]:
    """`walk`, with each file's stat signature (None when it vanished meanwhile)."""
    from checker.load.fsutil import stat_files

    out: list[tuple[str, Signature | None]] = []
    for top in tops:  # a linked cards/ or drivers/ is not followed out of the repository
        out += stat_files(root, top, suffixes)
    out.sort()
    return out


def expand(root: Path, paths: Sequence[str]) -> list[str]:
    """Command-line paths, relative to the repository (as `git -C` does), as repository-
    relative paths; directories are walked. Missing or outside paths are usage errors."""
    out: list[str] = []
    for name in paths:
        path = Path(name) if Path(name).is_absolute() else root / name
        here = Path.cwd() / name  # run in a subdirectory, a path is relative to it (as git)
        if not Path(name).is_absolute() and here.exists() and Path.cwd().resolve() != root \
                and Path.cwd().resolve().is_relative_to(root):
            path = here
        if not path.exists():
            raise UsageError(f"no such file or directory: {name}")
        found = (
            sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for item in found:
            rel = relative(root, item)
            if rel.startswith("../") or Path(rel).is_absolute():
                raise UsageError(f"{name}: outside the repository {root}")
            out.append(rel)
    return out


def require_repository(root: Path) -> None:
    """A usage error unless `root` looks like a policy repository."""
    if not (root / DRIVERS_DIR).is_dir() and not (root / POLICIES_DIR).is_dir():
        raise UsageError(
            f"{root} has no drivers/ or policies/ directory; "
            "run inside a policy repository or pass -C DIR"
        )


DRIVER_FILE_RE = re.compile(r"^drivers/([^/]+)/([^/]+)\.yaml$")


def driver_id(relpath: str) -> str | None:
    match = DRIVER_FILE_RE.match(relpath)
    return f"{match.group(1)}/{match.group(2)}" if match else None
