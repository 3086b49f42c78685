"""Many glob components, found by name without testing each (checker/core/globs.py)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.core.globs import SMALL, GlobIndex, literal_runs

PIECES = ["a", "b", "x1", ".c", "*", "?", "[ab]", "[!a]", "[", "]", "[]a]", "!", "-"]
glob = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
name = st.lists(st.sampled_from(["a", "b", "x", "1", ".", "c", "[", "]", "!", "-"]),
                min_size=1, max_size=8).map("".join)


def _test(part: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(part), re.DOTALL)


@settings(max_examples=40, deadline=None)  # more: tests/test_fuzz.py maintainers_sections
@given(st.lists(glob, min_size=SMALL + 1, max_size=SMALL + 40, unique=True),
       st.lists(name, max_size=20))
def test_matching_finds_exactly_the_globs_that_match(parts: list[str], names: list[str]) -> None:
    index: GlobIndex[str] = GlobIndex(lambda part: _test(part).match)  # type: ignore[arg-type,return-value]
    for part in parts:
        index.add(part, part)
    for text in names:
        found = list(index.matching(text))
        assert sorted(found) == sorted(p for p in parts if _test(p).match(text)), text
        assert len(found) == len(set(found))


def test_literal_runs_read_globs_as_fnmatch_does() -> None:
    assert literal_runs("ab*cd?e") == ([(0, "ab"), (3, "cd"), (6, "e")], 7)
    assert literal_runs("[ab]x") == ([(1, "x")], 2)
    assert literal_runs("a[b") == ([(0, "a[b")], 3)  # unclosed: literal
    assert literal_runs("*") == ([], 1)
    assert literal_runs("[]a]*z") == ([(2, "z")], 3)


def test_twelve_thousand_globs_are_filed_in_linear_time() -> None:
    """Issue 23: each new glob was compared with every earlier one, and every name
    tested against all: 12,000 MAINTAINERS sections took minutes."""
    from conftest import hang_guard

    calls = 0

    def counted(part: str) -> Callable[[str], bool]:
        regex = _test(part)

        def test(text: str) -> bool:
            nonlocal calls
            calls += 1
            return regex.match(text) is not None
        return test

    index: GlobIndex[int] = GlobIndex(counted)
    with hang_guard():
        for i in range(12_000):
            for part in (f"*x{i}", f"y{i}*", f"*z{i}*"):
                index.add(part, i)
        assert sorted(index.matching("abcx123")) == [123]
        assert sorted(index.matching("y77end")) == [7, 77]
        assert sorted(index.matching("az9b")) == [9]
    assert calls < 20  # the work done: the candidates tested, not 36,000 globs
