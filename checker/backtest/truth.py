"""Ground truth: which units upstream removed between OLD and NEW.

A unit present at OLD is *removed* when, at NEW,

1. none of the files it had at OLD exists any more;
2. none of them left by a rename to a path outside the unit that survives (git's
   rename detection, `-M`, over the whole commit; renames are followed, so a file
   moved in a reorganisation and deleted later under its new name was deleted): a
   move, or a fold into another driver, carries the code on, so it is not a removal;
3. most of its files (at least half) were deleted in commits whose subject matches
   one of the policy's `backtest.removal_patterns` (the commit that deleted the most
   of them is reported as the removal).

Everything is read from git objects (`git ls-tree`, `git log`): no checkout needed.
Only commits reachable from NEW and not from OLD are read (`OLD..NEW`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from checker.collect.gitrepo import Stream
from checker.collect.history import RENAME_LIMIT, iter_commits
from checker.collect.tree import list_tree
from checker.core.paths import PathSpec


@dataclass(frozen=True)
class Removal:
    """The commit that removed a unit."""

    commit: str
    day: date
    subject: str
    files: int  # of the unit's files at OLD that this commit deleted


@dataclass(frozen=True)
class Fate:
    """What happened to one path between OLD and NEW (the newest event wins)."""

    commit: str
    stamp: int
    subject: str
    renamed_to: str | None  # None: deleted


def tree_paths(repo: Any, sha: str) -> list[str]:
    """Every file of the tree at `sha` (blobs and links, not submodules)."""
    return [entry.path for entry in list_tree(repo, sha) if entry.kind == "blob"]


def fates(repo: Any, old: str, new: str, rename_limit: int = RENAME_LIMIT,
          pathspecs: Sequence[str] = ()) -> dict[str, Fate]:
    """Every path deleted or renamed away in OLD..NEW -> its last such event. Past
    `rename_limit` files added or deleted in one commit, git finds only exact renames
    (a release-to-release commit needs a larger limit: the policy's
    `backtest.rename_limit`). With `pathspecs`, only those paths are read (renames are
    then found between them only)."""
    args = ["--no-merges", "-M", f"-l{rename_limit}", "--diff-filter=DR", "-z", "--no-color",
            "--no-ext-diff", "--no-textconv", "--no-relative", "--no-show-signature",
            "--no-notes", "--name-status", "--format=%x01%H%x1f%ct%x1f%s",
            f"{old}..{new}", "--", *pathspecs]
    stream = Stream(repo, "log", args)
    found: dict[str, Fate] = {}
    try:
        for header, files in iter_commits(stream.chunks(), counting=False):
            sha_b, stamp_b, subject_b = header.split(b"\x1f", 2)
            sha, stamp = sha_b.decode(), int(stamp_b)
            subject = subject_b.decode("utf-8", "replace").strip()
            for _a, _r, path_b, old_b in files:
                path = path_b.decode("utf-8", "surrogateescape")
                if old_b is None:
                    leaving, target = path, None
                else:
                    leaving, target = old_b.decode("utf-8", "surrogateescape"), path
                known = found.get(leaving)
                if known is None or stamp > known.stamp:
                    found[leaving] = Fate(sha, stamp, subject, target)
        stream.finish()
    except BaseException:
        stream.kill()
        raise
    return found


def final_fate(events: Mapping[str, Fate], path: str) -> Fate | None:
    """A path's last event, following renames: a file moved in a reorganisation and
    deleted later under its new name was deleted (a rename chain never loops, since
    each step is later than the one before)."""
    fate = events.get(path)
    while fate is not None and fate.renamed_to is not None:
        after = events.get(fate.renamed_to)
        if after is None or after.stamp < fate.stamp:
            break
        fate = after
    return fate


def removed_units(
    claimed: Mapping[str, Sequence[str]],
    specs: Mapping[str, PathSpec],
    at_new: set[str],
    events: Mapping[str, Fate],
    patterns: Sequence[re.Pattern[str]],
) -> dict[str, Removal]:
    """The units (id -> files at OLD) that were removed, with the removing commit."""
    result: dict[str, Removal] = {}
    for unit, files in claimed.items():
        if not files or any(path in at_new for path in files):
            continue
        spec = specs[unit]
        by_commit: dict[str, tuple[int, Fate]] = {}
        moved_out = False
        for path in files:
            fate = final_fate(events, path)
            if fate is None:
                continue
            if fate.renamed_to is not None:
                if not spec.matches(fate.renamed_to):
                    moved_out = True
                continue
            if any(p.search(fate.subject) for p in patterns):
                count, _ = by_commit.get(fate.commit, (0, fate))
                by_commit[fate.commit] = (count + 1, fate)
        matched = sum(count for count, _ in by_commit.values())
        if moved_out or not by_commit or 2 * matched < len(files):
            continue
        count, fate = max(by_commit.values(), key=lambda item: (item[0], item[1].stamp))
        result[unit] = Removal(fate.commit, datetime.fromtimestamp(fate.stamp, UTC).date(),
                               fate.subject, count)
    return result
