"""Small real git repositories for collect tests, built with `git fast-import`.

`History` records commits (files written or deleted, renames, merges, exact author
and committer dates) and imports them in one go. The oracle functions compute
signals with plain git commands, one `git log` per driver and independent path
matching, to check the implementation against.
"""

from __future__ import annotations

import calendar
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "HOME": "/nonexistent",
    "LC_ALL": "C",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, input=input,
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def stamp(when: str) -> int:
    """'2023-05-01' or '2023-05-01T12:00:00' (UTC) -> seconds."""
    if "T" not in when:
        when += "T12:00:00"
    return calendar.timegm(datetime.fromisoformat(when).timetuple())


@dataclass
class History:
    path: Path
    branches: dict[str, int | None] = field(default_factory=dict)
    _stream: list[bytes] = field(default_factory=list)
    _mark: int = 0

    def __post_init__(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        git(self.path, "init", "-q", "-b", "main")

    def commit(self, when: str, subject: str, files: Mapping[str, str | bytes | None] = {},
               renames: Sequence[tuple[str, str]] = (), author: tuple[str, str] = (
                   "Ann Author", "ann@example.org"), branch: str = "main",
               merge: str | None = None, committed: str | None = None,
               start_from: str | None = None, links: Mapping[str, str] = {}) -> int:
        """One commit; `files` maps path -> new content (None deletes), `links` path ->
        the commit a submodule (gitlink) points to."""
        self._mark += 1
        mark = self._mark
        author_ts = stamp(when)
        committer_ts = stamp(committed) if committed else author_ts
        name, email = author
        out = [f"commit refs/heads/{branch}\n", f"mark :{mark}\n",
               f"author {name} <{email}> {author_ts} +0000\n",
               f"committer {name} <{email}> {committer_ts} +0000\n"]
        message = subject.encode() + b"\n"
        out.append(f"data {len(message)}\n")
        head = b"".join(x.encode() for x in out) + message
        parent = self.branches.get(branch)
        if parent is None and start_from is not None:
            parent = self.branches[start_from]
        if parent is not None:
            head += f"from :{parent}\n".encode()
        if merge is not None:
            head += f"merge :{self.branches[merge]}\n".encode()
        for old, new in renames:
            head += f'R "{old}" "{new}"\n'.encode()
        for file_path, content in files.items():
            if content is None:
                head += f"D {file_path}\n".encode()
            else:
                data = content.encode() if isinstance(content, str) else content
                head += f"M 100644 inline {file_path}\ndata {len(data)}\n".encode() + data + b"\n"
        for file_path, target in links.items():
            head += f"M 160000 {target} {file_path}\n".encode()
        self._stream.append(head + b"\n")
        self.branches[branch] = mark
        return mark

    def build(self) -> str:
        stream = b"".join(self._stream) + b"done\n"
        git(self.path, "fast-import", "--quiet", "--done", input=stream)
        self._stream.clear()
        git(self.path, "checkout", "-q", "-f", "main")
        return git(self.path, "rev-parse", "HEAD").strip()


def lines(count: int, tag: str = "x") -> str:
    return "".join(f"{tag} {i}\n" for i in range(count))


# ---------------------------------------------------------------------------------
# The oracle: plain git, one command per driver, path matching written separately.


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """MAINTAINERS F: semantics, independently of checker.core.paths."""
    trailing = pattern.endswith("/")
    parts = [p for p in pattern.strip("/").split("/") if p]
    globbing = any(ch in pattern for ch in "*?[")
    body = "/".join(_glob_regex(p) for p in parts)
    if trailing:
        return re.compile(f"^{body}/.+$")
    if globbing:
        return re.compile(f"^{body}$")
    return re.compile(f"^{body}(/.+)?$")


def _glob_regex(part: str) -> str:
    out, i = [], 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in part[i + 2:]:
            end = part.index("]", i + 2)
            inner = part[i + 1:end]
            out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def claims(include: Iterable[str], exclude: Iterable[str], path: str) -> bool:
    if any(pattern_regex(p).match(path) for p in exclude):
        return False
    return any(pattern_regex(p).match(path) for p in include)


def _literal_roots(include: Iterable[str]) -> list[str]:
    roots = []
    for pattern in include:
        parts = []
        for part in pattern.strip("/").split("/"):
            if any(ch in part for ch in "*?["):
                break
            parts.append(part)
        roots.append("/".join(parts) or ".")
    return roots


@dataclass
class OracleSignals:
    commits: int = 0
    substantive: int = 0
    mechanical: int = 0
    added: int = 0
    removed: int = 0
    authors: set[str] = field(default_factory=set)
    monthly: dict[str, list[int]] = field(default_factory=dict)
    first: date | None = None
    last: date | None = None
    last_substantive: date | None = None
    files: int = 0
    source_lines: int = 0


def oracle(repo: Path, rev: str, include: Sequence[str], exclude: Sequence[str],
           start: date, end: date, rules: Any) -> OracleSignals:
    """Signals for one driver from `git log -- <its roots>` over all history, filtered
    in Python (dates, paths, mechanical rules)."""
    result = OracleSignals()
    lo = calendar.timegm(start.timetuple())
    hi = calendar.timegm(end.timetuple()) + 86400
    out = git(repo, "log", "--no-merges", "--full-diff", "-M", "--numstat",
              "--format=@@%H %ct", rev, "--", *_literal_roots(include))
    commits: list[tuple[str, int, list[tuple[str, str, list[str]]]]] = []
    for line in out.splitlines():
        if line.startswith("@@"):
            sha, ct = line[2:].split()
            commits.append((sha, int(ct), []))
        elif line.strip():
            added, removed, name = line.split("\t", 2)
            commits[-1][2].append((added, removed, _rename_sides(name)))
    left_out = _reverts(repo, rev) if getattr(rules, "exclude_reverts", False) else set()
    limit = getattr(rules, "sweep_directories", 0)
    for sha, ct, files in commits:
        mine = [(a, r) for a, r, sides in files
                if any(claims(include, exclude, side) for side in sides)]
        if not mine or ct >= hi:
            continue
        day = datetime.fromtimestamp(ct, UTC).date()
        result.first = day if result.first is None else min(result.first, day)
        if sha in left_out or (limit and _directories(repo, sha) > limit):
            continue  # not work: only the first commit counts it
        mechanical, email = _commit_facts(repo, sha, rules)
        result.last = day if result.last is None else max(result.last, day)
        if not mechanical:
            result.last_substantive = day if result.last_substantive is None else max(
                result.last_substantive, day)
        if ct < lo:
            continue
        added = sum(int(a) for a, _ in mine if a != "-")
        removed = sum(int(r) for _, r in mine if r != "-")
        result.commits += 1
        result.mechanical += mechanical
        result.substantive += not mechanical
        result.added += added
        result.removed += removed
        result.authors.add(email.lower())
        bucket = result.monthly.setdefault(day.strftime("%Y-%m"), [0, 0, 0])
        bucket[0] += 1
        bucket[1] += added
        bucket[2] += removed
    for path in git(repo, "ls-tree", "-r", "--name-only", rev).splitlines():
        if claims(include, exclude, path):
            result.files += 1
            if path.endswith(tuple(rules.source_extensions)):
                text = git(repo, "show", f"{rev}:{path}")
                result.source_lines += len(text.splitlines())
    return result


_FACTS: dict[tuple[str, str], tuple[bool, str]] = {}


def _commit_facts(repo: Path, sha: str, rules: Any) -> tuple[bool, str]:
    """(mechanical?, mailmapped e-mail) from diff-tree, show and check-mailmap."""
    key = (str(repo), sha)
    if key not in _FACTS:
        count = len(git(repo, "diff-tree", "--root", "--no-commit-id", "-r", "-M", "--name-only",
                        sha).splitlines())
        raw_name, raw_email, subject = git(repo, "show", "-s", "--format=%an%x00%ae%x00%s",
                                           sha).rstrip("\n").split("\0")
        mapped = git(repo, "check-mailmap", f"{raw_name} <{raw_email}>").strip()
        name, email = mapped.rsplit(" <", 1)
        email = email.rstrip(">")
        _FACTS[key] = (rules.mechanical_reason(subject, name, email, count) is not None, email)
    return _FACTS[key]


def _directories(repo: Path, sha: str) -> int:
    """How many directories the commit's changed paths (both sides of renames) lie in."""
    out = git(repo, "diff-tree", "--root", "--no-commit-id", "-r", "-M", "--name-status", sha)
    paths = [part for line in out.splitlines() for part in line.split("\t")[1:]]
    return len({path.rpartition("/")[0] + "/" if "/" in path else "" for path in paths})


def _reverts(repo: Path, rev: str) -> set[str]:
    """Reverts, what they revert and their re-applies (checker/collect/reverts.py), from
    the listing read as a whole: each revert takes the nearest older commit with the
    subject it names that no newer revert took (or the one its body names, resolved
    by git), and the nearest newer commit with that subject is its re-apply."""
    out = git(repo, "log", "--no-merges", "--format=%H%x00%s%x00%b%x01", rev)
    listing = [record.strip("\n").split("\0") for record in out.split("\x01")
               if record.strip("\n")]
    found: set[str] = set()
    taken: set[int] = set()
    for at, (sha, subject, body) in enumerate(listing):
        match = re.fullmatch(r'(Revert|Reapply) "(.*)"', subject.strip())
        named = re.search(r"This reverts commit ([0-9a-f]{7,64})", body)
        if not match and not named:
            continue
        found.add(sha)
        if named:
            done = subprocess.run(["git", "rev-parse", "--verify", "--quiet",
                                   f"{named.group(1)}^{{commit}}"], cwd=repo, env=GIT_ENV,
                                  capture_output=True, check=False)
            if done.returncode == 0:
                found.add(done.stdout.decode().strip())
        if match:
            target = match.group(2) if match.group(1) == "Revert" else f'Revert "{match.group(2)}"'
            if not named:
                for later in range(at + 1, len(listing)):
                    if later not in taken and listing[later][1].strip() == target:
                        taken.add(later)
                        found.add(listing[later][0])
                        break
            for newer in range(at - 1, -1, -1):
                if listing[newer][1].strip() == target:
                    found.add(listing[newer][0])
                    break
    return found


def _rename_sides(name: str) -> list[str]:
    """numstat's `a/{b => c}/d` or `b => c` -> [old, new]; a plain path -> [path]."""
    if " => " not in name:
        return [name]
    match = re.match(r"^(.*)\{(.*) => (.*)\}(.*)$", name)
    if match:
        head, old, new, tail = match.groups()
        return [re.sub("//+", "/", head + old + tail), re.sub("//+", "/", head + new + tail)]
    old, new = name.split(" => ")
    return [old, new]


POLICY: dict[str, Any] = {
    "window": {"months": 12},
    "collect": {
        "mechanical": {
            "max_files": 5,
            "subject_patterns": ["^treewide:", "(?i)\\bspelling\\b"],
            "bot_authors": ["(?i)\\bbot\\b", "noreply@"],
        },
        "source_extensions": [".c", ".h"],
    },
}
