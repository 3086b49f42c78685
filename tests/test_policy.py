"""The policy file and `driver-policy policy test`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run
from test_examples import expectations

INVALID_POLICIES = sorted((Path(__file__).parent / "examples/invalid-policy").glob("*.yaml"))


def test_invalid_policy_corpus_is_large_enough() -> None:
    assert len(INVALID_POLICIES) >= 15


@pytest.mark.parametrize("example", INVALID_POLICIES, ids=lambda p: p.stem)
def test_invalid_policy(example: Path, repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "policies/default.yaml").write_bytes(example.read_bytes())
    result = cli("-C", str(repo), "validate", "policies/default.yaml")
    assert result.code == 1
    reported = [line.removeprefix("policies/default.yaml:") for line in result.out.splitlines()
                if line.startswith("policies/default.yaml:")]
    assert reported == expectations(example.read_bytes())


def test_policy_fixtures_pass_and_cover_every_rule(cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "policy", "test")
    assert result.code == 0, result.out
    assert "0 failed" in result.out
    assert "never exercised" not in result.out


def test_policy_fixtures_cover_every_verdict() -> None:
    from checker.validate.workspace import load_workspace

    workspace = load_workspace(ROOT)
    expected = {f.expect_verdict for f in workspace.fixtures}
    assert expected == {"keep", "keep-annotate", "deprecate", "remove"}
    assert len(workspace.fixtures) >= 20


def test_error_unexercised_rule_fails_policy_test(repo: Path, cli: Callable[..., Run]) -> None:
    policy = repo / "policies/default.yaml"
    policy.write_text(policy.read_text() + (
        "  - id: never-holds\n"
        "    when: {field: deployment, op: eq, value: none}\n"
        "    at_most: remove\n"
        "    why: no fixture has this\n"
    ).replace("value: none}", "value: none}\n    # a fixture-free rule"))
    # make sure no fixture has deployment: none, so the rule cannot hold
    for fixture in (repo / "policies/tests").glob("*.yaml"):
        if "deployment: none" in fixture.read_text():
            fixture.unlink()
    result = cli("-C", str(repo), "policy", "test")
    assert result.code == 1
    assert "policies/default.yaml: rule never-holds is never exercised by a fixture" in result.out


def test_error_fixture_disagreeing_with_policy(repo: Path, cli: Callable[..., Run]) -> None:
    fixture = repo / "policies/tests/datacenter-nic-current.yaml"
    fixture.write_text(fixture.read_text().replace("  verdict: keep\n", "  verdict: remove\n", 1))
    result = cli("-C", str(repo), "policy", "test")
    assert result.code == 1
    assert "FAIL policies/tests/datacenter-nic-current.yaml: keep" in result.out
    assert re.search(r"expect.verdict: expected remove but default v3 \(sha256:[0-9a-f]{12}\) "
                     r"computes keep", result.out)


def test_candidate_policy_option(tmp_path: Path, cli: Callable[..., Run]) -> None:
    candidate = tmp_path / "candidate.yaml"
    shutil.copy(ROOT / "policies/default.yaml", candidate)
    candidate.write_text(candidate.read_text().replace("  keep: 7\n", "  keep: 25\n"))
    result = cli("-C", str(ROOT), "policy", "test", "--policy", str(candidate))
    assert result.code == 1
    assert "no fixture's score reaches keep" in result.out


def test_usage_error_missing_candidate(cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "policy", "test", "--policy", "nope.yaml")
    assert result.code == 2
    assert result.err == "driver-policy policy: usage error: --policy nope.yaml: no such file\n"
