"""`driver-policy calibrate` on a real git repository: train before a date, test after,
the candidate policy's text, its reports; and the candidate text editor on its own."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from collect_fixtures import History, lines
from conftest import ROOT, Run

from checker.backtest.calibrate import candidate_text, train_start
from checker.backtest.coding import slots_of, with_numbers
from checker.backtest.fit import Settings
from checker.load.document import read_document
from checker.validate.policy import load_policy

ALIVE = [f"a{i}" for i in range(8)]
DORMANT = [f"d{i}" for i in range(10)]
REMOVED = {2016: ("d0", "d1", "d2"), 2017: ("d3", "d4"), 2018: ("d5", "d6"),
           2019: ("d7", "d8")}


def build(path: Path) -> None:
    """Busy drivers (a*) and dormant ones (d*); d0-d4 removed in 2016-2017 (training),
    d5-d8 in 2018-2019 (test)."""
    h = History(path)
    h.commit("2010-01-10", "initial import",
             {f"drivers/net/{n}/main.c": lines(30, n) for n in ALIVE + DORMANT})
    for year in range(2011, 2020):
        for month in range(1, 13, 2):
            for i, name in enumerate(ALIVE):
                h.commit(f"{year}-{month:02d}-{i + 2:02d}", f"net/{name}: fix {year}.{month}",
                         {f"drivers/net/{name}/main.c": lines(30 + month + year % 7, name)},
                         author=(f"Dev {(i + month) % 3}", f"dev{(i + month) % 3}@example.org"))
            if month == 7:
                for gone in REMOVED.get(year, ()):
                    h.commit(f"{year}-07-20", f"net/{gone}: remove driver",
                             {f"drivers/net/{gone}/main.c": None})
    h.build()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibrate") / "kernel"
    build(path)
    return path


def flat_policy(tmp_path: Path) -> Path:
    """The default policy with the history probes' points at 0 (they carry nothing),
    min_removals 3 and flag_share 0.6: what the fit has to learn is that busy drivers
    stay, and that the dormant ones (10 of 18) may all be flagged."""
    policy = load_policy(ROOT / "policies/default.yaml", "policies/default.yaml")
    doc, _ = read_document(ROOT / "policies/default.yaml", "policies/default.yaml")
    assert doc is not None
    slots = slots_of(policy, ("activity", "recency", "substantive_work", "authors", "churn"))
    text = candidate_text((ROOT / "policies/default.yaml").read_text(), doc.locate,
                          {s.path: (s.value, 0.0) for s in slots if s.value},
                          (policy.version, policy.version), [])
    text = text.replace("  min_removals: 10\n", "  min_removals: 3\n")
    text = re.sub(r"(?m)^  flag_share: [0-9.]+", "  flag_share: 0.6", text)
    out = tmp_path / "flat.yaml"
    out.write_text(text)
    return out


def test_train_start_is_train_months_before(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "policies/default.yaml", "policies/default.yaml")
    assert train_start("2022-01-31", Settings.from_policy(policy), policy) == "2017-01-31"


def test_candidate_text_changes_only_the_numbers(tmp_path: Path) -> None:
    path = ROOT / "policies/default.yaml"
    policy = load_policy(path, "policies/default.yaml")
    doc, _ = read_document(path, "policies/default.yaml")
    assert doc is not None
    changes = {("probes", "churn", "bands", 1, "points"): (-1.0, 0.0),
               ("probes", "maintainers", "points", "Odd Fixes"): (0.0, -1.0),
               ("probes", "maintainers", "points", "Orphan"): (-2.0, -3.0),
               ("thresholds", "keep-annotate"): (0.0, 1.0)}
    text = candidate_text(path.read_text(), doc.locate, changes, (8, 9), ["fitted on a test"])
    before, after = path.read_text().split("\n"), text.split("\n")
    assert after[:3] == [before[0], "#", "# fitted on a test"]
    differing = [(a, b) for a, b in zip(before[1:], after[3:], strict=True) if a != b]
    assert differing == [
        ("version: 8", "version: 9"),
        ("      - {at_least: 20, points: -1, label: small change}",
         "      - {at_least: 20, points: 0, label: small change}  # calibrated: band 2 -1 -> 0"),
        ("    points: {Supported: 1, Maintained: 0, Odd Fixes: 0, Orphan: -2, Obsolete: -3}",
         "    points: {Supported: 1, Maintained: 0, Odd Fixes: -1, Orphan: -3, Obsolete: -3}"
         "  # calibrated: Odd Fixes 0 -> -1, Orphan -2 -> -3"),
        ("  keep-annotate: 0", "  keep-annotate: 1  # calibrated: keep-annotate 0 -> 1")]
    written = tmp_path / "candidate.yaml"
    written.write_text(text)
    expected = with_numbers(policy, {p: a for p, (_, a) in changes.items()
                                     if p[0] != "thresholds"},
                            {**policy.thresholds, "keep-annotate": 1}, version=9)
    assert load_policy(written, "candidate.yaml").raw == expected.raw


def test_candidate_text_refuses_a_number_it_cannot_find() -> None:
    path = ROOT / "policies/default.yaml"
    doc, _ = read_document(path, "policies/default.yaml")
    assert doc is not None
    from checker.core.errors import CheckerError

    with pytest.raises(CheckerError, match=r"cannot place the fitted value of "
                       r"probes\.churn\.bands\[2\]\.points at line \d+: the policy's text "
                       r"there is not 5"):
        candidate_text(path.read_text(), doc.locate,
                       {("probes", "churn", "bands", 1, "points"): (5.0, 1.0)}, (8, 9), [])


def test_calibrate_fits_tests_and_writes_the_candidate(tree: Path, tmp_path: Path,
                                                      cli: Callable[..., Run]) -> None:
    policy = flat_policy(tmp_path)
    out = tmp_path / "cal"
    args = ("-C", str(ROOT), "calibrate", "--kernel", str(tree), "--train-until",
            "2018-01-01", "--at", "2016-01-01", "--simple-units", "drivers/net",
            "--policy", str(policy), "--out", str(out), "-q", "-j", "1", "--bootstrap", "50")
    result = cli(*args)
    assert result.code == 0, result.err
    text = result.out
    policy_digest = load_policy(policy, "flat.yaml").label.split(" (", 1)[1][:-1]
    assert [re.sub(r"\b[0-9a-f]{12}\b", "SHA", line) for line in text.splitlines()[1:3]] == [
        "  train: 18 units at 2016-01-01 (SHA, 2015-11-09), 5 removed by 2017-11-09 (SHA)",
        "  test:  13 units at 2018-01-01 (SHA, 2017-11-09), 4 removed by 2019-11-09 (SHA)"]
    # 5 of the 10 dormant units were removed, none of the busy ones: as good as can be
    # (0.808), and of the moves that reach it the one that flags the dormant units
    assert text.splitlines()[3:10] == [
        "training AUC 0.500 -> 0.808",
        "changed numbers (in the order the fit took them):",
        "  probes.activity.bands[4].points: 0 -> -1  (activity >= 0 (dormant); training AUC "
        "0.808, informedness 0.444 within the share (removals caught less units flagged))",
        "thresholds: keep 7, keep-annotate 0, deprecate -3",
        "training: deprecate+remove flags 0.0% -> 55.6% (2016-01-01), 0.0% -> 38.5% "
        "(2018-01-01, outcomes not read) of the units (target at most 60.0%), catching 0.0% "
        "-> 100.0% of the removals within 24 months of their point",
        "held out (test):",
        "  default v8 (" + policy_digest + "): AUC 0.500; flags 0 (0.0%), "
        "precision n/a, recall 0.000"]
    assert text.splitlines()[10].endswith(
        "AUC 0.944; flags 5 (38.5%), precision 0.800, recall 1.000")
    candidate = out / "policy.yaml"
    assert sorted(p.name for p in out.iterdir()) == ["backtest.md", "impact.md", "policy.yaml"]
    written = load_policy(candidate, str(candidate))
    assert written.version == 9
    assert written.probes["activity"]["bands"][3]["points"] == -1
    body = candidate.read_text()
    assert "# Candidate v9, calibrated from default v8 by `driver-policy calibrate`" in body
    assert "#   driver-policy calibrate --kernel" in body
    assert "      - {at_least: 0.0, points: -1, label: dormant}  # calibrated: band 4 0 -> -1\n" \
        in body
    report = (out / "backtest.md").read_text()
    assert report.startswith("# Calibration of default v8 (sha256:")
    assert ("| `probes.activity.bands[4].points` | 0 | -1 | activity \\>= 0 (dormant) | 0.808 "
            "| informedness 0.444 within the share (removals caught less units flagged) |"
            ) in report
    assert "### Backtest: default v9" in report
    assert (out / "impact.md").read_text().startswith("<!-- driver-policy-diff -->")
    # held out: the candidate ranks the test's removals first, the flat policy cannot
    data = json.loads(cli(*args, "--format", "json").out)
    assert data["held_out"]["candidate"]["auc"] == 0.9444
    assert data["held_out"]["input"]["auc"] == 0.5
    assert data["fit"]["changes"] == [{
        "round": 1, "number": "activity >= 0 (dormant)",
        "path": "probes.activity.bands[4].points", "before": 0.0, "after": -1.0,
        "training_auc": 0.8077, "training_catch": 0.4444}]
    assert candidate.read_text() == body  # deterministic: the same bytes again


def test_calibrate_pools_several_training_points(tree: Path, tmp_path: Path,
                                                 cli: Callable[..., Run]) -> None:
    """With min_removals 10, one point (5 removals by DATE) is too few to fit the points;
    two points pooled (5 + 5) are enough, each shown and each its own stratum."""
    policy = flat_policy(tmp_path)
    policy.write_text(policy.read_text().replace("  min_removals: 3\n", "  min_removals: 10\n"))
    base = ("-C", str(ROOT), "calibrate", "--kernel", str(tree), "--train-until", "2018-01-01",
            "--simple-units", "drivers/net", "--policy", str(policy), "-q", "-j", "1",
            "--bootstrap", "50", "--format", "json")
    one = json.loads(cli(*base, "--at", "2016-01-01", "--out", str(tmp_path / "one")).out)
    assert one["fit"]["points_fitted"] is False and one["fit"]["changes"] == []
    assert one["fit"]["warnings"][-1] == (
        "to fit the points, pool more training points: --at is repeatable (e.g. add --at "
        "2013-11-09); a unit removed before DATE counts at each point it was present at")
    two = cli(*base, "--at", "2014-01-01", "--at", "2016-01-01", "--out", str(tmp_path / "two"))
    assert two.code == 0, two.err
    data = json.loads(two.out)
    assert [(p["at"], p["units"], p["removed"]) for p in data["train"]] == [
        ("2014-01-01", 18, 5), ("2016-01-01", 18, 5)]
    assert data["fit"]["points_fitted"] is True
    # the dormant units last changed in 2010: older than three years at both points
    assert [c["path"] for c in data["fit"]["changes"]] == ["probes.recency.older"]
    assert data["held_out"]["input"]["auc"] == 0.5
    assert data["held_out"]["candidate"]["auc"] == 0.9444
    body = (tmp_path / "two" / "policy.yaml").read_text()
    assert "--at 2014-01-01 --at 2016-01-01" in body
    assert "# Trained on 18 units present at" in body and "#     and on 18 units present at" in body
    report = (tmp_path / "two" / "backtest.md").read_text()
    assert report.count("| train | 18 | `2014-01-01`") == 1
    assert report.count("| train | 18 | `2016-01-01`") == 1


def test_calibrate_usage_errors(tree: Path, tmp_path: Path, cli: Callable[..., Run]) -> None:
    base = ("-C", str(ROOT), "calibrate", "--kernel", str(tree), "--simple-units",
            "drivers/net", "-q", "--out", str(tmp_path / "x"))
    bad_day = cli(*base, "--train-until", "2018-13-01")
    assert bad_day.code == 2
    assert bad_day.err == ("driver-policy calibrate: usage error: --train-until "
                           "'2018-13-01': give a day YYYY-MM-DD\n")
    dash = cli(*base, "--train-until", "2018-01-01", "--at=-p")
    assert dash.code == 2 and "--at '-p': a revision cannot be empty" in dash.err
    same = cli(*base, "--train-until", "2018-01-01", "--at", "2018-01-01")
    assert same.code == 1
    assert "--at 2018-01-01 and --train-until 2018-01-01 are the same revision" in same.err
    assert not (tmp_path / "x").exists()


def test_calibrate_without_a_calibration_section(tree: Path, tmp_path: Path,
                                                 cli: Callable[..., Run]) -> None:
    text = (ROOT / "policies/default.yaml").read_text()
    start = text.index("\ncalibration:\n")
    end = text.index("\n\n", start + 1)
    policy = tmp_path / "p.yaml"
    policy.write_text(text[:start] + text[end:])
    result = cli("-C", str(ROOT), "calibrate", "--kernel", str(tree), "--train-until",
                 "2018-01-01", "--simple-units", "drivers/net", "-q", "--policy", str(policy),
                 "--out", str(tmp_path / "x"))
    assert result.code == 1
    assert "no `calibration:` section" in result.err
