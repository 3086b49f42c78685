"""Kernel path patterns with MAINTAINERS `F:`/`X:` semantics.

A pattern is a `/`-separated path relative to the kernel tree:

- a trailing `/` names a directory: every file in it and below it matches
  (`drivers/net/` matches `drivers/net/a.c` and `drivers/net/phy/b.c`);
- a pattern without glob characters matches the file of that name, or, if it names a
  directory, everything below it (`drivers/infiniband/ulp/ipoib` matches
  `drivers/infiniband/ulp/ipoib/ipoib_main.c`), as `get_maintainer.pl` does when the
  pattern names a directory; no file system is consulted, so `a/b` means "the file
  `a/b` or anything under the directory `a/b`";
- `*`, `?` and `[...]` match within one path component (never across `/`); a pattern
  with glob characters and no trailing `/` matches files at exactly its depth
  (`drivers/net/*` matches `drivers/net/a.c`, not `drivers/net/phy/b.c`).

`PathSpec` combines include patterns with exclude patterns (exclusions win, as `X:`
does). `PathIndex` answers "which drivers claim this file?" for many specs at once
with a trie, at a cost proportional to the depth of the path, not to the number of
drivers. `pattern_covers` and `patterns_overlap` reason about patterns without a tree
(for cross-file validation): `pattern_covers` is conservative (it may answer False for
a pair that does cover, never True for one that does not); `patterns_overlap` is exact
for the pattern language above.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from checker.core.globs import GlobIndex

GLOB_CHARS = frozenset("*?[")

__all__ = [
    "PathIndex",
    "PathSpec",
    "Pattern",
    "parse_pattern",
    "pattern_covers",
    "patterns_overlap",
]


def _has_glob(text: str) -> bool:
    return any(char in GLOB_CHARS for char in text)


@dataclass(frozen=True)
class Pattern:
    """One parsed pattern: components plus which depths of file it can match.

    The set of files matched is: files with exactly `len(parts)` components when
    `exact` (each component matching the pattern's), plus files with more components
    when `deeper` (the first `len(parts)` matching).
    """

    text: str
    parts: tuple[str, ...]
    exact: bool
    deeper: bool

    @property
    def is_glob(self) -> bool:
        return any(_has_glob(part) for part in self.parts)

    def matches(self, file: str) -> bool:
        return self.matches_parts(tuple(file.split("/")))

    def matches_parts(self, parts: Sequence[str]) -> bool:
        depth = len(self.parts)
        if len(parts) == depth:
            if not self.exact:
                return False
        elif len(parts) < depth or not self.deeper:
            return False
        pairs = zip(self.parts, parts, strict=False)
        return all(_component_matcher(mine)(theirs) for mine, theirs in pairs)


NAME_MAX = 255  # the longest file name Linux (and git on it) allows


@lru_cache(maxsize=4096)
def parse_pattern(text: str) -> Pattern:
    """Parse one pattern; raise ValueError for one that cannot name a kernel file."""
    original = text
    stripped = text.strip()
    while stripped.startswith("./"):
        stripped = stripped[2:]
    if not stripped or stripped.startswith("/"):
        raise ValueError(f"path pattern {original!r} must be a relative path inside the tree")
    trailing = stripped.endswith("/")
    parts = tuple(part for part in stripped.split("/") if part)
    if not parts or any(part in (".", "..") for part in parts):
        raise ValueError(f"path pattern {original!r} must name files inside the tree")
    if any(len(part) > NAME_MAX for part in parts):
        raise ValueError(f"path pattern {original[:40]!r}... has a component longer than "
                         f"{NAME_MAX} characters, which no file name can be")
    if trailing:
        return Pattern(original, parts, exact=False, deeper=True)
    if any(_has_glob(part) for part in parts):
        return Pattern(original, parts, exact=True, deeper=False)
    return Pattern(original, parts, exact=True, deeper=True)


@lru_cache(maxsize=8192)
def _component_matcher(part: str) -> Callable[[str], bool]:
    if not _has_glob(part):
        return part.__eq__
    if part.strip("*") == "":
        return bool  # any non-empty component
    regex = re.compile(fnmatch.translate(part), re.DOTALL)
    return lambda name: regex.match(name) is not None


@dataclass(frozen=True)
class PathSpec:
    """Include patterns minus exclude patterns, as a driver's `paths` names them."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    _include: tuple[Pattern, ...] = field(init=False, repr=False, compare=False)
    _exclude: tuple[Pattern, ...] = field(init=False, repr=False, compare=False)

    def __init__(self, include: Iterable[str], exclude: Iterable[str] = ()) -> None:
        inc = tuple(include)
        exc = tuple(exclude)
        object.__setattr__(self, "include", inc)
        object.__setattr__(self, "exclude", exc)
        object.__setattr__(self, "_include", tuple(parse_pattern(p) for p in inc))
        object.__setattr__(self, "_exclude", tuple(parse_pattern(p) for p in exc))

    @property
    def include_patterns(self) -> tuple[Pattern, ...]:
        return self._include

    @property
    def exclude_patterns(self) -> tuple[Pattern, ...]:
        return self._exclude

    def matches(self, file: str) -> bool:
        parts = tuple(part for part in file.split("/") if part)
        if not parts:
            return False
        if any(pattern.matches_parts(parts) for pattern in self._exclude):
            return False
        return any(pattern.matches_parts(parts) for pattern in self._include)


# ---------------------------------------------------------------------------------
# Reasoning about patterns without a tree.

_STAR = "*"
# Characters a path component can hold, for testing whether two character classes
# share a member: printable ASCII except `/`, plus one stand-in for everything else.
_UNIVERSE = (*tuple(chr(code) for code in range(32, 127) if chr(code) != "/"), "é")


@dataclass(frozen=True)
class _CharToken:
    """One character position of a glob: a literal, `?`, or a `[...]` class."""

    literal: str | None
    test: Callable[[str], bool]

    def intersects(self, other: _CharToken) -> bool:
        if self.literal is not None:
            return other.test(self.literal)
        if other.literal is not None:
            return self.test(other.literal)
        return any(self.test(char) and other.test(char) for char in _UNIVERSE)

    def within(self, other: _CharToken) -> bool:
        """Conservative: every character this token matches, `other` matches too."""
        if self.literal is not None:
            return other.test(self.literal)
        if other.literal is not None:
            return False
        return all(other.test(char) for char in _UNIVERSE if self.test(char))


_Token = _CharToken | str  # str is only ever _STAR


def _regex_test(regex: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda char: regex.match(char) is not None


@lru_cache(maxsize=4096)
def _tokens(part: str) -> tuple[_Token, ...]:
    """Split one component into glob tokens, with fnmatch's reading of `[`."""
    tokens: list[_Token] = []
    index, size = 0, len(part)
    while index < size:
        char = part[index]
        index += 1
        if char == "*":
            if not tokens or tokens[-1] != _STAR:
                tokens.append(_STAR)
        elif char == "?":
            tokens.append(_CharToken(None, lambda c: True))
        elif char == "[":
            end = index
            if end < size and part[end] == "!":
                end += 1
            if end < size and part[end] == "]":
                end += 1
            while end < size and part[end] != "]":
                end += 1
            if end >= size:
                tokens.append(_CharToken("[", "[".__eq__))
            else:
                regex = re.compile(fnmatch.translate(part[index - 1 : end + 1]), re.DOTALL)
                tokens.append(_CharToken(None, _regex_test(regex)))
                index = end + 1
        else:
            tokens.append(_CharToken(char, char.__eq__))
    return tuple(tokens)


def _component_intersects(a: str, b: str) -> bool:
    """Whether some non-empty component matches both glob components."""
    if not _has_glob(a):
        return _component_matcher(b)(a)
    if not _has_glob(b):
        return _component_matcher(a)(b)
    left, right = _tokens(a), _tokens(b)
    n, m = len(left), len(right)
    # meet[i][j]: the rest of both token lists from i and j match a common string.
    # Filled from the ends backwards, without recursion (a pattern is data: a deep
    # recursion on a long one crashed), in time n * m.
    below = [False] * (m + 1)  # row i + 1
    for i in range(n, -1, -1):
        row = [False] * (m + 1)
        for j in range(m, -1, -1):
            if i == n and j == m:
                row[j] = True
            elif i < n and left[i] == _STAR:
                row[j] = below[j] or (j < m and row[j + 1])
            elif j < m and right[j] == _STAR:
                row[j] = row[j + 1] or (i < n and below[j])
            elif i == n or j == m:
                row[j] = False
            else:
                mine, theirs = left[i], right[j]
                assert isinstance(mine, _CharToken) and isinstance(theirs, _CharToken)
                row[j] = below[j + 1] and mine.intersects(theirs)
        below = row
    # Both all-star patterns meet in any non-empty name; otherwise a shared string
    # exists, and an empty one only when both can be empty, i.e. both all stars.
    return below[0]


def _component_within(inner: str, outer: str) -> bool:
    """Conservative: every name `inner` matches is matched by `outer`."""
    if inner == outer or outer.strip("*") == "":
        return True
    if not _has_glob(inner):
        return _component_matcher(outer)(inner)
    small, big = _tokens(inner), _tokens(outer)
    if _STAR not in big:
        return (
            _STAR not in small
            and len(small) == len(big)
            and all(
                isinstance(s, _CharToken) and isinstance(b, _CharToken) and s.within(b)
                for s, b in zip(small, big, strict=False)
            )
        )
    if big.count(_STAR) == 1:
        star = big.index(_STAR)
        head, tail = big[:star], big[star + 1 :]
        if len(small) < len(head) + len(tail):
            return False
        small_head = small[: len(head)]
        small_tail = small[len(small) - len(tail) :] if tail else ()
        return all(
            isinstance(s, _CharToken) and isinstance(b, _CharToken) and s.within(b)
            for s, b in zip(small_head + small_tail, head + tail, strict=False)
        )
    return False


def pattern_covers(outer: str, inner: str) -> bool:
    """Whether every file `inner` can match is also matched by `outer` (conservative)."""
    big, small = parse_pattern(outer), parse_pattern(inner)
    n_big, n_small = len(big.parts), len(small.parts)

    def prefix_within(count: int) -> bool:
        return all(_component_within(small.parts[i], big.parts[i]) for i in range(count))

    if small.exact:
        if (n_small == n_big and big.exact) or (n_small > n_big and big.deeper):
            ok = prefix_within(n_big)
        else:
            ok = False
        if not ok:
            return False
    return not (small.deeper and not (big.deeper and n_big <= n_small and prefix_within(n_big)))


def patterns_overlap(a: str, b: str) -> bool:
    """Whether some file path is matched by both patterns."""
    left, right = parse_pattern(a), parse_pattern(b)
    n_left, n_right = len(left.parts), len(right.parts)
    shared = min(n_left, n_right)
    if not all(_component_intersects(left.parts[i], right.parts[i]) for i in range(shared)):
        return False

    def depth_ok(pattern: Pattern, depth: int) -> bool:
        size = len(pattern.parts)
        return (depth == size and pattern.exact) or (depth > size and pattern.deeper)

    top = max(n_left, n_right)
    return any(depth_ok(left, d) and depth_ok(right, d) for d in (top, top + 1))


# ---------------------------------------------------------------------------------
# Many specs at once.


class _Node:
    __slots__ = ("deeper", "exact", "globs", "literal")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        # glob children, filed so that a name finds the ones that can match it without
        # testing each (checker.core.globs): 12,000 were quadratic
        self.globs: GlobIndex[_Node] | None = None
        # (owner, is_exclude) pairs: files strictly below this node / ending at it.
        self.deeper: list[tuple[str, bool]] = []
        self.exact: list[tuple[str, bool]] = []

    def child(self, part: str) -> _Node:
        if not _has_glob(part):
            node = self.literal.get(part)
            if node is None:
                node = self.literal[part] = _Node()
            return node
        if self.globs is None:
            self.globs = GlobIndex(_component_matcher)
        node = self.globs.by_text.get(part)
        if node is None:
            node = _Node()
            self.globs.add(part, node)
        return node


class PathIndex:
    """A trie over many drivers' path specs: `owners(file)` lists who claims a file."""

    def __init__(self, specs: Iterable[tuple[str, PathSpec]] = ()) -> None:
        self._root = _Node()
        self._ids: set[str] = set()
        for owner, spec in specs:
            self.add(owner, spec)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, owner: str, spec: PathSpec) -> None:
        self._ids.add(owner)
        for patterns, is_exclude in ((spec.include_patterns, False),
                                     (spec.exclude_patterns, True)):
            for pattern in patterns:
                node = self._root
                for part in pattern.parts:
                    node = node.child(part)
                entry = (owner, is_exclude)
                if pattern.deeper and entry not in node.deeper:
                    node.deeper.append(entry)
                if pattern.exact and entry not in node.exact:
                    node.exact.append(entry)

    def may_cover(self, pattern: str) -> set[str]:
        """Every owner with an include pattern that may cover `pattern` (pattern_covers):
        a superset, found along the pattern's components, never every owner in turn."""
        parts = parse_pattern(pattern).parts
        found: set[str] = set()
        frontier = [self._root]
        for part in parts:
            following: list[_Node] = []
            for node in frontier:
                literal = node.literal.get(part)
                if literal is not None:
                    following.append(literal)
                if node.globs is None:
                    continue
                if _has_glob(part):  # a glob is covered only by itself or by a glob
                    following += node.globs.by_text.values()
                else:
                    following += node.globs.matching(part)
            frontier = following
            for node in frontier:
                found.update(owner for owner, is_exclude in (*node.exact, *node.deeper)
                             if not is_exclude)
        return found

    def owners(self, file: str) -> list[str]:
        """Sorted ids of the drivers whose spec matches `file`."""
        parts = [part for part in file.split("/") if part]
        if not parts:
            return []
        included: set[str] = set()
        excluded: set[str] = set()

        def take(entries: list[tuple[str, bool]]) -> None:
            for owner, is_exclude in entries:
                (excluded if is_exclude else included).add(owner)

        frontier = [self._root]
        for part in parts:
            following: list[_Node] = []
            for node in frontier:
                if node.deeper:
                    take(node.deeper)
                found = node.literal.get(part)
                if found is not None:
                    following.append(found)
                globs = node.globs
                if globs is None:
                    continue
                if globs.few is not None:  # the common case, inline: this loop is hot
                    for test, glob_node in globs.few:
                        if test(part):
                            following.append(glob_node)
                else:
                    following += globs.matching(part)
            frontier = following
            if not frontier:
                break
        else:
            for node in frontier:
                if node.exact:
                    take(node.exact)
        if not included:
            return []
        return sorted(included - excluded)
