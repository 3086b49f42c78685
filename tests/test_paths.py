"""checker.core.paths: MAINTAINERS F:/X: pattern semantics, covers/overlap, the trie index."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.core.paths import PathIndex, PathSpec, parse_pattern, pattern_covers, patterns_overlap

# (pattern, file, matches)
MATCH_CASES = [
    # trailing slash: the directory, recursively
    ("drivers/net/", "drivers/net/a.c", True),
    ("drivers/net/", "drivers/net/phy/b.c", True),
    ("drivers/net/", "drivers/net", False),
    ("drivers/net/", "drivers/netx/a.c", False),
    # no glob: the file itself, or everything under it if it is a directory
    ("drivers/infiniband/ulp/ipoib", "drivers/infiniband/ulp/ipoib/ipoib_main.c", True),
    ("drivers/infiniband/ulp/ipoib", "drivers/infiniband/ulp/ipoib", True),
    ("drivers/infiniband/ulp/ipoib", "drivers/infiniband/ulp/ipoib_x.c", False),
    ("drivers/scsi/3w-9xxx.c", "drivers/scsi/3w-9xxx.c", True),
    ("drivers/scsi/3w-9xxx.c", "drivers/scsi/3w-9xxx.h", False),
    ("include/linux/foo.h", "include/linux/foo.h", True),
    # `*` and `?` within one component; exactly that depth without a trailing slash
    ("drivers/net/*", "drivers/net/a.c", True),
    ("drivers/net/*", "drivers/net/phy/b.c", False),
    ("drivers/net/*.c", "drivers/net/a.c", True),
    ("drivers/net/*.c", "drivers/net/a.h", False),
    ("*/net/*", "drivers/net/a.c", True),
    ("*/net/*", "net/a.c", False),
    ("drivers/*/ipoib/", "drivers/infiniband/ipoib/x.c", True),
    ("drivers/*/ipoib/", "drivers/a/b/ipoib/x.c", False),
    ("drivers/scsi/3w-?xxx.c", "drivers/scsi/3w-9xxx.c", True),
    ("drivers/scsi/3w-?xxx.c", "drivers/scsi/3w-99xxx.c", False),
    ("drivers/scsi/aic7xxx/aic7[0-9]*.c", "drivers/scsi/aic7xxx/aic79xx.c", True),
    ("drivers/scsi/aic7xxx/aic7[0-9]*.c", "drivers/scsi/aic7xxx/aic7a.c", False),
    ("drivers/net/ethernet/*/", "drivers/net/ethernet/intel/e1000/x.c", True),
    ("drivers/net/ethernet/*/", "drivers/net/ethernet/x.c", False),
    # `./` and doubled slashes are tolerated
    ("./drivers//net/", "drivers/net/a.c", True),
]


@pytest.mark.parametrize(("pattern", "file", "expected"), MATCH_CASES)
def test_pattern_matches(pattern: str, file: str, expected: bool) -> None:
    assert PathSpec([pattern]).matches(file) is expected
    assert (PathIndex([("d/x", PathSpec([pattern]))]).owners(file) == ["d/x"]) is expected


def test_exclude_wins_over_include() -> None:
    spec = PathSpec(["net/"], ["net/ipv6/"])
    assert spec.matches("net/core/dev.c")
    assert not spec.matches("net/ipv6/route.c")
    assert not spec.matches("fs/ext4/inode.c")


@pytest.mark.parametrize("bad", ["", "/abs/path", "../up", "a/../b", "./", "   "])
def test_error_bad_pattern(bad: str) -> None:
    with pytest.raises(ValueError, match="path pattern"):
        parse_pattern(bad)


COVER_CASES = [
    ("drivers/net/", "drivers/net/phy/", True),
    ("drivers/net/", "drivers/net/a.c", True),
    ("drivers/net/", "drivers/net/*.c", True),
    ("drivers/net", "drivers/net/phy/", True),
    ("drivers/net/", "drivers/net", False),  # `drivers/net` may be a file
    # without a tree, `drivers/net/a.c` may be a directory with files below it
    ("drivers/net/*", "drivers/net/a.c", False),
    ("drivers/net/a.c", "drivers/net/a.c", True),
    ("drivers/net/*", "drivers/net/phy/", False),
    ("drivers/net/*.c", "drivers/net/a*.c", True),
    ("drivers/net/*.c", "drivers/net/*", False),
    ("drivers/*/", "drivers/net/", True),
    ("drivers/net/phy/", "drivers/net/", False),
    ("drivers/net/a?.c", "drivers/net/ab.c", False),
    ("drivers/net/*/", "drivers/net/ab.c/", True),
    ("drivers/net/a?.c", "drivers/net/a[bc].c", True),
    ("drivers/net/a[bc].c", "drivers/net/a?.c", False),
    ("*/", "drivers/net/x.c", True),
]


@pytest.mark.parametrize(("outer", "inner", "expected"), COVER_CASES)
def test_pattern_covers(outer: str, inner: str, expected: bool) -> None:
    assert pattern_covers(outer, inner) is expected


OVERLAP_CASES = [
    ("drivers/net/", "drivers/net/phy/", True),
    ("drivers/net/", "drivers/scsi/", False),
    ("drivers/net/*", "drivers/net/phy/", False),
    ("drivers/net/*.c", "drivers/net/a*", True),
    ("drivers/net/*.c", "drivers/net/*.h", False),
    ("drivers/*/x.c", "drivers/net/*", True),
    ("drivers/net", "drivers/net/", True),
    ("drivers/net/a.c", "drivers/net/a.c", True),
    ("drivers/net/a[0-4].c", "drivers/net/a[5-9].c", False),
    ("drivers/net/a[0-5].c", "drivers/net/a[5-9].c", True),
    ("drivers/net/a.c", "drivers/net/", True),
    ("drivers/net/*", "drivers/*/*", True),
    ("drivers/net/*", "drivers/*/*/*", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), OVERLAP_CASES)
def test_patterns_overlap(a: str, b: str, expected: bool) -> None:
    assert patterns_overlap(a, b) is expected
    assert patterns_overlap(b, a) is expected


def test_index_owners_sorted_and_excludes_per_driver() -> None:
    index = PathIndex(
        [
            ("net/core", PathSpec(["net/"], ["net/ipv6/"])),
            ("net/ipv6", PathSpec(["net/ipv6/"])),
            ("misc/all-c", PathSpec(["*/*/*.c"])),
        ]
    )
    assert index.owners("net/ipv6/route.c") == ["misc/all-c", "net/ipv6"]
    assert index.owners("net/core/dev.c") == ["misc/all-c", "net/core"]
    assert index.owners("net/core/dev.h") == ["net/core"]
    assert index.owners("fs/ext4/inode.h") == []
    assert len(index) == 3


# ---------------------------------------------------------------------------------
# Properties against a brute-force universe of small paths.

COMPONENTS = ["a", "b", "ab", "a.c", "b.c", "x1"]
UNIVERSE = [
    "/".join(parts)
    for depth in (1, 2, 3, 4)
    for parts in itertools.product(["a", "b", "a.c", "x1"], repeat=depth)
]

component = st.sampled_from([*COMPONENTS, "*", "a*", "*.c", "?", "[ab]", "x?", "*c"])
patterns = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(component, min_size=1, max_size=3),
    st.booleans(),
)


def _files(pattern: str) -> set[str]:
    spec = PathSpec([pattern])
    return {file for file in UNIVERSE if spec.matches(file)}


@settings(max_examples=300, deadline=None)
@given(patterns, patterns)
def test_covers_is_sound(outer: str, inner: str) -> None:
    if pattern_covers(outer, inner):
        assert _files(inner) <= _files(outer)


@settings(max_examples=300, deadline=None)
@given(patterns, patterns)
def test_overlap_agrees_with_universe(a: str, b: str) -> None:
    # the universe is finite, so an overlap it shows is real; one it lacks may not be
    if _files(a) & _files(b):
        assert patterns_overlap(a, b)
    if not patterns_overlap(a, b):
        assert not _files(a) & _files(b)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(patterns, min_size=1, max_size=2),
                          st.lists(patterns, max_size=1)), min_size=1, max_size=5))
def test_index_agrees_with_specs(drivers: list[tuple[list[str], list[str]]]) -> None:
    specs = [(f"s/d{i}", PathSpec(inc, exc)) for i, (inc, exc) in enumerate(drivers)]
    index = PathIndex(specs)
    for file in UNIVERSE:
        assert index.owners(file) == sorted(o for o, spec in specs if spec.matches(file))


# -- issue 23: many glob patterns under one directory -------------------------------

# more than GlobIndex.SMALL distinct globs under one directory, so that they are filed:
# 70 fixed ones, and drawn ones of every shape
glob_part = st.lists(st.sampled_from(["a", "b", "x", "1", ".c", "*", "?", "[ab]", "[!a]"]),
                     min_size=1, max_size=4).map("".join)
many_globs = st.lists(st.builds(lambda glob, tail: f"a/{glob}{tail}", glob_part,
                                st.sampled_from(["", "/", "/*.c", "/a"])),
                      min_size=1, max_size=40).map(
                          lambda drawn: [f"a/*x{i}" for i in range(70)] + drawn)


@settings(max_examples=20, deadline=None)
@given(many_globs, st.lists(patterns, min_size=1, max_size=2))
def test_index_with_many_globs_agrees_with_specs(globs: list[str],
                                                 wanted: list[str]) -> None:
    specs = [(f"s/d{i}", PathSpec([pattern])) for i, pattern in enumerate(globs)]
    index = PathIndex(specs)
    for file in UNIVERSE:
        assert index.owners(file) == sorted(o for o, spec in specs if spec.matches(file))
    # may_cover never leaves out an owner that covers (it may name more)
    for pattern in wanted:
        assert index.may_cover(pattern) >= {
            o for o, spec in specs if any(pattern_covers(p, pattern) for p in spec.include)}


def test_many_wildcard_maintainers_sections_are_matched_in_linear_time() -> None:
    """Issue 23: collect and new hung on a MAINTAINERS of 12,000 wildcard sections
    (~700 KB): filing the globs was quadratic, and a driver without files at REV tested
    every section's patterns (minutes); now each name looks up its candidates."""
    from conftest import hang_guard

    from checker.collect.maintainers import match_maintainers, parse_maintainers

    text = "".join(f"SECTION {i}\nM:\tA <a@b.example>\nS:\tMaintained\nF:\tdrivers/*x{i}/\n"
                   f"F:\tdrivers/y{i}*\nF:\t*/z{i}*/\n\n" for i in range(12_000))
    drivers = {f"d{j}": PathSpec([f"drivers/abcx{j}/"]) for j in range(0, 12_000, 120)}
    files = {f"d{j}": [f"drivers/abcx{j}/a.c"] for j in range(0, 12_000, 240)}
    with hang_guard():
        sections = parse_maintainers(text)
        chosen = match_maintainers(sections, drivers, files)
    assert len(sections) == 12_000
    assert {driver: section.title for driver, section in chosen.items()} == {
        f"d{j}": f"SECTION {j}" for j in range(0, 12_000, 120)}
