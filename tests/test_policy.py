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
    assert re.search(r"expect.verdict: expected remove but default v8 \(sha256:[0-9a-f]{12}\) "
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


# -- issue 23: every number a policy holds has a range --------------------------------


def _numeric_rules(schema: object, where: str = "") -> list[tuple[str, dict[str, object]]]:
    """(where, rule) of every number or integer the policy schema declares."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(schema, dict):
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "number" in kinds or "integer" in kinds:
            found.append((where, schema))
        for key, value in schema.items():
            if isinstance(value, dict):
                found += _numeric_rules(value, f"{where}.{key}")
    return found


def test_every_number_in_the_policy_schema_has_a_range() -> None:
    from checker.validate.policy_schema import POLICY_SCHEMA

    rules = _numeric_rules(POLICY_SCHEMA)
    assert len(rules) > 20
    unbounded = [where for where, rule in rules
                 if rule.get("type") != ["string", "number", "boolean", "list"]  # conditions
                 and ("min" not in rule or "max" not in rule)]
    assert unbounded == []


def _number_paths(data: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(data, bool):
        return []
    if isinstance(data, (int, float)):
        return [path]
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    return [found for key, value in items for found in _number_paths(value, (*path, key))]


def _policy_problems(data: dict[str, object]) -> list[str]:
    import yaml

    from checker.load.document import parse_document
    from checker.validate.policy import validate_policy

    doc, problems = parse_document(yaml.safe_dump(data, sort_keys=False).encode(),
                                   "policies/default.yaml")
    assert doc is not None, problems
    return [f"{p.field}: {p.message}" for p in validate_policy(doc)[1]]


DEFAULT = ROOT / "policies/default.yaml"
NUMBER_PATHS = _number_paths(__import__("yaml").safe_load(DEFAULT.read_text()))


@pytest.mark.parametrize("huge", [10**400, -(10**400), 1e308], ids=["1e400", "-1e400", "1e308"])
def test_error_a_number_of_any_size_anywhere_in_a_policy_is_a_located_problem(
    huge: float
) -> None:
    """Every number of the default policy set to `huge` at once: each is a problem at its
    own place (one validation reports them all)."""
    import copy

    import yaml

    assert len(NUMBER_PATHS) > 50
    # one top-level section at a time: a file reports at most 100 schema problems
    sections = sorted({path[0] for path in NUMBER_PATHS})
    problems: list[str] = []
    for section in sections:
        chosen = {section}
        data = copy.deepcopy(yaml.safe_load(DEFAULT.read_text()))
        for path in NUMBER_PATHS:
            if path[0] not in chosen:
                continue
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = huge
        found = _policy_problems(data)
        assert not any("too many problems" in p for p in found), chosen
        problems += found
    for path in NUMBER_PATHS:
        field = "".join(f"[{k + 1}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")
        if path[0] == "rules" and "when" in path:
            field = field[: field.index(".when") + len(".when")]
        assert any(p.startswith((f"{field}: ", f"{field}.")) for p in problems), \
            (field, problems)


def test_error_a_400_digit_threshold_stops_no_command(
    repo: Path, cli: Callable[..., Run]
) -> None:
    """Issue 23: OverflowError (exit 3) in check, verdicts, explain, render and impact."""
    policy = repo / "policies/default.yaml"
    text = policy.read_text()
    line = text[:text.index("\n  keep: 7\n") + 1].count("\n") + 1
    policy.write_text(text.replace("\n  keep: 7\n", f"\n  keep: {'9' * 400}\n"))
    for args in (["check"], ["verdicts"], ["explain", "infiniband/iser"], ["render"],
                 ["impact", "--policy", str(policy)], ["stale"]):
        result = cli("-C", str(repo), *args)
        assert result.code == 1, (args, result.err)
        assert f"policies/default.yaml:{line}:9: thresholds.keep: must be <= 10000 (found 9999" \
            in result.out + result.err, args


@pytest.mark.parametrize("pattern", ["[<!--", "[a&&b]", "[a||b]", "[[:alpha:]]"])
def test_a_pattern_python_warns_about_prints_no_warning(pattern: str) -> None:
    """The fuzzing found `[<!--`: Python's `re` warned (FutureWarning, a line with the
    checker's own path on the terminal) while checking the syntax of a policy pattern.
    The suite turns warnings into errors, so a warning that escapes fails here."""
    from checker.core.saferegex import regex_problem

    problem = regex_problem(pattern)
    assert problem is None or problem.startswith(("is not a valid regular expression",
                                                  "cannot be run in linear time"))
