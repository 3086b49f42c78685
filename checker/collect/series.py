"""Series of mechanical commits split across subsystems, found while history is listed.

A tree-wide clean-up is often sent as one commit per subsystem, each small enough to
pass the `max_files` rule: "net/foo: use new API", "net/bar: use new API", ... Such a
*series* is recognised by its shape, with the policy's numbers
(`collect.mechanical.series`): one author, the same subject once the subsystem tags
are stripped ("net/foo: ", "scsi: lpfc: "), on at least `min_commits` commits with
distinct tags within `within_days` days. Every commit of a series is mechanical.

The listing of history (history.list_history: one cheap `git log`, no diffs, over
the history reachable from REV) gives every commit's author, date and subject to a
SeriesFinder; nothing after REV is read.
"""

from __future__ import annotations

import re
from collections import defaultdict

from checker.collect.rules import CollectRules

MAX_TAG = 64  # a subsystem tag is short and has no space: "net/mlx5", "ARM", "dts"


# Leading "tag: " groups; a tag has no space and no colon, so the match is linear.
_TAGS = re.compile(rf"(?:[^\s:]{{1,{MAX_TAG}}}: +)+")


def split_subject(subject: str) -> tuple[str, str]:
    """("net/foo", "use new api") from "net/foo: Use new API." (tags, normalised rest)."""
    subject = subject.strip()
    match = _TAGS.match(subject)
    if match is None:
        tags, rest = "", subject
    else:
        tags = ":".join(part.strip() for part in match.group().split(": ") if part.strip())
        rest = subject[match.end():]
    return tags, " ".join(rest.lower().split()).rstrip(".")


class SeriesFinder:
    """Collects commits (time, id, author email, subject) and finds the series among them."""

    def __init__(self, rules: CollectRules) -> None:
        self.min_commits = rules.series_min_commits
        self.within = rules.series_within_days * 86400
        self.groups: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)

    @property
    def enabled(self) -> bool:
        return self.min_commits >= 2

    def add(self, stamp: int, sha: str, email: bytes, subject: bytes) -> None:
        tag, text = split_subject(subject.decode("utf-8", "replace"))
        if tag and text:
            self.groups[(email.decode("utf-8", "replace").lower(), text)].append(
                (stamp, sha, tag))

    def series(self) -> frozenset[str]:
        """The commits (full hex) that belong to a series."""
        if not self.enabled:
            return frozenset()
        return frozenset(series_of(self.groups, self.min_commits, self.within))


def series_of(groups: dict[tuple[str, str], list[tuple[int, str, str]]], min_commits: int,
              within: int) -> set[str]:
    """Commits of every run, within `within` seconds, of at least `min_commits` commits
    of one group with as many distinct tags (two pointers over the sorted times)."""
    found: set[str] = set()
    for commits in groups.values():
        if len(commits) < min_commits:
            continue
        commits.sort()
        start = 0
        for end in range(len(commits)):
            while commits[end][0] - commits[start][0] > within:
                start += 1
            run = commits[start:end + 1]
            if len({tag for _, _, tag in run}) >= min_commits:
                found.update(sha for _, sha, _ in run)
    return found
