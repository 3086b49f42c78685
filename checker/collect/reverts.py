"""Reverts, the commits they revert and their re-applies, found while history is listed.

A revert undoes work and a re-apply redoes it: none of them, nor the commit a revert
undid, is work on a driver (`collect.exclude_reverts`; checker/collect/rules.py).
The listing of history (history.list_history: one `git log`, newest first, over the
history reachable from REV, nothing after it) gives each commit's id, subject and
body to a RevertFinder. Left out are:

- every *revert*: a commit whose subject is `Revert "S"` or `Reapply "S"` (what `git
  revert` writes; reverting a revert gives `Revert "Revert "S""` or `Reapply "S"`), or
  whose body says `This reverts commit ID` (what `git revert` writes, kept when the
  subject is reworded);
- the commit each revert undid: the one its body names (an abbreviated id names the
  one listed commit it begins), else the nearest older commit whose subject is S (for
  `Reapply "S"`: `Revert "S"`);
- the re-apply of each revert `Revert "S"`: the nearest newer commit whose subject is
  S again (the same change made again; a second `Reapply` is a revert itself).

"Nearest" is in git's listing order (newest first, by committer date). Everything
depends only on the history up to REV, not on when a commit is walked.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

# `Revert "S"` / `Reapply "S"`: S is what is between the first and the last quote.
_QUOTED = re.compile(rb'(Revert|Reapply) "(.*)"')
_REFERENCE = re.compile(rb"This reverts commit ([0-9a-f]{7,64})")


class RevertFinder:
    """Fed every listed commit, newest first; `excluded()` gives the commits above."""

    def __init__(self) -> None:
        self.found: set[str] = set()
        self.references: list[str] = []  # ids named by revert bodies, perhaps abbreviated
        self.wanted: dict[bytes, int] = {}  # subject -> reverts still looking for it
        self.newer: dict[bytes, str] = {}  # subject -> the last listed commit with it

    def add(self, sha: str, subject: bytes, body: bytes) -> None:
        subject = subject.strip()
        waiting = self.wanted.get(subject)
        if waiting:  # the nearest older commit with a subject some revert names
            self.found.add(sha)
            if waiting == 1:
                del self.wanted[subject]
            else:
                self.wanted[subject] = waiting - 1
        quoted = _QUOTED.fullmatch(subject)
        reference = _REFERENCE.search(body) if b"reverts commit" in body else None
        if quoted is not None or reference is not None:
            self.found.add(sha)
        if reference is not None:
            self.references.append(reference.group(1).decode())
        if quoted is not None:
            target = quoted.group(2) if quoted.group(1) == b"Revert" \
                else b'Revert "' + quoted.group(2) + b'"'
            if reference is None:
                self.wanted[target] = self.wanted.get(target, 0) + 1
            again = self.newer.get(target)
            if again is not None:  # the nearest newer commit with the reverted subject
                self.found.add(again)
        self.newer[subject] = sha

    def excluded(self, listed: Iterable[str]) -> frozenset[str]:
        """The commits left out, once every commit has been listed (`listed`: all of
        them, for the ids revert bodies abbreviate)."""
        found = set(self.found)
        short = [ref for ref in self.references if len(ref) not in (40, 64)]
        found.update(ref for ref in self.references if len(ref) in (40, 64))
        if short:
            ids = sorted(listed)
            for prefix in short:
                at = bisect.bisect_left(ids, prefix)
                matches = ids[at:at + 2]
                if len(matches) >= 1 and matches[0].startswith(prefix) and not (
                        len(matches) == 2 and matches[1].startswith(prefix)):
                    found.add(matches[0])
        return frozenset(found)
