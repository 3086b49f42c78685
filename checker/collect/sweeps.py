"""What the listing's paths settle before any walk: sweeps, and more that is not walked.

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
directories, and the drivers touched, are the same. With the paths at hand, the
listing also settles, without a walk:

- a commit that touches no driver (git's path prefixes are coarser than the drivers'
  patterns): the walk would have found nothing in it;
- a commit before the window that changes at most `collect.mechanical.max_files`
  files: it gives only first, last and last substantive commit dates, which need the
  drivers it touches and whether a rule calls it mechanical, all known here (with
  `-M`, the walk's count of its files is at most the listing's: at most max_files
  either way). A larger one is walked, where `-M` counts a rename as one file.

Each sweep's drivers get its date as a first-commit candidate (activity.touch), and
each settled commit of the history before the window is counted once the series and
reverts are known (SweepFinder.settle), as the walk would have counted them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from checker.collect.activity import Activity, count, merge_into, touch
from checker.collect.rules import CollectRules

Owners = Callable[[bytes], tuple[str, ...]]


class SweepFinder:
    """Fed every listed commit's changed paths; knows the sweeps and what they touched,
    and the commits that need no walk."""

    def __init__(self, rules: CollectRules, owners: Owners, start: int, end: int) -> None:
        self.rules = rules
        self.limit = rules.sweep_directories
        self.owners = owners
        # the owners' own cache when they have one (walker.Owners): most paths are in it
        self.known: dict[bytes, tuple[str, ...]] = getattr(owners, "cache", {})
        self.start = start  # the window's first second: older commits are `before` it
        self.end = end  # commits at or after it are not the drivers' history
        self.found: set[str] = set()  # the sweeps
        self.skipped: set[str] = set()  # never walked: sweeps and what is settled here
        self.activity: dict[str, Activity] = {}  # the sweeps' first commit dates
        # before the window, settled here: (id, time, mechanical by a rule, drivers)
        self.earlier: list[tuple[str, int, bool, tuple[str, ...]]] = []
        self.touching = 0  # commits settled here that touched a driver

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def add(self, stamp: int, sha: str, name: bytes, email: bytes, subject: bytes,
            names: bytes) -> None:
        """One listed commit: `names` is git's `-z --name-only` list of its paths (each
        but the last ended by NUL, the first after a newline)."""
        if stamp >= self.end:
            return  # not walked, whatever it is
        paths = names.split(b"\0") if names else []
        if paths and paths[0][:1] == b"\n":  # only the one newline git puts there: a
            paths[0] = paths[0][1:]           # name may begin with one
        sweep = len(paths) > self.limit and self.rules.is_sweep(paths)
        if sweep:
            self.found.add(sha)
        elif stamp >= self.start or len(paths) > self.rules.max_files:
            if not self._touches(paths):
                self.skipped.add(sha)  # no driver's: nothing to walk
            return  # the walk counts it
        touched = self._owners(paths)
        self.skipped.add(sha)
        if not touched:
            return
        self.touching += 1
        if sweep:
            touch(self.activity, stamp, touched)
            return
        mechanical = self.rules.is_mechanical(
            subject.decode("utf-8", "replace"), name.decode("utf-8", "replace"),
            email.decode("utf-8", "replace"), len(paths))
        self.earlier.append((sha, stamp, mechanical, touched))

    def _lookup(self, path: bytes) -> tuple[str, ...]:
        found = self.known.get(path)
        return self.owners(path) if found is None else found

    def _owners(self, paths: list[bytes]) -> tuple[str, ...]:
        return tuple(sorted({owner for path in paths for owner in self._lookup(path)}))

    def _touches(self, paths: list[bytes]) -> bool:
        return any(self._lookup(path) for path in paths)

    def settle(self, totals: dict[str, Activity], series: frozenset[str],
               excluded: frozenset[str]) -> None:
        """Add what was settled here to the walks' totals, now that the series and the
        reverts are known (what the walk of the history before the window would have
        counted: dates only)."""
        merge_into(totals, self.activity)
        for sha, stamp, mechanical, touched in self.earlier:
            if sha in excluded:
                touch(totals, stamp, touched)
            else:
                count(totals, stamp, "", "", ((owner, [0, 0]) for owner in touched),
                      mechanical or sha in series, False)


# One commit of a listing whose format begins with %x01: its header (up to the first
# NUL) and, after it, its paths.
_BOUNDARY = b"\0\x01"


def listed_commits(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(header, names) for each commit of `git log -z --name-only --format=%x01...`:
    the header is what the format printed (without the %x01), names the paths' part,
    NUL between paths (empty for a commit that changes nothing)."""
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
        yield header, names[:-1] if names[-1:] == b"\0" else names  # the stream's end
