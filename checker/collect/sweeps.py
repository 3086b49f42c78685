"""Sweeps, found while history is listed, so that no line of theirs is counted.

A *sweep* (`collect.sweep_directories`; checker/collect/rules.py) is a commit whose
changed paths lie in more directories than the policy allows: it is not work on any
driver it touches, and counts only for their first commit's date. Whether a commit is
one depends on the set of paths it changes, nothing else, so the listing of history
(history.list_history) asks git for each commit's changed paths (`--name-only
--no-renames`: tree diffs only, no file read) and a SweepFinder recognises the sweeps
there. They are then left out of the walks, where git would count the lines of every
file they change (`--numstat`, which reads both sides of each: on a tree's first
commit, every file of the tree), only to have the lines thrown away.

Without rename detection a rename is listed as the deletion of its old path and the
addition of its new one: both sides, as the walk (`-M`) counts them, so the
directories, and the drivers touched, are the same. Each sweep's drivers get its date
as a first-commit candidate here (history.touch), as the walk would have given it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from checker.collect.history import Activity, touch
from checker.collect.rules import CollectRules

Owners = Callable[[bytes], tuple[str, ...]]


class SweepFinder:
    """Fed every listed commit's changed paths; knows the sweeps and what they touched."""

    def __init__(self, rules: CollectRules, owners: Owners, end: int) -> None:
        self.rules = rules
        self.limit = rules.sweep_directories
        self.owners = owners
        self.end = end  # commits at or after it are not the drivers' history
        self.found: set[str] = set()
        self.activity: dict[str, Activity] = {}  # only first commit dates
        self.touching = 0  # sweeps before `end` that touched a driver

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def add(self, stamp: int, sha: str, names: bytes) -> None:
        """One listed commit: `names` is git's `-z --name-only` list of its paths (each
        ended by NUL, the first after a newline)."""
        if names.count(b"\0") <= self.limit:  # too few paths to lie in more directories
            return
        paths = [path for path in names.lstrip(b"\n").split(b"\0") if path]
        if not self.rules.is_sweep(paths):
            return
        self.found.add(sha)
        if stamp >= self.end:
            return
        owners = self.owners
        touched: set[str] = set()
        for path in paths:
            touched.update(owners(path))
        if touched:
            touch(self.activity, stamp, sorted(touched))
            self.touching += 1


# One commit of a listing whose format begins with %x01: its header (up to the first
# NUL) and, after it, its paths.
_BOUNDARY = b"\0\x01"


def listed_commits(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(header, names) for each commit of `git log -z --name-only --format=%x01...`:
    the header is what the format printed (without the %x01), names the paths' part
    (empty for a commit that changes nothing)."""
    leftover = b""
    for chunk in chunks:
        data = leftover + chunk if leftover else chunk
        cut = data.rfind(_BOUNDARY)
        if cut < 0:
            leftover = data
            continue
        yield from _records(data[:cut])
        leftover = data[cut + 1:]
    if leftover.strip(b"\0\n"):
        yield from _records(leftover)


def _records(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    for record in block.split(_BOUNDARY):
        if record[:1] == b"\x01":
            record = record[1:]
        header, _, names = record.partition(b"\0")
        yield header, names if names.endswith(b"\0") or not names else names + b"\0"

