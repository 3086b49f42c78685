"""Sweeps found by the listing (checker/collect/sweeps.py): never walked, same signals.

The repositories are real (`git fast-import`); the signals are checked against the
independent computation of collect_fixtures.oracle, which tells a sweep by the
directories of `git diff-tree -M` (both sides of each rename), as the walk did before
the listing found them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from collect_fixtures import GIT_ENV, POLICY, History, git, lines, oracle
from test_collect import as_oracle

from checker.collect.history import Task
from checker.collect.rules import CollectRules
from checker.collect.run import DriverPaths, collect
from checker.collect.sweeps import SweepFinder, listed_commits

SWEEPS = CollectRules.from_policy({
    **POLICY, "collect": {**POLICY["collect"], "sweep_directories": 3}})

DRIVERS = [DriverPaths(n, (f"drivers/{n}/",)) for n in ("a", "b", "c", "e")] + [
    DriverPaths("u", ("drivers/a/u.c", "drivers/b/v.c"))]

END = date(2024, 10, 31)  # the window: 2023-10-31..2024-10-31 (POLICY: 12 months)


def sweepy_history(path: Path) -> dict[str, str]:
    """Sweeps before the window, in its middle (one only by both sides of its renames),
    after its end, and one that touches no driver; the subject -> id of each commit."""
    h = History(path)
    h.commit("2022-01-10", "import", {f"{d}/main.c": lines(10, d) for d in (
        "drivers/a", "drivers/b", "drivers/c", "lib", "misc")})
    h.commit("2022-05-01", "lib: helpers", {"lib/u.c": lines(8, "u"), "misc/v.c": lines(9, "v")})
    h.commit("2023-02-01", "sweep before the window",
             {f"drivers/{n}/main.c": lines(11, n) for n in "abce"}
             | {f"drivers/e/{n}.c": lines(7, n) for n in "xyz"})
    h.commit("2023-03-01", "e: reorganise",  # seven files without -M, four with it
             {"drivers/e/z.c": lines(8, "z")},
             renames=[(f"drivers/e/{n}.c", f"drivers/e/core/{n}.c") for n in ("main", "x", "y")])
    h.commit("2023-06-01", "a: fix", {"drivers/a/main.c": lines(12, "a")})
    h.commit("2023-12-01", "a: feature", {"drivers/a/main.c": lines(15, "a")}, author=(
        "Bob", "bob@example.org"))
    h.commit("2024-01-15", "three directories, not a sweep",
             {"drivers/a/main.c": lines(16, "a"), "drivers/b/main.c": lines(12, "b"),
              "lib/u.c": lines(9, "u")})
    h.commit("2024-03-01", "move the helpers into drivers",  # four directories: both sides
             renames=[("lib/u.c", "drivers/a/u.c"), ("misc/v.c", "drivers/b/v.c")])
    h.commit("2024-04-01", "b: fix", {"drivers/b/main.c": lines(14, "b")})
    h.commit("2024-05-01", "sweep in the middle",
             {f"drivers/{n}/main.c": lines(20, n) for n in "abc"} | {"lib/w.c": "w\n"})
    h.commit("2024-06-01", "docs everywhere",  # a sweep that touches no driver
             {f"docs/{n}/index.rst": "x\n" for n in "pqrs"})
    h.commit("2024-07-01", "u: fix", {"drivers/a/u.c": lines(9, "u") + "fix\n"})
    h.commit("2024-08-01", "c: fix", {"drivers/c/main.c": lines(22, "c")})
    h.commit("2025-01-01", "sweep after the window",
             {f"drivers/{n}/main.c": lines(30, n) for n in "abce"})
    h.commit("2025-02-01", "e: after the window", {"drivers/e/main.c": lines(3, "e")})
    h.build()
    out = git(path, "log", "--format=%H %s")
    return {subject: sha for sha, subject in (line.split(" ", 1) for line in out.splitlines())}


@pytest.fixture(scope="module")
def sweepy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("sweeps") / "k"
    return path, sweepy_history(path)


@pytest.mark.parametrize("jobs", [1, 2])
def test_sweeps_are_never_walked_and_signals_are_as_before(
        sweepy: tuple[Path, dict[str, str]], jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import checker.collect.runner as runner

    repo, ids = sweepy
    walked: list[str] = []
    real_add = runner.Runner.add

    def add(self: runner.Runner, task: Task) -> None:  # the real walk, its commits noted
        walked.extend(task.revs)
        real_add(self, task)

    monkeypatch.setattr(runner.Runner, "add", add)
    monkeypatch.setattr(runner, "RUN_SIZE", 2)
    result = collect(repo, DRIVERS, SWEEPS, window_end=END, jobs=jobs)
    sweeps = {ids[s] for s in ("import", "sweep before the window",
                               "move the helpers into drivers", "sweep in the middle",
                               "docs everywhere")}
    assert not sweeps & set(walked)
    assert {ids["a: feature"], ids["three directories, not a sweep"], ids["u: fix"],
            ids["e: reorganise"]} <= set(walked)  # the window's; more than max_files
    assert ids["sweep after the window"] not in walked
    assert ids["a: fix"] not in walked  # before the window: settled by the listing
    assert ids["lib: helpers"] not in walked  # no driver's
    for driver in DRIVERS:
        signals = result.signals[driver.id]
        want = oracle(repo, ids["e: after the window"], driver.include, driver.exclude,
                      result.start, result.end, SWEEPS)
        assert signals["authors"] == len(want.authors), driver.id
        want.authors = set()
        assert as_oracle(signals) == want, driver.id
    a, b, e, u = (result.signals[n] for n in "abeu")
    # a: the feature, the three directories and u's fix (drivers/a/u.c is a's too)
    assert (a["commits"], a["authors"], a["lines_added"]) == (3, 2, 5)
    assert (a["first_commit"], a["last_commit"]) == (date(2022, 1, 10), date(2024, 7, 1))
    assert (b["commits"], b["last_commit"]) == (2, date(2024, 4, 1))
    assert (e["commits"], e["first_commit"], e["last_commit"],
            e["last_substantive_commit"]) == (0, date(2023, 2, 1), date(2023, 3, 1),
                                              date(2023, 3, 1))  # four files: substantive
    assert (u["commits"], u["first_commit"], u["last_commit"]) == (1, date(2024, 3, 1),
                                                                    date(2024, 7, 1))


def test_without_the_rule_nothing_is_a_sweep(sweepy: tuple[Path, dict[str, str]]) -> None:
    repo, ids = sweepy
    plain = CollectRules.from_policy(POLICY)
    result = collect(repo, DRIVERS, plain, window_end=END, jobs=1)
    for driver in DRIVERS:
        want = oracle(repo, ids["e: after the window"], driver.include, driver.exclude,
                      result.start, result.end, plain)
        want.authors = set()
        assert as_oracle(result.signals[driver.id]) == want, driver.id
    assert result.signals["c"]["commits"] == 2  # the sweep in the middle, and c's fix


def listing(repo: Path) -> bytes:
    import subprocess

    return subprocess.run(
        ["git", "log", "--no-merges", "-z", "--name-only", "--no-renames",
         "--format=%x01%ct %H%x1f%s", "main", "--"],
        cwd=repo, env=GIT_ENV, capture_output=True, check=True).stdout


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
def test_listed_commits_whatever_the_chunks(tmp_path: Path, size: int) -> None:
    repo = tmp_path / "k"
    h = History(repo)
    h.commit("2024-01-01", "first", {"a/x.c": "x\n", "b c/y z.c": "y\n"})
    h.commit("2024-02-01", "nothing changes")  # an empty commit
    h.commit("2024-03-01", "odd names",  # C-quoted for fast-import
             {'"\\nleading newline.c"': "n\n", '"a/\\001.c"': "1\n"})
    h.commit("2024-04-01", "last", {"a/x.c": None})
    h.build()
    data = listing(repo)
    chunks = [data[at:at + size] for at in range(0, len(data), size)]
    records = [(header.split(b"\x1f")[1], names)
               for header, names in listed_commits(iter(chunks))]
    assert records == [
        (b"last", b"\na/x.c"),
        (b"odd names", b"\n\nleading newline.c\0a/\x01.c"),
        (b"nothing changes", b""),
        (b"first", b"\na/x.c\0b c/y z.c"),
    ]


def test_a_sweep_is_told_by_directories_and_touches_its_drivers() -> None:
    from checker.collect.activity import Activity

    owners = {b"drivers/a/x.c": ("a",), b"drivers/b/y.c": ("b",), b"\nz.c": ("z",)}
    finder = SweepFinder(SWEEPS, lambda path: owners.get(path, ()), start=100, end=1000)

    def add(stamp: int, sha: str, names: bytes, subject: bytes = b"fix") -> None:
        finder.add(stamp, sha * 40, b"Ann", b"ann@example.org", subject, names)

    add(110, "1", b"\ndrivers/a/x.c\0drivers/b/y.c\0lib/q.c")  # three directories
    add(120, "2", b"\ndrivers/a/x.c\0drivers/b/y.c\0lib/q.c\0misc/r.c")
    add(130, "3", b"\ndrivers/a/x.c\0lib/1.c\0lib/2.c\0lib/3.c")  # two
    add(105, "4", b"\n\nz.c\0drivers/b/y.c\0lib/q.c\0misc/r.c")  # "\nz.c": the root's
    add(2000, "5", b"\ndrivers/a/x.c\0b/1\0c/1\0d/1")  # after the end: never walked
    add(140, "6", b"\nlib/1.c")  # no driver's
    add(50, "7", b"\ndrivers/a/x.c", b"treewide: x")  # before the window, mechanical
    add(40, "8", b"\ndrivers/b/y.c")
    add(30, "9", b"\ndrivers/b/y.c" + b"".join(b"\0b/%d" % n for n in range(5)))  # 6 files
    add(20, "a", b"\ndrivers/b/y.c", b'Revert "x"')
    assert finder.found == {"2" * 40, "4" * 40}
    assert finder.skipped == {"2" * 40, "4" * 40, "6" * 40, "7" * 40, "8" * 40, "a" * 40}
    assert finder.touching == 5
    totals = {"b": Activity(first=60)}
    finder.settle(totals, frozenset({"8" * 40}), frozenset({"a" * 40}))
    got = {n: (act.first, act.last, act.last_substantive, act.commits)
           for n, act in totals.items()}
    assert got == {"a": (50, 50, None, 0), "b": (20, 40, None, 0), "z": (105, None, None, 0)}
