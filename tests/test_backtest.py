"""backtest: metrics by hand, unit discovery, ground truth and no leakage on real git
repositories built with `git fast-import`, and the command's outputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import GIT_ENV, History, git, lines
from conftest import ROOT, Run

from checker.backtest.engine import FEATURES, Row, run_backtest
from checker.backtest.metrics import auc, bootstrap_auc, confusion, roc_points
from checker.backtest.units import Unit, discover_units
from checker.validate.policy import Policy, load_policy

# -- metrics ------------------------------------------------------------------------


def test_auc_perfect_reversed_and_tied() -> None:
    assert auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert auc([0, 1], [2, 3]) == 0.0
    assert auc([1, 1, 1], [1, 1]) == 0.5


def test_auc_by_hand_with_ties() -> None:
    # kept 2, 3, 3 vs removed 1, 3: pairs (2>1) (3>1) (3>1) = 3 wins; (2<3) loses;
    # (3=3) twice = 2 halves -> (3 + 1) / 6
    assert auc([2, 3, 3], [1, 3]) == pytest.approx(4 / 6)


def test_auc_needs_both_classes() -> None:
    assert auc([], [1.0]) is None
    assert auc([1.0], []) is None


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    kept = [float(v % 7) for v in range(60)]
    removed = [float(v % 4) for v in range(12)]
    first = bootstrap_auc(kept, removed, 300, seed=5)
    second = bootstrap_auc(kept, removed, 300, seed=5)
    other = bootstrap_auc(kept, removed, 300, seed=6)
    assert first == second and first is not None and other is not None
    assert first != other
    value = auc(kept, removed)
    assert value is not None and first.low <= value <= first.high


@pytest.mark.parametrize(("kept", "removed"), [(200, 1), (200, 9), (9, 200)])
def test_no_interval_from_too_few_cases(kept: int, removed: int) -> None:
    """With one removed unit a bootstrap gave 0.984-1.000: every resample held that one
    unit. Below 10 of either outcome no interval is given."""
    scores = [float(v % 11) for v in range(kept)]
    assert bootstrap_auc(scores, [0.0] * removed, 1000, seed=12) is None
    ten = [float(v % 11) for v in range(10)]
    assert bootstrap_auc(ten, [0.0] * 10, 1000, seed=12) is not None


def test_roc_runs_from_origin_to_one() -> None:
    points = roc_points([2, 3], [1, 3])
    assert points[0] == (0.0, 0.0) and points[-1] == (1.0, 1.0)
    assert points[1] == (0.0, 0.5)  # cut at 1: no kept flagged, one of two removals


def test_confusion_precision_recall() -> None:
    table = confusion([("deprecate", True), ("deprecate", False), ("keep", True),
                       ("remove", True), ("keep-annotate", False)])
    assert table.removed == {"keep": 1, "keep-annotate": 0, "deprecate": 1, "remove": 1}
    assert table.kept == {"keep": 0, "keep-annotate": 1, "deprecate": 1, "remove": 0}
    assert table.precision == pytest.approx(2 / 3)
    assert table.recall == pytest.approx(2 / 3)
    assert confusion([("keep", False)]).precision is None


# -- units ----------------------------------------------------------------------------


def test_discover_units_directories_and_source_files() -> None:
    paths = ["drivers/net/Makefile", "drivers/net/Kconfig", "drivers/net/foo.c",
             "drivers/net/foo.h", "drivers/net/lonely.h", "drivers/net/bar/a.c",
             "drivers/net/bar/sub/b.c", "drivers/event/dlb/x.c", "lib/y.c"]
    units = discover_units(paths, ["drivers/*"])
    assert units == [
        Unit("event/dlb", ("drivers/event/dlb/",)),
        Unit("net/bar", ("drivers/net/bar/",)),
        Unit("net/foo", ("drivers/net/foo.c", "drivers/net/foo.h")),
    ]
    # a glob names directories at its own depth only
    assert discover_units(paths, ["drivers"]) == [
        Unit("drivers/event", ("drivers/event/",)), Unit("drivers/net", ("drivers/net/",))]
    assert discover_units(["providers/nes/nes.c"], ["providers"]) == [
        Unit("providers/nes", ("providers/nes/",))]


# -- ground truth and leakage on a real repository -------------------------------------

OLD_DAY = "2024-06-01"
AL = ("al@example.org", "al@work.example", "al@home.example")


def build_tree(path: Path) -> History:
    """Drivers under drivers/net/ with every fate a unit can meet after OLD."""
    h = History(path)
    base = {f"drivers/net/{name}/main.c": lines(40, name)
            for name in ("alive", "dead", "moved", "folded", "reorg", "quiet")}
    base["drivers/net/dead/dead.h"] = lines(5, "h")
    h.commit("2019-01-10", "initial import", base)
    for month in range(1, 13):  # one person, three addresses: three authors at OLD
        h.commit(f"2023-{month:02d}-05", f"net/alive: fix {month}",
                 {"drivers/net/alive/main.c": lines(40 + month, "alive")},
                 author=("Al Ive", AL[month % 3]))
    h.commit("2023-03-03", "net/dead: tweak", {"drivers/net/dead/main.c": lines(41, "dead")})
    h.commit("2024-05-30", "net/reorg: fix", {"drivers/net/reorg/main.c": lines(42, "reorg")})
    h.commit("2024-05-31", "last commit at OLD", {"README": "old\n"})
    # after OLD: everything below must not change what is computed as of OLD
    h.commit("2024-07-01", "net/dead: remove driver",
             {"drivers/net/dead/main.c": None, "drivers/net/dead/dead.h": None})
    h.commit("2024-07-02", "net/moved: move to vendor dir",
             renames=[("drivers/net/moved/main.c", "drivers/net/vendor/moved/main.c")])
    h.commit("2024-07-03", "net/alive: merge folded driver",
             {"drivers/net/folded/main.c": None,
              "drivers/net/alive/folded.c": lines(40, "folded")})
    h.commit("2024-07-04", "net: reorganise",
             renames=[("drivers/net/reorg/main.c", "drivers/net/vendor/reorg/main.c")])
    h.commit("2024-08-01", "vendor/reorg: remove the driver",
             {"drivers/net/vendor/reorg/main.c": None})
    for day in range(1, 25):  # a burst of later work on quiet and alive
        h.commit(f"2024-09-{day:02d}", f"net/quiet: change {day}",
                 {"drivers/net/quiet/main.c": lines(40 + day, "quiet"),
                  "drivers/net/alive/main.c": lines(60 + day, "alive")},
                 author=(f"Later {day}", f"later{day}@example.org"))
    # a later .mailmap that merges the three (and renames one of the later authors)
    h.commit("2024-10-01", "mailmap", {".mailmap": "".join(
        f"Al Ive <{AL[0]}> <{other}>\n" for other in (*AL[1:], "later1@example.org"))})
    h.build()
    return h


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backtest") / "kernel"
    build_tree(path)
    old = git(path, "rev-list", "-1", f"--before={OLD_DAY}", "HEAD").strip()
    git(path, "tag", "old", old)
    return path


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(ROOT / "policies/default.yaml", "policies/default.yaml")


def units_for(repo: object, sha: str, paths: list[str]) -> list[Unit]:
    return discover_units(paths, ["drivers/net"])


def test_ground_truth_counts_removals_not_moves_or_folds(tree: Path, policy: Policy) -> None:
    result = run_backtest(tree, ["old"], "HEAD", policy, units_for, jobs=1)
    outcome = {row.unit: row.removal for row in result.rows}
    assert set(outcome) == {"net/alive", "net/dead", "net/moved", "net/folded", "net/reorg",
                            "net/quiet"}
    removed = {unit: r.subject for unit, r in outcome.items() if r is not None}
    assert removed == {"net/dead": "net/dead: remove driver",
                       "net/reorg": "vendor/reorg: remove the driver"}
    dead = outcome["net/dead"]
    assert dead is not None and dead.files == 2 and str(dead.day) == "2024-07-01"
    assert result.points[0].units == 6 and result.points[0].removed == 2


@pytest.mark.parametrize("layout", ["normal", "bare"])
def test_nothing_after_old_leaks_into_signals(tree: Path, policy: Policy,
                                              tmp_path: Path, layout: str) -> None:
    """Work, removals and a .mailmap after OLD; the .mailmap merges three addresses
    used before OLD (git would read it from the work tree, or in a bare clone from
    HEAD). tests/test_collect_isolation.py checks every other kind of present state."""
    # A clone that holds only the history up to OLD: no object after OLD exists in it.
    cut = tmp_path / "cut"
    subprocess.run(["git", "clone", "-q", "--no-local", "--single-branch", "--branch", "old",
                    str(tree), str(cut)], env=GIT_ENV, check=True, capture_output=True)
    full_repo = tree
    if layout == "bare":
        full_repo = tmp_path / "bare"
        subprocess.run(["git", "clone", "-q", "--bare", "--no-local", str(tree),
                        str(full_repo)], env=GIT_ENV, check=True, capture_output=True)
    full = run_backtest(full_repo, ["old"], "HEAD", policy, units_for, jobs=1)
    alone = run_backtest(cut, ["HEAD"], "HEAD", policy, units_for, jobs=1)

    def view(rows: list[Row]) -> dict[str, tuple[object, ...]]:
        return {r.unit: (r.score, r.verdict, r.rule, r.confidence, r.features, r.findings)
                for r in rows}

    assert view(full.rows) == view(alone.rows)
    assert full.points[0].sha == alone.points[0].sha
    quiet = next(r for r in full.rows if r.unit == "net/quiet")
    assert quiet.features["commits"] == 0  # the burst after OLD is not seen
    alive = next(r for r in full.rows if r.unit == "net/alive")
    assert alive.features["authors"] == 3  # not merged by the later .mailmap


@pytest.mark.parametrize("layout", ["normal", "bare"])
@pytest.mark.parametrize("how", ["replace", "graft"])
def test_ground_truth_ignores_replace_refs_and_grafts(tree: Path, policy: Policy,
                                                      tmp_path: Path, how: str,
                                                      layout: str) -> None:
    """A replace ref or a graft that hides the commit removing net/dead from the history
    after OLD: git would then see no removal (the files are simply not at NEW)."""
    repo = tmp_path / layout
    if layout == "bare":
        subprocess.run(["git", "clone", "-q", "--bare", "--no-local", str(tree), str(repo)],
                       env=GIT_ENV, check=True, capture_output=True)
    else:
        shutil.copytree(tree, repo, symlinks=True)
    removal = git(repo, "log", "--format=%H", "--grep=net/dead: remove driver", "HEAD").strip()
    before = git(repo, "rev-parse", f"{removal}^").strip()
    after = git(repo, "log", "--format=%H", "--grep=net/moved: move", "HEAD").strip()
    if how == "replace":
        git(repo, "replace", "--graft", after, before)
    else:
        common = repo if layout == "bare" else repo / ".git"
        (common / "info").mkdir(exist_ok=True)
        (common / "info" / "grafts").write_text(f"{after} {before}\n")
    seen = subprocess.run(["git", "log", "--format=%H", "HEAD"], cwd=repo, env=GIT_ENV,
                          capture_output=True, check=True).stdout.decode()
    assert removal not in seen  # git, run the default way, no longer sees the removal
    result = run_backtest(repo, ["old"], "HEAD", policy, units_for, jobs=1)
    removed = {row.unit: row.removal.subject for row in result.rows if row.removal}
    assert removed == {"net/dead": "net/dead: remove driver",
                       "net/reorg": "vendor/reorg: remove the driver"}


def test_at_as_a_day_and_several_points(tree: Path, policy: Policy) -> None:
    result = run_backtest(tree, [OLD_DAY, "2024-07-02"], "HEAD", policy, units_for, jobs=1)
    first, second = result.points
    assert first.sha == git(tree, "rev-parse", "old").strip()
    assert first.removed == 2
    # on 2024-07-02 net/dead is already gone and net/moved has moved into net/vendor,
    # which is a unit of its own there (and survives)
    units = sorted(r.unit for r in result.rows if r.at == "2024-07-02")
    assert units == ["net/alive", "net/folded", "net/quiet", "net/reorg", "net/vendor"]
    assert second.removed == 1


# -- the command ---------------------------------------------------------------------------


def test_cli_formats_and_svg(tree: Path, tmp_path: Path, cli: Callable[..., Run]) -> None:
    svg = tmp_path / "roc.svg"
    result = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "old",
                 "--simple-units", "drivers/net", "--format", "json", "--svg", str(svg), "-q",
                 "--bootstrap", "50", "-j", "1")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    (group,) = data["groups"]
    assert group["units"] == 6 and group["removed"] == 2
    # every single signal is reported; the usage ones are null here (no Kconfig, no
    # configuration: no unit has them)
    assert list(group["signal_auc"]) == list(FEATURES)
    assert {name: group["signal_auc"][name] for name in (
        "configs", "config_upkeep", "selected", "dt_users")} == dict.fromkeys((
            "configs", "config_upkeep", "selected", "dt_users"))
    # two removed units: a figure, but no interval (too few to resample), and a warning
    assert 0.0 <= group["auc"] <= 1.0 and group["auc_ci"] is None and group["small_sample"]
    assert sum(group["confusion"]["removed"].values()) == 2
    scores = [r["score"] for r in group["highest_removed"]]
    assert scores == sorted(scores, reverse=True)
    assert {r["removal"]["subject"] for r in group["highest_removed"]} == {
        "net/dead: remove driver", "vendor/reorg: remove the driver"}
    lowest = [r["score"] for r in group["lowest_kept"]]
    assert lowest == sorted(lowest) and len(lowest) == 4
    root = ET.fromstring(svg.read_text().split("-->", 1)[1])
    assert root.tag.endswith("svg") and root.findall(".//{http://www.w3.org/2000/svg}polyline")
    again = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "old",
                "--simple-units", "drivers/net", "--format", "json", "-q", "--bootstrap", "50",
                "-j", "1")
    assert again.out == result.out  # deterministic, bootstrap included
    text = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "old",
               "--simple-units", "drivers/net", "-q", "--bootstrap", "20", "-j", "1")
    assert "score ROC AUC" in text.out and "highest-scoring removed:" in text.out
    assert ("warning: only 2 removed and 4 kept unit(s): too few to measure the score by (no "
            "interval is given below 10 of each); the AUC and precision describe these units, "
            "not the policy's power\n") in text.out
    assert "(no interval: too few cases)" in text.out and "95% CI" not in text.out
    markdown = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "old",
                   "--simple-units", "drivers/net", "-q", "--format", "markdown",
                   "--bootstrap", "20", "-j", "1")
    assert markdown.out.startswith("## Backtest: default v8 (sha256:")
    assert "| verdict | kept | removed |" in markdown.out
    assert "**Warning**: only 2 removed and 4 kept unit(s): too few" in markdown.out


def test_error_at_not_an_ancestor(tree: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "HEAD",
                 "--to", "old", "--simple-units", "drivers/net", "-q")
    assert result.code == 1
    assert "is not an ancestor of --to old" in result.err


def test_usage_error_option_like_revision(tree: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at=-p",
                 "--simple-units", "drivers/net", "-q")
    assert result.code == 2
    assert result.err == ("driver-policy backtest: usage error: --at '-p': a revision cannot "
                          "be empty or begin with '-'\n")


def test_error_no_removal_patterns(tree: Path, tmp_path: Path, cli: Callable[..., Run]) -> None:
    text = (ROOT / "policies/default.yaml").read_text()
    start = text.index("backtest:\n")
    end = text.index("\n\n", start)
    candidate = tmp_path / "policy.yaml"
    candidate.write_text(text[:start] + text[end + 2:])
    result = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "old",
                 "--simple-units", "drivers/net", "-q", "--policy", str(candidate))
    assert result.code == 1
    assert "backtest.removal_patterns is missing or empty" in result.err


def test_repository_units_by_default(tree: Path, repo: Path, cli: Callable[..., Run]) -> None:
    shutil.rmtree(repo / "drivers")
    (repo / "drivers/net").mkdir(parents=True)
    source = (ROOT / "policies/tests/nothing-known-neutral.yaml").read_text()
    body = source.split("driver:\n", 1)[1]
    doc = "\n".join(line[2:] for line in body.splitlines()) + "\n"
    (repo / "drivers/net/dead.yaml").write_text(
        doc.replace("drivers/misc/example-new/", "drivers/net/dead/"))
    result = cli("-C", str(repo), "backtest", "--kernel", str(tree), "--at", "old", "-q",
                 "--format", "json", "--bootstrap", "10", "-j", "1")
    assert result.code == 0, result.err
    (group,) = json.loads(result.out)["groups"]
    assert group["units"] == 1 and group["removed"] == 1


def test_commit_subjects_are_escaped_in_every_format(tmp_path: Path,
                                                     cli: Callable[..., Run]) -> None:
    h = History(tmp_path / "k")
    h.commit("2020-01-01", "import", {"drivers/net/evil/main.c": lines(10)})
    h.commit("2020-01-02", "last before OLD", {"README": "x\n"})
    h.commit("2021-01-01", "net/evil: remove driver \x1b]0;owned\x07 | <b>x</b> \u202e",
             {"drivers/net/evil/main.c": None})
    h.build()
    args = ("-C", str(ROOT), "backtest", "--kernel", str(tmp_path / "k"), "--at", "2020-06-01",
            "--simple-units", "drivers/net", "-q", "--bootstrap", "5", "-j", "1")
    text = cli(*args).out
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "remove driver \\x1b]0;owned\\x07 | <b>x</b> \\u202e" in text
    markdown = cli(*args, "--format", "markdown").out
    assert "\x1b" not in markdown and "| <b>" not in markdown
    assert "\\|" in markdown and "\\<b\\>" in markdown
    svg = tmp_path / "roc.svg"
    cli(*args, "--svg", str(svg))
    assert "<b>" not in svg.read_text()


def test_horizon_judges_each_point_by_a_later_tree(tree: Path, policy: Policy) -> None:
    # two months after OLD (2024-05-31) only net/dead is gone; net/reorg goes in August
    short = run_backtest(tree, ["old"], "HEAD", policy, units_for, jobs=1, horizon_months=2)
    (point,) = short.points
    assert point.removed == 1 and str(point.outcome_day) == "2024-07-04"
    assert {r.unit for r in short.rows if r.removed} == {"net/dead"}
    long = run_backtest(tree, ["old"], "HEAD", policy, units_for, jobs=1, horizon_months=120)
    assert long.points[0].outcome_sha == git(tree, "rev-parse", "HEAD").strip()
    assert long.points[0].removed == 2


def test_usage_error_discover_and_simple_units(tree: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "old",
                 "--discover", "drivers/net", "--simple-units", "drivers/net", "-q")
    assert (result.code, result.err) == (
        2, "driver-policy backtest: usage error: give --discover or --simple-units, not both\n")


def test_a_point_where_discovery_finds_nothing_is_said_and_left_out(
        tmp_path: Path, cli: Callable[..., Any]) -> None:
    """At the first point the drivers' build files had another name than the rules know:
    that point warns and is left out; the other is scored."""
    from collect_fixtures import History, lines

    h = History(tmp_path / "tree")
    h.commit("2020-01-10", "initial", {
        "Kconfig": 'source "drivers/Kconfig"\n',
        "drivers/Kconfig": 'config A\n\ttristate "A"\nconfig B\n\ttristate "B"\n',
        "drivers/GNUmakefile": "obj-$(CONFIG_A) += a.o\nobj-$(CONFIG_B) += b.o\n",
        "drivers/a.c": lines(3), "drivers/b.c": lines(3)})
    h.commit("2022-01-10", "build: rename", {
        "drivers/GNUmakefile": None,
        "drivers/Makefile": "obj-$(CONFIG_A) += a.o\nobj-$(CONFIG_B) += b.o\n"})
    h.commit("2024-01-10", "b: remove the driver", {"drivers/b.c": None})
    h.build()
    root = tmp_path / "p"
    assert cli("init", str(root), "--no-git").code == 0
    run = cli("-C", str(root), "backtest", "--kernel", str(tmp_path / "tree"), "--at",
              "2021-01-01", "--at", "2023-01-01", "--discover", "drivers", "--no-usage",
              "--format", "json", "-q")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    first, second = data["points"]
    assert (first["units"], second["units"], second["removed"]) == (0, 2, 1)
    assert first["warnings"][0].startswith("no unit has a file in the tree at ")
    assert [g["at"] for g in data["groups"]] == ["2023-01-01"]


def test_objects_missing_from_the_clone_narrow_the_ground_truth(tmp_path: Path,
                                                                policy: Policy) -> None:
    # A mirror that lacks its largest blobs: following renames across the whole commit
    # needs a file git cannot read; the removals below the units are still found.
    path = tmp_path / "k"
    h = History(path)
    h.commit("2019-01-10", "import", {"drivers/net/a/main.c": lines(30, "a"),
                                      "drivers/net/b/main.c": lines(30, "b")})
    h.commit("2020-01-10", "last before OLD", {"README": "x\n"})
    h.commit("2020-03-01", "app: a big table", {"app/big.h": lines(200, "big")})
    h.commit("2020-06-01", "app: split the big table",
             {"app/big.h": None, "app/table.h": lines(190, "big")})
    h.commit("2020-07-01", "net/b: remove driver", {"drivers/net/b/main.c": None})
    h.build()
    blob = git(path, "rev-parse", "HEAD~2:app/big.h").strip()
    pack_dir = path / ".git/objects/pack"
    for pack in sorted(pack_dir.glob("*.pack")):
        data = pack.read_bytes()
        for stale in pack_dir.glob(pack.stem + ".*"):
            stale.unlink()
        git(path, "unpack-objects", "-q", input=data)
    (path / ".git/objects" / blob[:2] / blob[2:]).unlink()
    result = run_backtest(path, ["2020-02-01"], "HEAD", policy, units_for, jobs=1)
    assert {r.unit: r.removed for r in result.rows} == {"net/a": False, "net/b": True}
    (point,) = result.points
    assert point.warnings[-1].startswith("git could not read every object of ")
    assert point.warnings[-1].endswith(": removals were read below drivers/net/a, "
                                       "drivers/net/b only (a move "
                                       "out of there counts as a deletion)")


# -- issue 23: dates at the edges of the calendar --------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "2999-12-31", "2500-01-01"])
def test_at_a_day_far_ahead_is_the_last_commit(tree: Path, policy: Policy, day: str) -> None:
    """git's date parser misreads 9999-12-31 23:59:59 and said "no commit on or before
    that day"; the commits' own timestamps are compared instead."""
    from checker.backtest.engine import resolve_point
    from checker.collect.gitrepo import open_repo, resolve

    repo = open_repo(tree)
    try:
        head = resolve(repo, "HEAD")
        assert resolve_point(repo, day, head, "--at").sha == head.sha
        assert resolve_point(repo, "2024-05-31", head, "--at").sha == \
            git(tree, "rev-parse", "old").strip()
        assert resolve_point(repo, "2019-01-10", head, "--at").sha == \
            git(tree, "rev-list", "--max-parents=0", "HEAD").strip()
    finally:
        repo.close()


def test_error_at_a_day_before_any_commit(tree: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "backtest", "--kernel", str(tree), "--at", "0001-01-01",
                 "--simple-units", "drivers/net", "-q")
    assert result.code == 1
    head = git(tree, "rev-parse", "HEAD").strip()
    assert result.err == (f"driver-policy backtest: --at 0001-01-01: no commit of {head[:12]} "
                          "on or before that day\n")


@pytest.mark.parametrize("months", [96_000, 10**30])
def test_a_horizon_past_year_9999_is_the_newest_tree(tree: Path, policy: Policy,
                                                      months: int) -> None:
    """Issue 23: `backtest --horizon N` past year 9999 crashed (ValueError, exit 3)."""
    result = run_backtest(tree, ["old"], "HEAD", policy, units_for, jobs=1,
                          horizon_months=months)
    assert result.points[0].outcome_sha == git(tree, "rev-parse", "HEAD").strip()
    assert result.points[0].removed == 2
