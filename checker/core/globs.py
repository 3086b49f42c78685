"""Many glob components side by side (the children of one directory in a path trie),
and the ones that can match a name, found without testing every glob.

A MAINTAINERS file of 12,000 sections with wildcard patterns (`F: drivers/*x123/`) put
12,000 globs under one node of checker.core.paths.PathIndex: each new one was compared
with every earlier one (quadratic), and every file of the tree was tested against every
one. Here each glob is filed under a necessary condition of its match, read from its
literal characters (fnmatch's reading: `*`, `?` and a closed `[...]` are not literal):

- its literal prefix (a name must start with it), else
- its literal suffix (a name must end with it), else
- its longest literal run (a name must contain it), else
- nothing (`*?`, `[ab]*`): tested for every name.

`matching(name)` looks each of the name's prefixes, suffixes and (for the run lengths
filed) substrings up in a dictionary, and tests only the globs found there. A name is
at most 255 characters (NAME_MAX), so that costs at most a few thousand lookups however
many globs there are; with few globs every one is simply tested.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Target = TypeVar("Target")

SMALL = 64  # up to this many globs, testing each costs no more than looking names up


def literal_runs(part: str) -> tuple[list[tuple[int, str]], int]:
    """The runs of literal characters of a glob component, each as (the index of its
    first token, its text), and the number of tokens; a token is `*`, `?`, a `[...]`
    class or one literal character (an unclosed `[` is one, as fnmatch reads it)."""
    runs: list[tuple[int, str]] = []
    current: list[str] = []
    start = token = 0
    index, size = 0, len(part)
    while index < size:
        char = part[index]
        index += 1
        literal = char not in "*?["
        if char == "[":
            end = index
            if end < size and part[end] == "!":
                end += 1
            if end < size and part[end] == "]":
                end += 1
            while end < size and part[end] != "]":
                end += 1
            if end >= size:
                literal = True  # unclosed: a literal `[`
            else:
                index = end + 1
        if literal:
            if not current:
                start = token
            current.append(char)
        elif current:
            runs.append((start, "".join(current)))
            current = []
        token += 1
    if current:
        runs.append((start, "".join(current)))
    return runs, token



class GlobIndex(Generic[Target]):
    """Glob components and a target for each, looked up by name. A glob's test is made
    by `compile` when it is first a candidate: most never are."""

    def __init__(self, compile: Callable[[str], Callable[[str], bool]]) -> None:
        self.by_text: dict[str, Target] = {}
        self._compile = compile
        self._tests: dict[str, Callable[[str], bool]] = {}
        self._filed: tuple[dict[str, list[str]], ...] = ({}, {}, {})  # prefix, suffix, inside
        self._sizes: tuple[set[int], set[int], set[int]] = (set(), set(), set())
        self._rest: list[str] = []
        # while there are few, each with its test: the caller may test them itself
        self.few: list[tuple[Callable[[str], bool], Target]] | None = []

    def __len__(self) -> int:
        return len(self.by_text)

    def add(self, part: str, target: Target) -> None:
        """File glob `part` (not yet filed) with its target."""
        self.by_text[part] = target
        if self.few is not None:
            self.few = [*self.few, (self._compile(part), target)] \
                if len(self.by_text) <= SMALL else None
        runs, tokens = literal_runs(part)
        if not runs:
            self._rest.append(part)
            return
        if runs[0][0] == 0:
            where, text = 0, runs[0][1]
        elif runs[-1][0] + len(runs[-1][1]) == tokens:
            where, text = 1, runs[-1][1]
        else:
            where, text = 2, max((text for _, text in runs), key=len)
        self._filed[where].setdefault(text, []).append(part)
        self._sizes[where].add(len(text))

    def _matches(self, part: str, name: str) -> bool:
        test = self._tests.get(part)
        if test is None:
            test = self._tests[part] = self._compile(part)
        return test(name)

    def matching(self, name: str) -> list[Target]:
        """The targets of the globs that match `name`, each once, in no set order."""
        if self.few is not None:
            return [target for test, target in self.few if test(name)]
        found: list[str] = []
        size = len(name)
        prefixed, suffixed, inside = self._filed
        for length in self._sizes[0]:
            found += prefixed.get(name[:length], ()) if length <= size else ()
        for length in self._sizes[1]:
            found += suffixed.get(name[size - length:], ()) if length <= size else ()
        for length in self._sizes[2]:
            for text in {name[i:i + length] for i in range(size - length + 1)}:
                found += inside.get(text, ())
        found += self._rest
        return [self.by_text[part] for part in found if self._matches(part, name)]
