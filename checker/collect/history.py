"""One pass over git history for every driver at once.

A cheap `git log` (no line counts) lists the commits once, and finds mechanical
series, reverts and sweeps in the same pass (series.py, reverts.py, sweeps.py). The
rest are cut into runs; each run is one `git log --no-walk --stdin` over exactly its
commits, with a few literal path prefixes (so that git skips commits no driver can
claim) and the whole commit's file list (`--full-diff`, so that the `max_files` rule
sees the whole commit), streamed and parsed as it arrives. Each changed file is
matched to the drivers that claim it with a `PathIndex` (a trie: cost by path depth,
not by number of drivers), and per-driver counters are updated. Nothing per commit
is kept: memory is bounded by drivers x months plus distinct authors and a cache of
path -> owners. Every commit is in exactly one run, so the sums do not depend on how
many runs or processes there are. Commits before the window that the listing could not
settle (sweeps.py) are walked the same way, with `--name-status` (no line counts), for
first/last commit dates.

Commits that are not work on a driver (a sweep across many directories, found by the
listing's paths: sweeps.py, and never walked; reverts and what they undo or redo,
found by the listing: reverts.py) count only for its first commit's date. The
window's commits walked before the listing is over are counted once it is
(settle()), when it is known which are left out.

Semantics (documented in docs/collect.md):
- dates are committer dates (what `--since`/`--until` filter on), bucketed in UTC;
- a commit's diff is against its first parent, rename detection (`-M`) across the
  whole commit, so a file moved into a driver counts as a rename, not as additions;
  both sides of a rename count as touched;
- binary files count as touched with 0 lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from checker.collect.activity import Activity, count
from checker.collect.gitrepo import Kernel, utc_day
from checker.collect.reverts import RevertFinder
from checker.collect.rules import CollectRules
from checker.collect.series import SeriesFinder
from checker.collect.sweeps import SweepFinder, listed_commits
from checker.core.errors import CheckerError
from checker.core.paths import PathSpec

PROGRESS_EVERY = 1000
CACHE_LIMIT = 400_000
MAX_PATHSPECS = 200
RENAME_LIMIT = 1000  # git's default diff.renameLimit, fixed so that config cannot change it

Progress = Callable[[int], None]

# A commit walked before the listing was over (series and reverts not yet known), to
# be counted by settle(): its id, committer time, author, month, whether a rule calls
# it mechanical, whether its slice counts, and per driver touched [added, removed].
Pending = tuple[str, int, str, str, bool, bool, tuple[tuple[str, list[int]], ...]]


@dataclass(frozen=True)
class Slice:
    """Commits with committer time in [since, until); `counting` walks with line counts."""

    since: int | None
    until: int
    counting: bool


@dataclass(frozen=True)
class Task:
    """Everything one worker needs; plain data so that it pickles to a subprocess."""

    repo: Kernel
    sha: str
    slice: Slice
    pathspecs: tuple[str, ...]
    specs: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    rules: CollectRules
    mailmap_blob: str  # REV:.mailmap (see run._mailmap_blob)
    revs: tuple[str, ...]  # exactly these commits are walked (`--no-walk`)
    # those in a series, and those left out (reverts.py); series None: neither is known
    # yet (the listing is not over), and every commit is left to settle()
    series: frozenset[str] | None = frozenset()
    excluded: frozenset[str] = frozenset()


@dataclass
class Listing:
    """Non-merge commits reachable from REV, newest first: the window's, and those before
    it; and those of them that belong to a mechanical series."""

    window: list[str] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    total: int = 0
    series: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()  # reverts and what they undo or redo
    handed: int = 0  # window[:handed] went to `early` while the listing went on
    # the window's calendar months (UTC year, month) in which the tree has a commit that
    # is not a sweep: how finely its history can tell a dormant driver from a live one
    months: set[tuple[int, int]] = field(default_factory=set)


def list_history(repo: Any, sha: str, start: int, end: int,
                 finder: SeriesFinder | None = None,
                 mailmap_blob: str | None = None,
                 early: Callable[[list[str]], None] | None = None,
                 reverts: RevertFinder | None = None,
                 sweeps: SweepFinder | None = None) -> Listing:
    """One cheap walk (no diffs): `git log --no-merges --format=%ct %H ... REV`.

    Commits with committer time in [start, end) are the window's, older ones are the
    history before it (for first/last commit dates), newer ones are ignored. Every
    commit is listed once, so that runs of them can be walked at once without overlap.
    With a `finder`, the same pass gives it every commit's author (after the `.mailmap`
    at `mailmap_blob`, as the walk sees them) and subject, and the listing names the
    commits of series; with `reverts`, every commit's subject and body, and the
    listing names the reverts and what they undo or redo (all history, newer than the
    window too: a later revert undoes a commit of the window).

    With `sweeps`, the same pass lists every commit's changed paths (`--name-only
    --no-renames`: tree diffs, no file read), and the finder knows the sweeps
    (sweeps.py), which the walks then leave out.

    git lists newest first, so the window's commits come before the older history:
    when the first commit older than the window is listed, `early` is given the window's
    commits listed so far (listing.handed of them), so that they can be walked while the
    rest is listed (their series are not known yet: see settle()).
    """
    from checker.collect.gitrepo import Stream

    series = finder is not None and finder.enabled
    paths = sweeps is not None and sweeps.enabled
    if paths:  # the author's name too: the listing counts the history before the window
        form = "%x01%ct %H%x1f%aN%x1f%aE%x1f%s" + ("%x1f%b" if reverts is not None else "")
        pattern = _PATHS_REVERT_RECORD if reverts is not None else _PATHS_RECORD
    else:
        form = "%ct %H%x1f%aE%x1f%s%x1f%b" if reverts is not None else \
            "%ct %H%x1f%aE%x1f%s" if series else "%ct %H"
        pattern = _REVERT_RECORD if reverts is not None else \
            _SERIES_RECORD if series else _RECORD
    options = [f"mailmap.blob={mailmap_blob}"] if mailmap_blob else []
    diff = ["--name-only", "--no-renames", "--no-relative"] if paths else []
    stream = Stream(repo, "log", ["--no-merges", "-z", "--no-color", "--no-show-signature",
                                  "--no-notes", *diff, f"--format={form}", sha, "--"],
                    config=options)
    listing = Listing()
    window, before = listing.window, listing.before

    def add(stamp: int, commit: str, email: bytes, subject: bytes, body: bytes) -> None:
        if finder is not None and series:
            finder.add(stamp, commit, email, subject)
        if reverts is not None:
            reverts.add(commit, subject, body)
        if stamp < end:
            if stamp >= start:
                window.append(commit)
                if not (paths and sweeps is not None and commit in sweeps.found):
                    day = utc_day(stamp)
                    listing.months.add((day.year, day.month))
            else:
                before.append(commit)
                if early is not None and not listing.handed and window:
                    listing.handed = len(window)
                    early(list(window))
        listing.total += 1

    def parse(data: bytes) -> None:
        for record in pattern.finditer(data):
            fields = (*record.groups(), b"", b"", b"")  # "%ct %H" has no email ...
            add(int(fields[0]), fields[1].decode(), fields[2], fields[3], fields[4])

    leftover = b""
    try:
        if sweeps is not None and paths:
            for header, names in listed_commits(stream.chunks()):
                record = pattern.match(header)
                if record is None:
                    raise CheckerError("git log printed a commit collect cannot read: "
                                       f"{header[:80]!r}")
                stamp, commit = int(record[1]), record[2].decode()
                name, email, subject, body = record.group(3, 4, 5, 6)
                # before add(): the window's commits handed to `early` are known
                sweeps.add(stamp, commit, name, email, subject, names)
                add(stamp, commit, email, subject, body or b"")
        else:
            for chunk in stream.chunks():
                data = leftover + chunk
                cut = data.rfind(b"\0")  # records before it are whole; the NUL starts the next
                if cut > 0:
                    parse(data[:cut])
                    data = data[cut:]
                leftover = data
        stream.finish()
    except BaseException:
        stream.kill()
        raise
    parse(leftover)
    if finder is not None:
        listing.series = finder.series()
    if reverts is not None:
        listing.excluded = reverts.excluded(window + before)
    return listing


# One listed commit, "%ct %H" and for series "\x1f%aE\x1f%s"; -z ends records with NUL.
_RECORD = re.compile(rb"(?:\A|\0)\n?(-?[0-9]+) ([0-9a-f]+)\n?(?=\0|\Z)")
_SERIES_RECORD = re.compile(rb"(?:\A|\0)\n?(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\0]*)")
_REVERT_RECORD = re.compile(
    rb"(?:\A|\0)\n?(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\0]*)")
# With paths (sweeps.listed_commits gives the header alone): "%ct %H\x1f%aN\x1f%aE\x1f%s"
# and for reverts "\x1f%b".
_PATHS_RECORD = re.compile(
    rb"(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\0]*)()")
_PATHS_REVERT_RECORD = re.compile(
    rb"(-?[0-9]+) ([0-9a-f]+)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\x1f\0]*)\x1f([^\0]*)")


def pathspecs_for(specs: Iterable[PathSpec], limit: int = MAX_PATHSPECS) -> tuple[str, ...]:
    """Literal path prefixes that cover every include pattern (empty: the whole tree).

    git's own filter then skips commits that touch no driver at all; exact matching is
    done here. Prefixes are shortened until there are at most `limit` of them.
    """
    prefixes: set[tuple[str, ...]] = set()
    for spec in specs:
        for pattern in spec.include_patterns:
            literal: list[str] = []
            for part in pattern.parts:
                if any(char in part for char in "*?["):
                    break
                literal.append(part)
            if not literal:
                return ()
            prefixes.add(tuple(literal))
    depth = max((len(prefix) for prefix in prefixes), default=0)
    while True:
        reduced = _drop_nested({prefix[:depth] for prefix in prefixes})
        if len(reduced) <= limit or depth <= 1:
            break
        depth -= 1
    return tuple(":(literal)" + "/".join(prefix) for prefix in sorted(reduced))


def _drop_nested(prefixes: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The prefixes that are not below another one."""
    kept: set[tuple[str, ...]] = set()
    for prefix in sorted(prefixes, key=len):
        if not any(prefix[:size] in kept for size in range(1, len(prefix))):
            kept.add(prefix)
    return sorted(kept)


def log_args(task: Task) -> list[str]:
    window = task.slice
    args = [
        "--stdin",
        "--no-merges",
        "--full-diff",
        "-M",
        f"-l{RENAME_LIMIT}",
        "-z",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-relative",
        "--no-show-signature",
        "--no-notes",
        "--no-follow",
        "--numstat" if window.counting else "--name-status",
        "--format=%x01%H%x1f%ct%x1f%aN%x1f%aE%x1f%s",
    ]
    args.append("--no-walk=unsorted")  # exactly the listed commits, in that order
    args.append("--")
    args.extend(task.pathspecs)
    return args


def iter_commits(chunks: Iterable[bytes], counting: bool
                 ) -> Iterator[tuple[bytes, list[tuple[bytes, bytes, bytes, bytes | None]]]]:
    """Parse `git log -z --format=%x01... --numstat|--name-status` output.

    Yields (header, files) where files are (added, removed, path, old_path); for
    --name-status, added and removed are b"0".
    """
    header: bytes | None = None
    files: list[tuple[bytes, bytes, bytes, bytes | None]] = []
    leftover = b""
    state = 0  # 0: any token; 1: rename source expected; 2: rename target expected
    stat_a = stat_r = b"0"
    old: bytes = b""
    for chunk in chunks:
        data = leftover + chunk if leftover else chunk
        tokens = data.split(b"\0")
        leftover = tokens.pop()
        for token in tokens:
            if state == 0:
                if token[:1] == b"\n":
                    token = token[1:]
                if token[:1] == b"\x01":
                    if header is not None:
                        yield header, files
                    header, files = token[1:], []
                elif not token:
                    continue
                elif counting:
                    stat_a, stat_r, path = token.split(b"\t", 2)
                    if path:
                        files.append((stat_a, stat_r, path, None))
                    else:
                        state = 1
                else:
                    letter = token[:1]
                    stat_a = stat_r = b"0"
                    state = 1 if letter in (b"R", b"C") else 3
            elif state == 1:
                old, state = token, 2
            elif state == 2:
                files.append((stat_a, stat_r, token, old))
                state = 0
            else:  # state 3: the one path of a name-status entry
                files.append((b"0", b"0", token, None))
                state = 0
    if leftover.strip(b"\n"):
        raise ValueError("git log output ended in the middle of a record")
    if header is not None:
        yield header, files


def settle(totals: dict[str, Activity], pending: Iterable[Pending],
           series: frozenset[str], excluded: frozenset[str] = frozenset()) -> None:
    """Count the commits walked before the listing was over, now that their series and
    reverts are known: what Walker.add would have counted had it known (the sums do not
    depend on when). Their first commit dates were counted when they were walked."""
    for sha, stamp, author, month, mechanical, counting, touched in pending:
        if sha not in excluded:
            count(totals, stamp, author, month, touched, mechanical or sha in series,
                  counting)
