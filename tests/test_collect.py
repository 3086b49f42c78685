"""collect's numbers against an independent computation with plain git (collect_fixtures).

The repositories are real, built with `git fast-import`: renames (within, into and
out of a driver), a merged topic branch, excluded paths, a .mailmap, tree-wide and
bot commits, an author date that differs from the committer date, binary files.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from collect_fixtures import POLICY, History, OracleSignals, lines, oracle

from checker.collect.rules import CollectRules, month_keys, months_before
from checker.collect.run import DriverPaths, collect

RULES = CollectRules.from_policy(POLICY)

DRIVERS = [
    DriverPaths("d/foo", ("drivers/foo/",), ("drivers/foo/sub/",)),
    DriverPaths("d/foosub", ("drivers/foo/sub/",)),
    DriverPaths("d/bar", ("drivers/bar.c",)),
    DriverPaths("d/glob", ("drivers/baz/*.c",)),
    DriverPaths("d/moved", ("drivers/new",)),
    DriverPaths("d/none", ("drivers/nothing/",)),
]

MAILMAP = "Ann Author <ann@example.org> <ann@old.example>\n"
MAINTAINERS = """\
List of maintainers
-------------------

FOO DRIVER
M:\tAnn Author <ann@example.org>
S:\tOdd fixes
F:\tdrivers/foo/
X:\tdrivers/foo/sub/

DRIVERS
M:\tSomeone <s@example.org>
S:\tSupported
F:\tdrivers/
"""


def build_history(path: Path) -> str:
    h = History(path)
    h.commit("2023-01-01", "initial import", {
        ".mailmap": MAILMAP,
        "MAINTAINERS": MAINTAINERS,
        "drivers/foo/a.c": lines(40, "a"),
        "drivers/foo/b.c": lines(30, "b"),
        "drivers/foo/sub/x.c": lines(10, "x"),
        "drivers/bar.c": lines(20, "bar"),
        "drivers/baz/one.c": lines(5, "one"),
        "drivers/baz/two.c": lines(5, "two"),
        "drivers/baz/three.h": lines(5, "three"),
        "drivers/baz/deep/four.c": lines(5, "four"),
        "drivers/staging/old/x.c": lines(50, "old"),
        "kernel/core.c": lines(10, "core"),
    })
    h.commit("2024-03-01", "foo: fix before the window", {"drivers/foo/a.c": lines(41, "a")})
    h.commit("2024-05-01", "foo: author date before, committer date inside",
             {"drivers/foo/a.c": lines(42, "a")}, committed="2024-06-20")
    h.commit("2024-07-01", "foo: touch foo and its sub-driver",
             {"drivers/foo/a.c": lines(43, "a") + "extra\n", "drivers/foo/sub/x.c": lines(12, "x")},
             author=("Cy Coder", "cy@example.org"))
    h.commit("2024-08-01", "foo: fix b", {"drivers/foo/b.c": lines(28, "b") + "new b\n"},
             author=("Ann A.", "ann@old.example"))
    h.commit("2024-09-10", "treewide: rename an API", {
        "drivers/foo/a.c": lines(43, "a") + "api\n",
        "drivers/bar.c": lines(20, "bar") + "api\n",
        "drivers/baz/one.c": lines(5, "one") + "api\n",
        "drivers/baz/two.c": lines(5, "two") + "api\n",
        "drivers/baz/deep/four.c": lines(5, "four") + "api\n",
        "kernel/core.c": lines(10, "core") + "api\n",
    }, author=("Dee Dev", "dee@example.org"))
    h.commit("2024-10-01", "bar: fix spelling in comments", {"drivers/bar.c": lines(21, "bar")})
    h.commit("2024-11-01", "bar: update", {"drivers/bar.c": lines(22, "bar")},
             author=("ci bot", "ci@example.org"))
    h.commit("2024-12-01", "baz: topic work", {"drivers/baz/one.c": lines(9, "one")},
             branch="topic", start_from="main", author=("Eve Topic", "eve@example.org"))
    h.commit("2024-12-05", "foo: mainline work", {"drivers/foo/a.c": lines(30, "a")})
    h.commit("2025-01-10", "Merge branch 'topic'", {"drivers/baz/one.c": lines(9, "one")},
             merge="topic", author=("Max Merger", "max@example.org"))
    h.commit("2025-02-01", "foo: rename b.c to c.c", {"drivers/foo/c.c": lines(28, "b") + "c\n"},
             renames=[("drivers/foo/b.c", "drivers/foo/c.c")])
    h.commit("2025-03-01", "staging: move old out of staging", {},
             renames=[("drivers/staging/old/x.c", "drivers/new/x.c")])
    h.commit("2025-03-15", "foo: move c.c out of the driver", {},
             renames=[("drivers/foo/c.c", "drivers/other/c.c")])
    h.commit("2025-04-01", "foo: add firmware blob", {"drivers/foo/fw.bin": b"\0\1\2\3" * 10})
    h.commit("2025-05-01", "baz: drop two, touch header", {
        "drivers/baz/two.c": None, "drivers/baz/three.h": lines(6, "three")})
    h.commit("2025-06-15", "bar: last fix", {"drivers/bar.c": lines(25, "bar")})
    return h.build()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("kernel") / "linux"
    return path, build_history(path)


def as_oracle(signals: dict[str, Any]) -> OracleSignals:
    return OracleSignals(
        commits=signals["commits"],
        substantive=signals["substantive_commits"],
        mechanical=signals["mechanical_commits"],
        added=signals["lines_added"],
        removed=signals["lines_removed"],
        authors=set(),
        monthly={m["month"]: [m["commits"], m["added"], m["removed"]]
                 for m in signals["monthly"] if m["commits"]},
        first=signals["first_commit"],
        last=signals["last_commit"],
        last_substantive=signals["last_substantive_commit"],
        files=signals["files"],
        source_lines=signals["source_lines"],
    )


def expected(repo: Path, sha: str, driver: DriverPaths, start: date, end: date) -> OracleSignals:
    found = oracle(repo, sha, driver.include, driver.exclude, start, end, RULES)
    authors = len(found.authors)
    found.authors = set()
    found.__dict__["_authors"] = authors
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_signals_match_plain_git(kernel: tuple[Path, str], jobs: int) -> None:
    repo, sha = kernel
    result = collect(repo, DRIVERS, RULES, jobs=jobs)
    assert result.sha == sha
    assert (result.start, result.end) == (date(2024, 6, 15), date(2025, 6, 15))
    for driver in DRIVERS:
        signals = result.signals[driver.id]
        want = oracle(repo, sha, driver.include, driver.exclude, result.start, result.end, RULES)
        assert signals["authors"] == len(want.authors), driver.id
        want.authors = set()
        assert as_oracle(signals) == want, driver.id
        assert [m["month"] for m in signals["monthly"]] == month_keys(result.start, result.end)
        assert len(signals["monthly"]) == 13
        assert signals["active_months"] == len(want.monthly)


def test_specific_numbers(kernel: tuple[Path, str]) -> None:
    """The scenario read by a person, so that the oracle itself is checked too."""
    repo, _ = kernel
    result = collect(repo, DRIVERS, RULES, jobs=1)
    foo = result.signals["d/foo"]
    # in the window: author-date commit, foo+sub, fix b (mailmap), treewide, mainline
    # work, rename within, move out, firmware blob; merges never count
    assert foo["commits"] == 8
    assert foo["mechanical_commits"] == 1  # treewide (subject; it also touches 6 files)
    assert foo["authors"] == 3  # Ann (two addresses: one person after .mailmap), Cy, Dee
    assert foo["first_commit"] == date(2023, 1, 1)
    assert foo["last_commit"] == date(2025, 4, 1)
    assert foo["files"] == 2  # a.c and fw.bin; sub/ is excluded, c.c moved away
    assert foo["maintainers_entry"] == "FOO DRIVER"
    assert result.maintainers_status["d/foo"] == "Odd Fixes"
    bar = result.signals["d/bar"]
    assert (bar["commits"], bar["substantive_commits"], bar["mechanical_commits"]) == (4, 1, 3)
    assert bar["last_substantive_commit"] == date(2025, 6, 15)
    assert result.signals["d/foosub"]["commits"] == 1
    assert result.signals["d/foosub"]["maintainers_entry"] == "DRIVERS"
    moved = result.signals["d/moved"]
    assert (moved["commits"], moved["lines_added"], moved["lines_removed"]) == (1, 0, 0)
    assert moved["first_commit"] == date(2025, 3, 1)  # history under the old path is not its
    glob = result.signals["d/glob"]
    assert glob["files"] == 1  # one.c; deep/four.c is one level too deep, three.h not *.c
    assert glob["commits"] == 3  # treewide, topic work (merged), deletion of two.c
    none = result.signals["d/none"]
    assert (none["commits"], none["files"], none["first_commit"]) == (0, 0, None)
    assert none["maintainers_entry"] == "DRIVERS"


def test_window_end_excludes_later_commits(kernel: tuple[Path, str]) -> None:
    repo, sha = kernel
    end = date(2025, 3, 1)
    result = collect(repo, DRIVERS, RULES, window_end=end, jobs=2)
    assert (result.start, result.end) == (date(2024, 3, 1), end)
    for driver in DRIVERS:
        signals = result.signals[driver.id]
        want = oracle(repo, sha, driver.include, driver.exclude, result.start, end, RULES)
        assert signals["authors"] == len(want.authors)
        want.authors = set()
        got = as_oracle(signals)
        # files and lines are read at REV, whatever the window
        got.files, got.source_lines = want.files, want.source_lines
        assert got == want, driver.id
    # the move out of staging happened on the window's last day: included
    assert result.signals["d/moved"]["commits"] == 1


def test_rev_selects_the_tree_and_default_window(kernel: tuple[Path, str]) -> None:
    repo, _ = kernel
    result = collect(repo, DRIVERS, RULES, rev="HEAD~4", jobs=1)
    assert result.end == date(2025, 3, 1)
    assert result.signals["d/foo"]["files"] == 2  # a.c, c.c (not yet moved out), no blob
    assert result.signals["d/moved"]["files"] == 1


# ---------------------------------------------------------------------------------
# A random history, checked the same way.


def random_history(path: Path, seed: int, reverts: bool = False) -> str:
    """60 commits; with `reverts`, some subjects revert (`Revert "..."`, `Reapply
    "..."`) or repeat (a re-apply) an earlier one."""
    rng = random.Random(seed)
    subjects: list[str] = []
    reverted: list[str] = []
    h = History(path)
    names = [f"drivers/{d}/{f}" for d in ("a", "b", "a/x", "c") for f in ("p.c", "q.c", "r.h")]
    content = {name: lines(rng.randrange(5, 30), name) for name in names}
    h.commit("2022-01-01", "initial", {".mailmap": MAILMAP, **content})
    day = 0
    authors = [("Ann", "ann@example.org"), ("Ann", "ann@old.example"), ("Bob", "bob@x.org"),
               ("a bot", "bot@x.org")]
    for i in range(60):
        day += rng.randrange(3, 20)
        when = date.fromordinal(date(2022, 1, 2).toordinal() + day).isoformat()
        chosen = rng.sample(names, rng.choice([1, 1, 2, 3, 7]))
        changes: dict[str, str | bytes | None] = {}
        for name in chosen:
            if name in content:
                content[name] = content[name] + f"change {i}\n" if rng.random() < 0.7 else \
                    lines(rng.randrange(3, 30), f"{name}{i}")
                changes[name] = content[name]
            else:
                content[name] = lines(4, name)
                changes[name] = content[name]
        renames = []
        if rng.random() < 0.15:
            old = rng.choice(sorted(content))
            new = rng.choice([n for n in names if n not in content] or [old + ".moved"])
            if new != old and new not in content and old not in changes:
                renames.append((old, new))
                content[new] = content.pop(old)
        subject = f"{rng.choice(['fix', 'treewide: sweep', 'cleanup', 'fix spelling'])} {i}"
        chance = rng.random() if reverts and subjects else 1.0
        if chance < 0.12:
            reverted.append(rng.choice(subjects))
            subject = f'Revert "{reverted[-1]}"'
        elif chance < 0.2:  # the same subject again: a re-apply after a revert
            subject = rng.choice(reverted or subjects)
        elif chance < 0.24:
            subject = f'Reapply "{rng.choice(subjects)}"'
        subjects.append(subject)
        h.commit(when, subject, changes, renames=renames, author=rng.choice(authors))
    return h.build()


RANDOM_DRIVERS = [
    DriverPaths("r/a", ("drivers/a/",), ("drivers/a/x/",)),
    DriverPaths("r/ax", ("drivers/a/x",)),
    DriverPaths("r/b", ("drivers/b/*.c",)),
    DriverPaths("r/c", ("drivers/c/p.c", "drivers/c/r.h")),
    DriverPaths("r/all-h", ("drivers/*/*.h",)),
]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_history_matches_plain_git(tmp_path: Path, seed: int) -> None:
    sha = random_history(tmp_path / "k", seed)
    result = collect(tmp_path / "k", RANDOM_DRIVERS, RULES, jobs=2)
    for driver in RANDOM_DRIVERS:
        signals = result.signals[driver.id]
        want = oracle(tmp_path / "k", sha, driver.include, driver.exclude, result.start,
                      result.end, RULES)
        assert signals["authors"] == len(want.authors), driver.id
        want.authors = set()
        assert as_oracle(signals) == want, driver.id


NOT_WORK = CollectRules.from_policy({
    **POLICY, "collect": {**POLICY["collect"], "sweep_directories": 2, "exclude_reverts": True}})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_history_with_sweeps_and_reverts_matches_plain_git(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits across more than two directories, reverts, what they revert and their
    re-applies count only for first_commit; same result for any runs or processes."""
    import checker.collect.runner as runner

    sha = random_history(tmp_path / "k", seed, reverts=True)
    result = collect(tmp_path / "k", RANDOM_DRIVERS, NOT_WORK, jobs=2)
    plain = collect(tmp_path / "k", RANDOM_DRIVERS, RULES, jobs=1)
    assert result.signals != plain.signals  # the history holds commits left out
    for driver in RANDOM_DRIVERS:
        signals = result.signals[driver.id]
        want = oracle(tmp_path / "k", sha, driver.include, driver.exclude, result.start,
                      result.end, NOT_WORK)
        assert signals["authors"] == len(want.authors), driver.id
        want.authors = set()
        assert as_oracle(signals) == want, driver.id
    monkeypatch.setattr(runner, "RUN_SIZE", 3)
    for jobs in (1, 2):
        assert collect(tmp_path / "k", RANDOM_DRIVERS, NOT_WORK, jobs=jobs).signals == \
            result.signals


# ---------------------------------------------------------------------------------
# The window arithmetic.


@pytest.mark.parametrize(("end", "months", "start"), [
    (date(2026, 4, 21), 60, date(2021, 4, 21)),
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2025, 1, 15), 13, date(2023, 12, 15)),
])
def test_window_start(end: date, months: int, start: date) -> None:
    assert months_before(end, months) == start


def test_sixty_months_touch_sixty_one_calendar_months() -> None:
    keys = month_keys(date(2021, 4, 21), date(2026, 4, 21))
    assert len(keys) == 61
    assert keys[0] == "2021-04"
    assert keys[-1] == "2026-04"


def test_pathspecs_cover_every_driver_with_few_prefixes() -> None:
    from checker.collect.history import pathspecs_for
    from checker.core.paths import PathSpec

    specs = [PathSpec(["drivers/net/a/", "drivers/net/a/b.c"]), PathSpec(["drivers/net/*.c"]),
             PathSpec(["drivers/scsi/3w-9xxx.c"]), PathSpec(["sound/pci/"])]
    assert pathspecs_for(specs) == (
        ":(literal)drivers/net", ":(literal)drivers/scsi/3w-9xxx.c", ":(literal)sound/pci")
    assert pathspecs_for(specs, limit=2) == (":(literal)drivers", ":(literal)sound")
    assert pathspecs_for([*specs, PathSpec(["*/foo/"])]) == ()  # the whole tree


def test_result_does_not_depend_on_runs_or_processes(kernel: tuple[Path, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import checker.collect.runner as runner

    repo, _ = kernel
    serial = collect(repo, DRIVERS, RULES, jobs=1)
    monkeypatch.setattr(runner, "RUN_SIZE", 2)  # many small runs, spread over the processes
    for jobs in (1, 2):
        runs = collect(repo, DRIVERS, RULES, jobs=jobs)
        assert runs.signals == serial.signals
        assert runs.commits_read == serial.commits_read


@pytest.mark.parametrize(
    ("count", "jobs", "sizes"),
    [
        (0, 2, []),
        (450, 2, [450]),  # too few commits to be worth two processes
        (1000, 2, [500, 500]),
        (1424, 2, [712, 712]),
        (2400, 2, [600, 600, 600, 600]),
        (1424, 1, [1424]),
        (45000, 1, [15000, 15000, 15000]),  # at most RUN_SIZE
        (45000, 2, [11250, 11250, 11250, 11250]),
    ],
)
def test_runs_are_even_and_hold_every_commit_once(count: int, jobs: int,
                                                  sizes: list[int]) -> None:
    from checker.collect.runner import runs_of

    commits = [f"{n:040x}" for n in range(count)]
    runs = runs_of(commits, jobs)
    assert [len(r) for r in runs] == sizes
    assert [c for r in runs for c in r] == commits


def test_gitpython_and_plain_git_open_the_same_checkout(kernel: tuple[Path, str]) -> None:
    """collect opens the checkout with plain git (open_kernel); backtest, init and new
    with gitpython (open_repo, or a Repo opened elsewhere): the helpers give the same."""
    import git

    from checker.collect.gitrepo import Stream, open_kernel, open_repo, repo_path, resolve

    path, sha = kernel
    plain, wrapped, elsewhere = open_kernel(path), open_repo(path), git.Repo(path)
    try:
        for repo in (plain, wrapped, elsewhere):
            assert resolve(repo, "HEAD").sha == sha
            assert repo_path(repo) == str(path)
            assert Stream(repo, "log", ["-1", "--format=%H"]).read_all() == f"{sha}\n".encode()
    finally:
        wrapped.close()
        elsewhere.close()


# ---------------------------------------------------------------------------------
# Commits that are not work: a sweep, reverts and re-applies (real `git revert`).


def git_at(repo: Path, when: str, author: tuple[str, str], *args: str) -> str:
    """A git command that commits, dated `when` (UTC noon) and by `author`."""
    import subprocess

    from collect_fixtures import GIT_ENV

    name, email = author
    stamp = f"{when}T12:00:00+0000"
    env = {**GIT_ENV, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
           "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=True)
    return done.stdout.decode()


def commit_file(repo: Path, when: str, author: tuple[str, str], subject: str, path: str,
                text: str) -> str:
    (repo / path).write_text(text)
    git_at(repo, when, author, "add", path)
    git_at(repo, when, author, "commit", "-q", "-m", subject)
    return git_at(repo, when, author, "rev-parse", "HEAD").strip()


SWEEPS_AND_REVERTS = CollectRules.from_policy({
    **POLICY, "collect": {**POLICY["collect"], "sweep_directories": 3, "exclude_reverts": True}})
ANN, BOB, CY, DEE = (("Ann", "ann@example.org"), ("Bob", "bob@example.org"),
                     ("Cy", "cy@example.org"), ("Dee", "dee@example.org"))


def test_sweeps_reverts_and_reapplies_are_not_work(tmp_path: Path) -> None:
    repo = tmp_path / "k"
    h = History(repo)
    h.commit("2024-01-01", "import", {f"drivers/{n}/main.c": lines(20, n) for n in "abcde"})
    h.commit("2024-02-01", "a: real fix", {"drivers/a/main.c": lines(21, "a")}, author=ANN)
    h.commit("2024-03-01", "headers: clean up includes",  # five directories: a sweep
             {f"drivers/{n}/main.c": lines(20, n) + "#include <x.h>\n" for n in "abcde"},
             author=DEE)
    h.build()
    feature = commit_file(repo, "2024-04-01", BOB, "a: add feature X", "drivers/a/main.c",
                          lines(30, "a"))
    git_at(repo, "2024-05-01", CY, "revert", "--no-edit", feature)  # Revert "a: add ..."
    git_at(repo, "2024-06-01", BOB, "revert", "--no-edit", "HEAD")  # and re-applied
    rework = commit_file(repo, "2024-04-15", CY, "b: rework", "drivers/b/main.c",
                         lines(25, "b"))
    git_at(repo, "2024-05-15", CY, "revert", "--no-edit", rework)
    commit_file(repo, "2024-06-15", DEE, "b: rework", "drivers/b/main.c",  # same subject
                lines(26, "b"))
    commit_file(repo, "2024-07-10", DEE, "b: small fix", "drivers/b/main.c", lines(27, "b"))
    commit_file(repo, "2024-08-01", ANN, "a: another fix", "drivers/a/main.c", lines(23, "a"))
    subjects = git_at(repo, "2024-08-01", ANN, "log", "--format=%s").splitlines()
    assert 'Revert "Revert "a: add feature X""' in subjects and 'Revert "b: rework"' in subjects
    drivers = [DriverPaths(n, (f"drivers/{n}/",)) for n in "abc"]
    for jobs in (1, 2):
        found = collect(repo, drivers, SWEEPS_AND_REVERTS, jobs=jobs).signals
        a, b, c = found["a"], found["b"], found["c"]
        assert (a["commits"], a["substantive_commits"], a["authors"]) == (2, 2, 1)  # Ann's
        assert (a["lines_added"], a["lines_removed"]) == (1, 7)  # +1; 30 lines to 23
        assert a["active_months"] == 2
        assert (a["first_commit"], a["last_commit"], a["last_substantive_commit"]) == (
            date(2024, 1, 1), date(2024, 8, 1), date(2024, 8, 1))
        assert (b["commits"], b["authors"], b["last_commit"]) == (1, 1, date(2024, 7, 10))
        assert b["first_commit"] == date(2024, 1, 1)  # the import: a sweep, but it is there
        assert (c["commits"], c["first_commit"], c["last_commit"]) == (0, date(2024, 1, 1), None)
        # the tree's months with a commit that is not a sweep: February, April to August
        assert {d["tree_months"] for d in found.values()} == {6}
    plain = collect(repo, drivers, RULES, jobs=1).signals
    assert (plain["a"]["commits"], plain["a"]["authors"]) == (7, 4)
    assert (plain["b"]["commits"], plain["c"]["commits"]) == (6, 2)


def test_a_tree_imported_release_by_release_has_no_history_to_read(tmp_path: Path) -> None:
    """Every commit a release (a sweep): no driver has a commit of its own, and the tree
    has no month with another commit, so the history probes do not know (they called
    every driver dormant: Linux 5.10 -> 6.1 -> 6.12 from tarballs, 54% flagged at 6.1)."""
    from checker.evaluate.probes.maintenance import activity, recency
    from checker.validate.models import signals_model
    from checker.validate.policy import load_policy

    repo = tmp_path / "k"
    h = History(repo)
    h.commit("2021-01-10", "Linux 1.0", {f"drivers/{n}/main.c": lines(20, n) for n in "abcde"})
    h.commit("2023-01-10", "Linux 2.0", {f"drivers/{n}/main.c": lines(22, n) for n in "abcd"})
    h.build()
    drivers = [DriverPaths(n, (f"drivers/{n}/",)) for n in "ae"]
    found = collect(repo, drivers, SWEEPS_AND_REVERTS, jobs=1).signals
    assert {(d["commits"], d["tree_months"]) for d in found.values()} == {(0, 0)}
    root = Path(__file__).resolve().parent.parent
    policy = load_policy(root / "policies" / "default.yaml", "policies/default.yaml")
    as_of = date(2023, 1, 10)
    for name, probe in (("activity", activity), ("recency", recency)):
        driver = SimpleNamespace(signals=signals_model(found["e"]))
        finding = probe(driver, policy.probes[name], as_of)  # type: ignore[arg-type]
        assert (finding.known, finding.reason) == (
            False, "no commit of its own, and the tree has commits other than sweeps in 0 "
            "month(s) of the window (fewer than 12): its history cannot tell a dormant "
            "driver")
    # the same tree with one small commit a month for a year: history is read
    for month in range(1, 13):
        commit_file(repo, f"2022-{month:02}-05", ANN, "docs: note", "README", f"{month}\n")
    again = collect(repo, drivers, SWEEPS_AND_REVERTS, jobs=1).signals
    assert again["e"]["tree_months"] == 12
    driver = SimpleNamespace(signals=signals_model(again["e"]))
    assert activity(driver, policy.probes["activity"], as_of).known  # type: ignore[arg-type]
