"""When did each of the tree's shipped configurations last change (usage's upkeep)?

A driver that only dormant boards build is going the way of those boards: barebox
removed its NETX, s3c and ep93xx drivers with the platforms whose defconfigs nobody
had touched in years. So for every configuration file of the tree, `last_changes`
finds the newest commit in the window (at or before REV, at or after the window's
start) that changed it, with one `git log --name-only` limited to the directories
that hold configurations.

A commit that changes more than `collect.config_refresh_files` configurations at once
is a tree-wide refresh (`savedefconfig` over every board, a symbol renamed in all of
them): it says nothing about any one board and is not counted.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from checker.collect.gitrepo import Repo, Stream

_RECORD = b"\x01"


def last_changes(repo: Repo, sha: str, paths: Iterable[str], since: int, until: int,
                 refresh_files: int) -> dict[str, int]:
    """Configuration path -> committer time of the newest commit in [since, until) that
    changed it and at most `refresh_files` configurations; paths never so changed in
    the window are absent."""
    wanted = set(paths)
    if not wanted or refresh_files < 1:
        return {}
    directories = sorted({posixpath.dirname(p) or "." for p in wanted})
    stream = Stream(repo, "log", [
        "--no-merges", "-z", "--no-color", "--no-renames", "--name-only",
        "--format=%x01%ct", f"--max-age={since}", sha, "--",
        *(f":(literal){d}" for d in directories)])
    found: dict[str, int] = {}
    pending = b""
    try:
        for chunk in stream.chunks():
            records = (pending + chunk).split(_RECORD)
            pending = records.pop()
            for record in records:
                _take(record, wanted, found, until, refresh_files)
        _take(pending, wanted, found, until, refresh_files)
        stream.finish()
    except BaseException:
        stream.kill()
        raise
    return found


def _take(record: bytes, wanted: set[str], found: dict[str, int], until: int,
          refresh_files: int) -> None:
    """One commit's record: `%ct`, then its paths, separated by NULs and newlines (a
    path holding one is split and matches no configuration: it is not counted)."""
    words = [w for w in record.replace(b"\n", b"\0").split(b"\0") if w]
    if not words or not words[0].isdigit():
        return
    stamp = int(words[0])
    if stamp >= until:
        return
    changed = [p for p in (w.decode("utf-8", "surrogateescape") for w in words[1:])
               if p in wanted]
    if not changed or len(changed) > refresh_files:
        return
    for path in changed:
        if found.get(path, -1) < stamp:
            found[path] = stamp
