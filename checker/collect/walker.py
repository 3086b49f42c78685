"""The walker: commits of one listing run -> per-driver activity, owners by path."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from checker.collect.activity import Activity, count, touch
from checker.collect.gitrepo import utc_day
from checker.collect.history import (
    CACHE_LIMIT,
    PROGRESS_EVERY,
    Pending,
    Progress,
    Slice,
    Task,
    iter_commits,
    log_args,
)
from checker.collect.rules import CollectRules
from checker.core.paths import PathIndex, PathSpec


class Owners:
    """path (bytes, as git prints it) -> the ids of the drivers that claim it, cached."""

    def __init__(self, specs: Sequence[tuple[str, PathSpec]]) -> None:
        self.index = PathIndex(specs)
        self.cache: dict[bytes, tuple[str, ...]] = {}

    def __call__(self, path: bytes) -> tuple[str, ...]:
        found = self.cache.get(path)
        if found is None:
            if len(self.cache) > CACHE_LIMIT:
                self.cache.clear()
            found = tuple(self.index.owners(path.decode("utf-8", "surrogateescape")))
            self.cache[path] = found
        return found


# A worker process runs several tasks with the same drivers: build the index once.
_OWNERS: tuple[int, Owners] | None = None


def owners_for(specs: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> Owners:
    global _OWNERS
    key = hash(specs)
    if _OWNERS is None or _OWNERS[0] != key:
        _OWNERS = (key, Owners([(owner, PathSpec(inc, exc)) for owner, inc, exc in specs]))
    return _OWNERS[1]


class Walker:
    """Accumulates commits into per-driver Activity for one slice."""

    def __init__(self, owners: Owners, rules: CollectRules, window: Slice,
                 series: frozenset[str] | None = frozenset(),
                 excluded: frozenset[str] = frozenset()) -> None:
        self.owners = owners
        self.series = series
        self.excluded = excluded
        self.rules = rules
        self.window = window
        self.activity: dict[str, Activity] = {}
        self.pending: list[Pending] = []
        self.commits_seen = 0
        self._months: dict[int, str] = {}

    def month(self, stamp: int) -> str:
        day = stamp // 86400
        key = self._months.get(day)
        if key is None:
            key = self._months[day] = utc_day(stamp).strftime("%Y-%m")
        return key

    def add(self, header: bytes, files: list[tuple[bytes, bytes, bytes, bytes | None]]) -> None:
        self.commits_seen += 1
        sha_b, stamp_text, name_b, email_b, subject_b = header.split(b"\x1f", 4)
        stamp = int(stamp_text)
        window = self.window
        if stamp >= window.until or (window.since is not None and stamp < window.since):
            return
        touched: dict[str, list[int]] = {}
        owners = self.owners
        for stat_a, stat_r, path, old in files:
            claim = owners(path)
            if old is not None:
                before = owners(old)
                if before and before != claim:
                    claim = tuple(sorted(set(claim) | set(before)))
            if not claim:
                continue
            added = int(stat_a) if stat_a != b"-" else 0
            removed = int(stat_r) if stat_r != b"-" else 0
            for owner in claim:
                counts = touched.get(owner)
                if counts is None:
                    touched[owner] = [added, removed]
                else:
                    counts[0] += added
                    counts[1] += removed
        if not touched:
            return
        rules = self.rules
        sha = sha_b.decode()
        name = name_b.decode("utf-8", "replace")
        email = email_b.decode("utf-8", "replace")
        subject = subject_b.decode("utf-8", "replace")
        mechanical = rules.is_mechanical(subject, name, email, len(files))
        author = email.lower() or name
        month = self.month(stamp) if window.counting else ""
        series = self.series
        if series is None:  # counted by settle() once the listing is over
            touch(self.activity, stamp, touched)
            self.pending.append((sha, stamp, author, month, mechanical, window.counting,
                                 tuple(touched.items())))
            return
        if sha in self.excluded:  # a revert, or what one undoes or redoes
            touch(self.activity, stamp, touched)
            return
        if not mechanical and series:
            mechanical = sha in series
        count(self.activity, stamp, author, month, touched.items(), mechanical,
              window.counting)


def feed_lines(stream: Any, lines: Sequence[str]) -> threading.Thread:
    """Write revisions to git's stdin from a thread (git reads them before it writes)."""

    def feed() -> None:
        try:
            stream.stdin.write("".join(f"{line}\n" for line in lines).encode())
            stream.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def run_task(task: Task, progress: Progress | None = None
             ) -> tuple[dict[str, Activity], int, list[Pending]]:
    """Walk one slice; return per-driver activity, the number of commits read, and the
    commits to count once the listing is over (task.series None; see settle())."""
    from checker.collect.gitrepo import Stream

    walker = Walker(owners_for(task.specs), task.rules, task.slice, task.series,
                    task.excluded)
    repo = task.repo
    options = [f"mailmap.blob={task.mailmap_blob}"]
    stream = Stream(repo, "log", log_args(task), stdin=True, config=options)
    feeder = feed_lines(stream, task.revs)
    reported = 0
    try:
        for header, files in iter_commits(stream.chunks(), task.slice.counting):
            walker.add(header, files)
            if progress is not None and walker.commits_seen - reported >= PROGRESS_EVERY:
                progress(walker.commits_seen - reported)
                reported = walker.commits_seen
        feeder.join()
        stream.finish()
    except BaseException:
        stream.kill()
        raise
    if progress is not None and walker.commits_seen > reported:
        progress(walker.commits_seen - reported)
    return walker.activity, walker.commits_seen, walker.pending
