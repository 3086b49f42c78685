"""The engine on the repository's drivers: seeds' verdicts, evidence moving verdicts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run

from checker.evaluate.engine import evaluate
from checker.evaluate.rules import holds
from checker.validate.workspace import load_workspace

SEED_VERDICTS = {
    "infiniband/ipoib": "keep",
    "infiniband/iser": "keep-annotate",
    "infiniband/srpt": "keep-annotate",
    "infiniband/siw": "keep",
    "net/smc-tcp-ulp": "remove",
}


def test_seed_verdicts_are_recomputed() -> None:
    workspace = load_workspace(ROOT)
    assert workspace.policy is not None
    computed = {d.id: evaluate(d, workspace.policy).value for d in workspace.drivers}
    assert {k: computed[k] for k in SEED_VERDICTS} == SEED_VERDICTS


def test_evaluation_is_deterministic() -> None:
    workspace = load_workspace(ROOT)
    assert workspace.policy is not None
    for driver in workspace.drivers:
        assert evaluate(driver, workspace.policy) == evaluate(driver, workspace.policy)


def test_ipoib_with_low_deployment_computes_keep_annotate(repo: Path) -> None:
    path = repo / "drivers/infiniband/ipoib.yaml"
    path.write_text(path.read_text().replace("deployment: medium", "deployment: low"))
    workspace = load_workspace(repo)
    assert workspace.policy is not None
    ipoib = next(d for d in workspace.drivers if d.id == "infiniband/ipoib")
    assert evaluate(ipoib, workspace.policy).value == "keep-annotate"


def test_error_flipped_verdict_names_driver_recorded_computed_and_probes(
    repo: Path, cli: Callable[..., Run]
) -> None:
    path = repo / "drivers/infiniband/ipoib.yaml"
    path.write_text(path.read_text().replace("deployment: medium", "deployment: low"))
    result = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert result.code == 1
    assert (
        "drivers/infiniband/ipoib.yaml:148:10: verdict.value: infiniband/ipoib: recorded keep "
        "but the policy computes keep-annotate (score 6 -> keep-annotate; deciding probes: "
        "activity +2 (active in 31/61 months (steady maintenance)), churn +1 (673 lines "
        "changed in the window (real change)), hardware +1 (protocol it serves is still "
        "sold new), recency +1 (last month with commits 2026-02, 2 month(s) before "
        "2026-04-21 (recent)))"
    ) in result.out.splitlines()


def test_unknown_signals_are_unknown_not_zero() -> None:
    workspace = load_workspace(ROOT)
    assert workspace.policy is not None
    siw = next(d for d in workspace.drivers if d.id == "infiniband/siw")
    activity = next(f for f in evaluate(siw, workspace.policy).findings if f.probe == "activity")
    assert (activity.known, activity.value, activity.contribution) == (False, None, 0.0)
    assert activity.reason == "repository signals not collected"


def test_override_and_expiry(repo: Path, cli: Callable[..., Run]) -> None:
    path = repo / "drivers/infiniband/iser.yaml"
    text = path.read_text().replace("  value: keep-annotate", "  value: keep")
    text = text.replace("recommendation_for: keep-annotate", "recommendation_for: keep")
    text += (
        "  override:\n    verdict: keep\n    reason: Distribution kernels still ship it.\n"
        "    by: Example Maintainer <m@example.org>\n    until: 2026-12-31\n"
    )
    path.write_text(text)
    assert cli("-C", str(repo), "render").code == 0
    ok = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert ok.code == 0, ok.out
    assert "1 override(s)" in ok.out
    expired = cli("-C", str(repo), "check", "--today", "2027-01-01")
    assert expired.code == 1
    assert (
        "verdict.override.until: infiniband/iser: override to keep expired on 2026-12-31; "
        "renew it with a reason or record the computed keep-annotate"
    ) in expired.out


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"field": "deployment", "op": "eq", "value": "low"}, True),
        ({"field": "deployment", "op": "in", "value": ["medium", "high"]}, False),
        ({"field": "activity", "op": "ge", "value": 0.1}, False),  # unknown: no comparison holds
        ({"field": "activity", "op": "unknown"}, True),
        ({"not": {"field": "activity", "op": "known"}}, True),
        (
            {
                "all": [
                    {"field": "deployment", "op": "eq", "value": "low"},
                    {"field": "user_reports", "op": "ge", "value": 1},
                ]
            },
            True,
        ),
        (
            {
                "any": [
                    {"field": "deployment", "op": "eq", "value": "high"},
                    {"field": "user_reports", "op": "gt", "value": 5},
                ]
            },
            False,
        ),
    ],
)
def test_condition_form(cond: dict[str, object], expected: bool) -> None:
    facts = {"deployment": "low", "activity": None, "user_reports": 1}
    assert holds(cond, facts) is expected


def _siw(repo: Path) -> Path:
    return repo / "drivers/infiniband/siw.yaml"


def test_user_reports_count_distinct_reporters(repo: Path) -> None:
    """Two reports by one reporter (spelled with other case or spacing) are one user."""
    path = _siw(repo)
    text = path.read_text()
    start = text.index("  - who: Samba SMB Direct community")
    end = text.index("\nsignals:")
    report = text[start:end].rstrip("\n") + "\n"
    again = report.replace("who: Samba SMB Direct community", "who: samba  SMB Direct community")
    path.write_text(text[:start] + report + again + text[end:])
    workspace = load_workspace(repo)
    assert workspace.policy is not None, workspace.problems
    siw = next(d for d in workspace.drivers if d.id == "infiniband/siw")
    assert len(siw.users_reported) == 2
    finding = next(f for f in evaluate(siw, workspace.policy).findings
                   if f.probe == "user_reports")
    assert finding.value == 1
    assert finding.reason == ("credible current reports from 1 user(s) weighing 1 "
                              "(Samba SMB Direct community: unknown/unknown)")


def test_broken_recordable_without_signals(repo: Path, cli: Callable[..., Run]) -> None:
    """A Kconfig `depends on BROKEN` read from the tree, cited, with no signals block."""
    path = _siw(repo)
    text = path.read_text()
    path.write_text(text.replace("\nsignals: null", "\nsignals: null\nkernel_facts:\n"
                                 "  depends_on_broken: true\n  sources: [3]"))
    workspace = load_workspace(repo)
    assert workspace.policy is not None, workspace.problems
    siw = next(d for d in workspace.drivers if d.id == "infiniband/siw")
    assert siw.signals is None and siw.depends_on_broken() is True
    broken = next(f for f in evaluate(siw, workspace.policy).findings if f.probe == "broken")
    assert (broken.known, broken.value, broken.reason) == (True, True, "Kconfig depends on BROKEN")
    assert cli("-C", str(repo), "render").code == 0
    card = (repo / "cards/infiniband/siw.md").read_text()
    assert "| Depends on BROKEN | yes (source 3) |" in card


def test_error_kernel_facts_cite_sources_that_exist(repo: Path, cli: Callable[..., Run]) -> None:
    path = _siw(repo)
    text = path.read_text()
    path.write_text(text.replace("\nsignals: null", "\nsignals: null\nkernel_facts:\n"
                                 "  depends_on_broken: true\n  sources: [9]"))
    result = cli("-C", str(repo), "validate", "drivers/infiniband/siw.yaml")
    assert result.code == 1
    assert ": kernel_facts.sources[1]: refers to source 9 but the file lists 4 source(s)" \
        in result.out
