"""`driver-policy diff` and `driver-policy impact`: what a change does to verdicts.

Every test builds a real git repository from a copy of this repository's data.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run
from markdown_it import MarkdownIt
from test_gitsource import commit, edit, git, init_repo

from checker.evaluate.compare import Comparison, DriverChange, ProbeChange, State, compare
from checker.evaluate.engine import evaluate
from checker.report.comparison import markdown
from checker.validate.policy import load_policy
from checker.validate.workspace import load_workspace

IPOIB = "drivers/infiniband/ipoib.yaml"
SRPT = "drivers/infiniband/srpt.yaml"
OVERRIDE = """\
  override:
    verdict: deprecate
    reason: Vendor asked for a deprecation cycle before the next LTS.
    by: Ann Author
    until: 2026-12-31
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this repository's data, cards rendered, committed: made
    once, copied for each test."""
    from checker.cli.main import main

    repo = init_repo(tmp_path_factory.mktemp("seed") / "scratch")
    assert main(["-C", str(repo), "-q", "render"]) == 0
    commit(repo, "seed", when="2026-05-01T12:00:00+00:00")
    return repo


@pytest.fixture
def scratch(seeded: Path, tmp_path: Path) -> Path:
    """A copy of the seeded repository (its git history too) for one test."""
    return Path(shutil.copytree(seeded, tmp_path / "scratch", symlinks=True))


def lower_ipoib_deployment(repo: Path, cli: Callable[..., Run], *, record: bool) -> str:
    """The pull request of the worked example: deployment drops to low, cards re-rendered."""
    edit(repo / IPOIB, "deployment: medium", "deployment: low")
    if record:
        edit(repo / IPOIB, "verdict:\n  value: keep\n", "verdict:\n  value: keep-annotate\n")
        edit(repo / IPOIB, "recommendation_for: keep ", "recommendation_for: keep-annotate ")
    assert cli("-C", str(repo), "render").code == 0
    return commit(repo, "ipoib: deployment is low now", when="2026-05-02T12:00:00+00:00")


def html(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


# -- diff ---------------------------------------------------------------------------


def test_diff_says_ipoib_went_keep_to_keep_annotate_and_why(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    lower_ipoib_deployment(scratch, cli, record=True)
    result = cli("-C", str(scratch), "diff", "HEAD~1")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("driver-policy diff: HEAD~1 (")
    assert re.fullmatch(r"policy: default v8 \(sha256:[0-9a-f]{12}\)", lines[1])
    assert lines[3] == "verdict changes (1):"
    assert lines[4] == "  infiniband/ipoib: keep -> keep-annotate (score 8 -> 6, confidence 0.65)"
    assert lines[5] == "    deployment: medium (+2) -> low (+0): deployment is low"
    assert lines[6].startswith("    before: score 8 -> keep; deciding probes: activity +2")
    assert lines[7].startswith("    now: score 6 -> keep-annotate; deciding probes: activity +2")
    assert lines[8] == "    recorded verdict: keep -> keep-annotate"
    assert lines[-2:] == [
        "policy unchanged",
        "verdicts: keep 2 -> 1, keep-annotate 2 -> 3, deprecate 0, remove 1",
    ]
    assert "!" not in result.out  # the recorded verdict was updated: no warning


def test_diff_warns_when_the_recorded_verdict_was_not_updated(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    lower_ipoib_deployment(scratch, cli, record=False)
    result = cli("-C", str(scratch), "diff", "HEAD~1", "HEAD")
    assert (
        "    ! recorded verdict is keep but keep-annotate stands: `driver-policy check` fails "
        "until it is updated\n" in result.out
    )


def test_diff_markdown_renders_as_a_readable_comment(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    lower_ipoib_deployment(scratch, cli, record=False)
    result = cli("-C", str(scratch), "diff", "HEAD~1", "--format", "markdown")
    assert result.code == 0
    text = result.out
    assert text.startswith("<!-- driver-policy-diff -->\n## driver-policy: 1 verdict change\n\n")
    assert "{{" not in text and "{%" not in text
    page = html(text)
    assert "<h2>driver-policy: 1 verdict change</h2>" in page
    assert "<h3><code>infiniband/ipoib</code>: keep → keep-annotate</h3>" in page
    assert (
        "<td><code>infiniband/ipoib</code></td>\n<td>keep → <strong>keep-annotate</strong></td>\n"
        "<td>0.65 → 0.65</td>\n<td>8 → 6</td>\n<td><code>score</code></td>" in page
    )
    assert (
        "<td><code>deployment</code></td>\n<td>medium (+2)</td>\n<td>low (0)</td>\n"
        "<td>deployment is low</td>" in page
    )
    assert "<p><strong>Why keep-annotate now:</strong></p>" in page
    assert (
        "<li>score 6 gives keep-annotate (keep &gt;= 7; keep-annotate &gt;= 0; "
        "deprecate &gt;= -3; remove below -3)</li>" in page
    )
    assert "<summary>Why keep before</summary>" in page
    assert "The recorded verdict is <code>keep</code>" in page
    # every table has a header row and as many cells in each row
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        rows = re.findall(r"<tr>.*?</tr>", table, flags=re.S)
        widths = {len(re.findall(r"<t[dh][ >]", row)) for row in rows}
        assert len(widths) == 1, table


def test_diff_json(scratch: Path, cli: Callable[..., Run]) -> None:
    lower_ipoib_deployment(scratch, cli, record=True)
    result = cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json")
    data = json.loads(result.out)
    assert data["verdicts_changed"] is True
    assert [c["id"] for c in data["flips"]] == ["infiniband/ipoib"]
    (change,) = data["changed"]
    assert change["verdict_changed"] is True
    assert change["evidence_changed"] is True
    assert change["before"]["effective"] == "keep"
    assert change["after"]["effective"] == "keep-annotate"
    assert change["probes"] == [
        {
            "probe": "deployment",
            "before": "medium",
            "after": "low",
            "before_points": 2,
            "after_points": 0,
            "reason": "deployment is low",
        }
    ]
    assert data["distribution_before"] == {
        "keep": 2, "keep-annotate": 2, "deprecate": 0, "remove": 1}
    assert data["distribution_after"] == {
        "keep": 1, "keep-annotate": 3, "deprecate": 0, "remove": 1}
    assert data["policy"] == [] and data["added"] == [] and data["removed"] == []


def test_diff_of_a_policy_change_names_the_threshold_and_the_flips(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    edit(scratch / "policies/default.yaml", "thresholds:\n  keep: 7\n", "thresholds:\n  keep: 9\n")
    commit(scratch, "policy: keep needs 9")
    result = cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json")
    data = json.loads(result.out)
    assert data["policy"] == [
        {"key": "thresholds.keep", "group": "thresholds", "before": 7, "after": 9}
    ]
    assert [c["id"] for c in data["flips"]] == ["infiniband/ipoib"]
    assert data["flips"][0]["evidence_changed"] is False
    assert data["flips"][0]["probes"] == []
    text = cli("-C", str(scratch), "diff", "HEAD~1").out
    assert "policy changes (1):\n  thresholds.keep: 7 -> 9\n" in text
    assert "    evidence unchanged: the policy change moved it\n" in text
    page = html(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "markdown").out)
    assert (
        "<td>thresholds</td>\n<td><code>thresholds.keep</code></td>\n<td><code>7</code></td>\n"
        "<td><code>9</code></td>" in page
    )
    assert "No probe changed its value or points" in page


def test_diff_of_rule_and_probe_constants(scratch: Path, cli: Callable[..., Run]) -> None:
    policy = scratch / "policies/default.yaml"
    edit(policy, "points: {none: -3, low: 0, medium: 2, high: 3}",
         "points: {none: -3, low: 1, medium: 2, high: 3}")
    edit(policy, "    at_most: deprecate\n    why: the driver depends on BROKEN",
         "    at_most: remove\n    why: the driver depends on BROKEN")
    commit(scratch, "policy: constants")
    data = json.loads(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json").out)
    assert [(p["key"], p["group"], p["before"], p["after"]) for p in data["policy"]] == [
        ("probes.deployment.points.low", "probe constants", 0, 1),
        ("rules.broken-caps.at_most", "hard rules", "deprecate", "remove"),
    ]
    # iser's deployment is low: +1 now
    (iser,) = [c for c in data["changed"] if c["id"] == "infiniband/iser"]
    assert iser["probes"][0]["probe"] == "deployment"
    assert (iser["probes"][0]["before_points"], iser["probes"][0]["after_points"]) == (0, 1)


def test_diff_lists_drivers_added_and_removed(scratch: Path, cli: Callable[..., Run]) -> None:
    text = (scratch / "drivers/infiniband/iser.yaml").read_text()
    text = text.replace("subsystem: infiniband", "subsystem: net").replace(
        "drivers/infiniband/ulp/iser", "drivers/net/iser-copy")
    (scratch / "drivers/net/iser-copy.yaml").write_text(text)
    (scratch / "drivers/infiniband/siw.yaml").unlink()
    commit(scratch, "add and remove")
    result = cli("-C", str(scratch), "diff", "HEAD~1")
    assert "drivers added (1):\n  net/iser-copy: keep-annotate (score 5, confidence 0.75)\n" in (
        result.out)
    assert "drivers removed (1):\n  infiniband/siw: keep (score 5, confidence 0.68)\n" in result.out
    assert cli("-C", str(scratch), "diff", "HEAD~1", "--fail-on-change").code == 1


def test_diff_reports_overrides_added_and_expired(scratch: Path, cli: Callable[..., Run]) -> None:
    edit(scratch / SRPT, "verdict:\n  value: keep-annotate\n", "verdict:\n  value: deprecate\n")
    edit(scratch / SRPT, "recommendation_for: keep-annotate ", "recommendation_for: deprecate ")
    (scratch / SRPT).write_text((scratch / SRPT).read_text() + OVERRIDE)
    commit(scratch, "srpt: override to deprecate")
    before_expiry = cli("-C", str(scratch), "diff", "HEAD~1", "--today", "2026-06-01")
    assert (
        "overrides (1):\n  infiniband/srpt: added: deprecate until 2026-12-31 by Ann Author\n"
        in before_expiry.out
    )
    assert "  infiniband/srpt: keep-annotate -> deprecate (score 6, confidence 0.68)\n" in (
        before_expiry.out)
    assert "    override: none -> deprecate\n" in before_expiry.out
    after_expiry = cli("-C", str(scratch), "diff", "HEAD~1", "--today", "2027-01-15")
    assert "  infiniband/srpt: added (expired): deprecate until 2026-12-31" in after_expiry.out
    # an unchanged override that has expired is reported as such
    unchanged = cli("-C", str(scratch), "diff", "HEAD", "HEAD", "--today", "2027-01-15")
    assert unchanged.out.splitlines()[3:5] == [
        "no verdict changes",
        "overrides (1):",
    ]
    assert "  infiniband/srpt: expired: deprecate until 2026-12-31 by Ann Author" in unchanged.out
    page = html(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "markdown",
                    "--today", "2027-01-15").out)
    assert "<td>added (expired)</td>" in page


def test_fail_on_change(scratch: Path, cli: Callable[..., Run]) -> None:
    assert cli("-C", str(scratch), "diff", "HEAD", "HEAD", "--fail-on-change").code == 0
    lower_ipoib_deployment(scratch, cli, record=True)
    assert cli("-C", str(scratch), "diff", "HEAD~1").code == 0
    assert cli("-C", str(scratch), "diff", "HEAD~1", "--fail-on-change").code == 1


def test_diff_without_head_compares_with_the_working_tree(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    lower_ipoib_deployment(scratch, cli, record=True)
    edit(scratch / SRPT, "deployment: low", "deployment: high")  # uncommitted
    result = cli("-C", str(scratch), "diff", "HEAD~1")
    assert result.out.splitlines()[0].endswith(
        " -> working tree (uncommitted changes included)")
    data = json.loads(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json").out)
    assert [c["id"] for c in data["changed"]] == ["infiniband/ipoib", "infiniband/srpt"]
    assert data["head"] == "working tree (uncommitted changes included)"


def test_error_diff_range_gives_a_hint(scratch: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(scratch), "diff", "main..HEAD")
    assert result.code == 2
    assert result.err == (
        "driver-policy diff: usage error: 'main..HEAD': diff takes two revisions, not a "
        "range: driver-policy diff main HEAD (or --merge-base BASE HEAD for what a pull "
        "request changes)\n"
    )


def test_error_policy_content_changed_without_a_version_bump(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    edit(scratch / "policies/default.yaml", "thresholds:\n  keep: 7\n", "thresholds:\n  keep: 8\n")
    result = cli("-C", str(scratch), "diff", "HEAD")
    assert result.code == 1
    assert re.fullmatch(
        r"driver-policy diff: policies/default.yaml: the policy's content changed "
        r"\(sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}\) but its version is still 8; set "
        r"version: 9 \(docs/policy.md says when\)\n", result.err)
    edit(scratch / "policies/default.yaml", "\nversion: 8\n", "\nversion: 9\n")
    bumped = cli("-C", str(scratch), "diff", "HEAD")
    assert bumped.code == 0, bumped.err
    assert "policy: default v8 (sha256:" in bumped.out and " -> default v9 (sha256:" in bumped.out


def test_merge_base_shows_only_what_the_branch_changes(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    git(scratch, "checkout", "-q", "-b", "feature")
    lower_ipoib_deployment(scratch, cli, record=True)
    git(scratch, "checkout", "-q", "main")
    edit(scratch / "policies/default.yaml", "thresholds:\n  keep: 7\n", "thresholds:\n  keep: 8\n")
    commit(scratch, "policy on main")
    direct = json.loads(cli("-C", str(scratch), "diff", "main", "feature", "--format", "json").out)
    assert [p["key"] for p in direct["policy"]] == ["thresholds.keep"]  # main's change, reversed
    merge_base = cli("-C", str(scratch), "diff", "--merge-base", "main", "feature", "--format",
                     "json")
    data = json.loads(merge_base.out)
    assert data["policy"] == []
    assert [c["id"] for c in data["flips"]] == ["infiniband/ipoib"]
    assert data["base"].startswith("merge base of main and feature (")


def test_diff_leaves_the_working_tree_alone(scratch: Path, cli: Callable[..., Run]) -> None:
    lower_ipoib_deployment(scratch, cli, record=True)
    edit(scratch / SRPT, "deployment: low", "deployment: high")  # uncommitted
    status = git(scratch, "status", "--porcelain")
    head = git(scratch, "rev-parse", "HEAD")
    stamps = {p: p.stat().st_mtime_ns for p in scratch.rglob("*") if ".git" not in p.parts}
    result = cli("-C", str(scratch), "diff", "HEAD~1", "HEAD", "--format", "json")
    assert [c["id"] for c in json.loads(result.out)["changed"]] == ["infiniband/ipoib"]
    assert git(scratch, "status", "--porcelain") == status
    assert git(scratch, "rev-parse", "HEAD") == head
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_diff_reports_problems_at_head(scratch: Path, cli: Callable[..., Run]) -> None:
    edit(scratch / "drivers/infiniband/iser.yaml", "deployment: low", "deployment: lo")
    commit(scratch, "break iser")
    result = cli("-C", str(scratch), "diff", "HEAD~1")
    assert result.code == 0
    assert "problems at head (1; run driver-policy check):\n  drivers/infiniband/iser.yaml:" in (
        result.out)
    # an invalid file is neither removed nor changed
    assert "drivers removed" not in result.out


def test_diff_when_the_head_policy_is_invalid(scratch: Path, cli: Callable[..., Run]) -> None:
    edit(scratch / "policies/default.yaml", "thresholds:\n  keep: 7\n", "thresholds:\n  keep: -1\n")
    commit(scratch, "break the policy")
    lines = (scratch / "policies/default.yaml").read_text().splitlines()
    line = lines.index("  keep-annotate: 0") + 1
    result = cli("-C", str(scratch), "diff", "HEAD~1")
    assert result.code == 0
    data = json.loads(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json").out)
    digest = data["policy_before"].removeprefix("default v8 ")
    assert result.out.splitlines()[1:] == [
        f"policy: default v8 {digest} -> invalid",
        "",
        "no verdict changes",
        "policy changes (1):",
        "  thresholds.keep: 7 -> -1",
        "verdicts: not computed (no valid policy on one side)",
        "problems at head (1; run driver-policy check):",
        f"  policies/default.yaml:{line}:18: thresholds.keep-annotate: must be below "
        "thresholds.keep (-1); found 0",
    ]
    data = json.loads(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json").out)
    assert data["policy_after"] is None and data["distribution_after"] is None
    page = html(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "markdown").out)
    assert "Verdicts were not computed: there is no valid policy on one side." in page


def test_markdown_escapes_text_from_evidence(tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)> | [link](javascript:alert(1)) **bold** `code`"
    state = State("keep", "keep", "keep", None, 6, 0.7, "score", "d", (f"report by {hostile}",))
    after = State("keep-annotate", "keep-annotate", "keep", None, 5, 0.6, "score", "d",
                  (f"report by {hostile}",))
    change = DriverChange("net/x", "drivers/net/x.yaml", state, after,
                          (ProbeChange("user_reports", "1", "0", 2, 0, hostile),), True)
    comparison = Comparison(
        "a", "b", "default v1", "default v1", (), (), (change,), (), (),
        {"keep": 1, "keep-annotate": 0, "deprecate": 0, "remove": 0},
        {"keep": 0, "keep-annotate": 1, "deprecate": 0, "remove": 0}, (), (hostile,),
    )
    text = markdown(comparison, ROOT / "templates")
    page = html(text)
    assert "<img" not in page and 'href="javascript' not in page and "<strong>bold" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # the pipe did not split the table row
    assert (
        "<td>&lt;img src=x onerror=alert(1)&gt; | [link](javascript:alert(1)) **bold** "
        "<code>code</code></td>" in page
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--", "-x"], "revision '-x': a revision cannot begin with '-'"),
        (["HEAD", "--", "--output=/tmp/x"],
         "revision '--output=/tmp/x': a revision cannot begin with '-'"),
        (["nope"], "revision 'nope' does not name a commit in {repo}"),
        (["HEAD", "nope"], "revision 'nope' does not name a commit in {repo}"),
        (["HEAD^{tree}"], "revision 'HEAD^{{tree}}' does not name a commit in {repo}"),
    ],
)
def test_error_diff_bad_revision(
    scratch: Path, cli: Callable[..., Run], args: list[str], message: str
) -> None:
    result = cli("-C", str(scratch), "diff", *args)
    assert result.code == 2
    assert result.out == ""
    assert result.err == f"driver-policy diff: usage error: {message.format(repo=scratch)}\n"


def test_error_diff_outside_git(repo: Path, cli: Callable[..., Run]) -> None:
    shutil.rmtree(repo / ".git", ignore_errors=True)
    result = cli("-C", str(repo), "diff", "HEAD~1")
    assert result.code == 2
    assert result.err == (
        f"driver-policy diff: usage error: {repo} is not inside a git repository (diff, "
        "history and impact read revisions from git)\n"
    )


def test_error_diff_unknown_option_is_an_argparse_error(
    scratch: Path, cli: Callable[..., Run]
) -> None:
    result = cli("-C", str(scratch), "diff", "HEAD", "--output=/tmp/x")
    assert result.code == 2
    assert "unrecognized arguments: --output=/tmp/x" in result.err


@pytest.mark.parametrize("command", ["diff", "impact", "history", "stale"])
def test_help_has_examples(cli: Callable[..., Run], command: str) -> None:
    result = cli(command, "--help")
    assert result.code == 0
    assert "\nexamples:\n  driver-policy " + command in result.out


# -- impact -------------------------------------------------------------------------


def candidate_policy(tmp_path: Path, keep: int) -> Path:
    text = (ROOT / "policies/default.yaml").read_text()
    path = tmp_path / "candidate.yaml"
    path.write_text(text.replace("thresholds:\n  keep: 7\n", f"thresholds:\n  keep: {keep}\n"))
    return path


@pytest.mark.parametrize("keep", [9, 10, 12])
def test_impact_lists_exactly_the_drivers_whose_verdict_changes(
    repo: Path, tmp_path: Path, cli: Callable[..., Run], keep: int
) -> None:
    candidate = candidate_policy(tmp_path, keep)
    result = cli("-C", str(repo), "impact", "--policy", str(candidate), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)

    workspace = load_workspace(repo)
    assert workspace.policy is not None
    new = load_policy(candidate, "candidate.yaml")
    expected = {}
    for driver in workspace.drivers:
        before, after = evaluate(driver, workspace.policy), evaluate(driver, new)
        if before.value != after.value:
            expected[driver.id] = (before.value, after.value)
    assert expected  # raising the keep threshold flips at least ipoib (score 8)
    assert {c["id"]: (c["before"]["effective"], c["after"]["effective"])
            for c in data["flips"]} == expected
    assert data["policy"] == [
        {"key": "thresholds.keep", "group": "thresholds", "before": 7, "after": keep}
    ]
    counts_after = {v: 0 for v in ("keep", "keep-annotate", "deprecate", "remove")}
    for driver in workspace.drivers:
        counts_after[evaluate(driver, new).value] += 1
    assert data["distribution_after"] == counts_after


def test_impact_text_and_markdown(repo: Path, tmp_path: Path, cli: Callable[..., Run]) -> None:
    candidate = candidate_policy(tmp_path, 9)
    text = cli("-C", str(repo), "impact", "--policy", str(candidate)).out
    assert "verdicts that would change (1):\n  infiniband/ipoib: keep -> keep-annotate" in text
    assert "    now: score 8 -> keep-annotate; deciding probes: " in text
    assert "    before: score 8 -> keep; deciding probes: " in text
    assert "policy changes (1):\n  thresholds.keep: 7 -> 9\n" in text
    assert "verdicts: keep 2 -> 1, keep-annotate 2 -> 3, deprecate 0, remove 1\n" in text
    page = html(cli("-C", str(repo), "impact", "--policy", str(candidate), "--format",
                    "markdown").out)
    assert "<h2>driver-policy impact: 1 verdict would change</h2>" in page
    unchanged = cli("-C", str(repo), "impact", "--policy", str(ROOT / "policies/default.yaml"))
    assert "no verdict would change\n" in unchanged.out
    assert cli("-C", str(repo), "impact", "--policy", str(candidate), "--fail-on-change").code == 1


def test_impact_does_not_need_git(repo: Path, tmp_path: Path, cli: Callable[..., Run]) -> None:
    assert not (repo / ".git").exists()
    result = cli("-C", str(repo), "impact", "--policy", str(candidate_policy(tmp_path, 8)))
    assert result.code == 0


def test_error_impact_missing_candidate(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "impact", "--policy", "no/such.yaml")
    assert result.code == 2
    assert result.err == "driver-policy impact: usage error: --policy no/such.yaml: no such file\n"


def test_error_impact_candidate_is_a_directory(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    result = cli("-C", str(repo), "impact", "--policy", str(tmp_path))
    assert result.code == 2
    assert result.err == f"driver-policy impact: usage error: --policy {tmp_path}: not a file\n"


def test_error_impact_invalid_candidate(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    candidate = candidate_policy(tmp_path, -1)  # not above keep-annotate's -1
    result = cli("-C", str(repo), "impact", "--policy", str(candidate))
    assert result.code == 1
    assert result.err.startswith("driver-policy impact: the policy is invalid:\n")
    assert f"{candidate}:" in result.err and "thresholds.keep-annotate: must be below" in result.err


def test_compare_is_pure_and_sorted(repo: Path) -> None:
    workspace = load_workspace(repo)
    same = compare(workspace, workspace)
    assert same.empty and not same.verdicts_changed
    assert same.distribution_before == same.distribution_after


def test_the_comment_makes_no_link_mention_or_reference(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    """GitHub's own renderer (cmark-gfm) reads the comment of a pull request that puts
    hostile text in evidence and the policy: no autolink (x_www., _https://, e-mail,
    xmpp:, mailto:), no mention, no issue reference, no hidden character."""
    from strategies import check_gfm, no_hidden, plant_hostile_text

    repo = init_repo(tmp_path / "repo")
    commit(repo, "seed")
    plant_hostile_text(repo, "x_www.evil.example _https://evil.example/p *www.e.example "
                       "(www.e.example) eve@example.org xmpp:a@b.example/r MAILTO:a@b.example "
                       "@octocat #12 GH-3 \u00ad\u3164\ufe0f\u034f http://x\\<b\\>y")
    commit(repo, "hostile")
    page = cli("-C", str(repo), "diff", "HEAD~1", "--format", "markdown").out
    assert "x_www" in page and "evil.example" in page
    check_gfm(page, set(), comment=True)
    no_hidden(html(page))


def test_the_distribution_counts_drafts_apart(scratch: Path, cli: Callable[..., Run]) -> None:
    """A draft publishes no verdict: the totals leave it out and say how many there are."""
    from test_draft import _make_draft

    _make_draft(scratch)
    assert cli("-C", str(scratch), "render").code == 0
    commit(scratch, "siw: back to a draft", when="2026-05-02T12:00:00+00:00")
    result = cli("-C", str(scratch), "diff", "HEAD~1")
    assert result.out.splitlines()[-1] == (
        "verdicts: keep 2 -> 1, keep-annotate 2, deprecate 0, remove 1; drafts (no verdict "
        "published, not counted) 0 -> 1")
    page = cli("-C", str(scratch), "diff", "HEAD~1", "--format", "markdown").out
    assert "| keep | 2 | 1 |\n" in page
    assert "| *draft* (no verdict published, not counted above) | 0 | 1 |\n" in page
    data = json.loads(cli("-C", str(scratch), "diff", "HEAD~1", "--format", "json").out)
    assert (data["drafts_before"], data["drafts_after"]) == (0, 1)
    assert data["distribution_after"]["keep"] == 1
