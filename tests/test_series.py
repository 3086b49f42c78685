"""Series of mechanical commits split across subsystems (checker/collect/series.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collect_fixtures import POLICY, History, lines

from checker.collect.rules import CollectRules
from checker.collect.run import DriverPaths, collect
from checker.collect.series import series_of, split_subject


def test_split_subject_strips_subsystem_tags() -> None:
    assert split_subject("net/foo: Use new API.") == ("net/foo", "use new api")
    assert split_subject("scsi: lpfc: Fix  the   thing") == ("scsi:lpfc", "fix the thing")
    assert split_subject("Merge tag 'x': y") == ("", "merge tag 'x': y")
    assert split_subject("no tag here") == ("", "no tag here")


def group(*commits: tuple[int, str, str]) -> dict[tuple[str, str], list[tuple[int, str, str]]]:
    return {("a@example.org", "use new api"): list(commits)}


def test_series_needs_enough_distinct_tags_within_the_period() -> None:
    day = 86400
    four = group((0, "a", "net/a"), (day, "b", "net/b"), (2 * day, "c", "net/c"),
                 (3 * day, "d", "net/d"))
    assert series_of(four, 4, 14 * day) == {"a", "b", "c", "d"}
    assert series_of(four, 5, 14 * day) == set()
    spread = group((0, "a", "net/a"), (20 * day, "b", "net/b"), (40 * day, "c", "net/c"),
                   (60 * day, "d", "net/d"))
    assert series_of(spread, 4, 14 * day) == set()
    same_tag = group(*((i * day, str(i), "net/a") for i in range(6)))
    assert series_of(same_tag, 4, 14 * day) == set()


RULES = CollectRules.from_policy({
    **POLICY,
    "collect": {**POLICY["collect"], "mechanical": {
        **POLICY["collect"]["mechanical"], "series": {"min_commits": 3, "within_days": 7}}},
})


def test_collect_counts_a_split_sweep_as_mechanical(tmp_path: Path) -> None:
    h = History(tmp_path / "k")
    files: dict[str, Any] = {f"drivers/{n}/main.c": lines(10, n) for n in "abcd"}
    h.commit("2025-01-01", "import", files)
    for day, name in enumerate("abc", start=2):  # one author, one subject, three subsystems
        h.commit(f"2025-02-{day:02d}", f"{name}: convert to the new timer API",
                 {f"drivers/{name}/main.c": lines(11, name)}, author=("Sweeper", "s@example.org"))
    h.commit("2025-02-03", "d: convert to the new timer API",  # same subject, another author
             {"drivers/d/main.c": lines(11, "d")}, author=("Dee", "d@example.org"))
    h.commit("2025-03-01", "a: fix a real bug", {"drivers/a/main.c": lines(12, "a")})
    h.build()
    drivers = [DriverPaths(n, (f"drivers/{n}/",)) for n in "abcd"]
    found = collect(tmp_path / "k", drivers, RULES, jobs=1).signals
    assert (found["a"]["substantive_commits"], found["a"]["mechanical_commits"]) == (2, 1)
    assert (found["b"]["substantive_commits"], found["b"]["mechanical_commits"]) == (1, 1)
    assert (found["d"]["substantive_commits"], found["d"]["mechanical_commits"]) == (2, 0)
    assert str(found["b"]["last_substantive_commit"]) == "2025-01-01"
    plain = CollectRules.from_policy(POLICY)
    unchanged = collect(tmp_path / "k", drivers, plain, jobs=1).signals
    assert unchanged["b"]["mechanical_commits"] == 0


def test_series_settled_after_the_window_is_walked_early(tmp_path: Path) -> None:
    """The window's commits are walked while older history is still being listed, before
    the series are known (history.settle counts them afterwards): same figures, any jobs."""
    h = History(tmp_path / "k")
    h.commit("2019-01-01", "import", {f"drivers/{n}/main.c": lines(10, n) for n in "abc"})
    h.commit("2019-06-01", "b: an old fix", {"drivers/b/main.c": lines(9, "b")})
    for day, name in enumerate("abc", start=2):
        h.commit(f"2025-02-{day:02d}", f"{name}: convert to the new timer API",
                 {f"drivers/{name}/main.c": lines(11, name)}, author=("Sweeper", "s@example.org"))
    h.commit("2025-03-01", "a: fix a real bug", {"drivers/a/main.c": lines(12, "a")})
    h.build()
    drivers = [DriverPaths(n, (f"drivers/{n}/",)) for n in "abc"]
    for jobs in (1, 2):
        found = collect(tmp_path / "k", drivers, RULES, jobs=jobs).signals
        assert (found["a"]["substantive_commits"], found["a"]["mechanical_commits"]) == (1, 1)
        assert (found["b"]["substantive_commits"], found["b"]["mechanical_commits"]) == (0, 1)
        assert str(found["a"]["last_substantive_commit"]) == "2025-03-01"
        assert str(found["b"]["last_substantive_commit"]) == "2019-06-01"
        assert str(found["b"]["first_commit"]) == "2019-01-01"
