"""`driver-policy policy test`: run the policy fixtures and report what they exercise."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from checker.cli.commands.common import repo_root
from checker.core.errors import UsageError
from checker.core.output import safe
from checker.validate.schemas import VERDICTS


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "policy",
        help="work with the policy itself (policy test)",
        description="Commands about the policy in policies/default.yaml rather than the "
        "drivers: `policy test` runs its fixtures. To see what a policy change would do to "
        "verdicts, use `driver-policy impact --policy CANDIDATE.yaml`; docs/policy.md says "
        "when to bump the policy's `version`.",
        epilog="examples:\n"
        "  driver-policy policy test                          # the fixtures in policies/tests/\n"
        "  driver-policy policy test --policy candidate.yaml  # a candidate, before adopting it\n"
        "  driver-policy impact --policy candidate.yaml       # the verdicts it would flip",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inner = parser.add_subparsers(dest="policy_command", metavar="ACTION")
    test = inner.add_parser(
        "test",
        help="run the fixtures in policies/tests/ and report coverage of rules and verdicts",
        description="Evaluate every fixture in policies/tests/*.yaml (a small driver "
        "evidence document plus its expected verdict) under the policy, and report which "
        "hard rules held and which verdict bands the scores reached. Fails when a fixture "
        "disagrees, when a hard rule is never exercised, or when a verdict is never reached.",
        epilog="examples:\n  driver-policy policy test\n"
        "  driver-policy policy test --policy candidate.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument(
        "--policy",
        metavar="FILE",
        default=None,
        help="a candidate policy file (default: policies/default.yaml)",
    )
    test.add_argument("--format", choices=("text", "json"), default="text",
                      help="output format (default: text)")
    test.set_defaults(func=run_test)
    parser.set_defaults(func=lambda args: _missing_action(parser))


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_test(args: argparse.Namespace) -> int:

    import contextlib
    import io
    import json

    buffer = io.StringIO()
    results: list[dict[str, Any]] = []
    with contextlib.redirect_stdout(buffer if args.format == "json" else sys.stdout):
        code = _run_test(args, results)
    if args.format == "json":
        json.dump({"ok": code == 0, "fixtures": results, "report": buffer.getvalue()},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return code


def _run_test(args: argparse.Namespace, results: list[dict[str, Any]]) -> int:
    from checker.evaluate.consistency import check_fixture
    from checker.load.layout import relative
    from checker.validate.policy import Policy, load_policy
    from checker.validate.workspace import load_workspace

    root = repo_root(args)
    fixture_dir = root / "policies" / "tests"
    files = sorted(fixture_dir.glob("*.y*ml")) if fixture_dir.is_dir() else []
    if not files:
        raise UsageError(f"no fixtures in {relative(root, fixture_dir)}/")
    rels = [relative(root, path) for path in files]
    workspace = load_workspace(root, rels)
    problems = [p for p in workspace.problems if p.path.startswith("policies/tests/")]
    policy: Policy | None
    if args.policy:
        path = Path(args.policy)
        if not path.is_file():
            raise UsageError(f"--policy {safe(args.policy)}: no such file")
        policy = load_policy(path, args.policy)
    else:
        policy = workspace.policy
        if policy is None:
            problems += [p for p in workspace.problems if p.path.startswith("policies/")]
    for problem in problems:
        print(problem)
    if policy is None:
        return 1
    held: dict[str, int] = {rule.id: 0 for rule in policy.rules}
    decided: dict[str, int] = {rule.id: 0 for rule in policy.rules}
    reached: dict[str, int] = {v: 0 for v in VERDICTS}
    failures = 0

    def locate(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
        return workspace.documents[file].locate(keypath) if file in workspace.documents else (1, 1)

    for fixture in workspace.fixtures:
        verdict, found = check_fixture(fixture, policy, locate)
        for rule_id in verdict.rules_held:
            held[rule_id] += 1
        if verdict.rule in decided:
            decided[verdict.rule] += 1
        reached[verdict.score_verdict] += 1
        status = "FAIL" if found else "ok"
        results.append({"file": fixture.file, "ok": not found, "computed": verdict.value,
                        "expected": fixture.expect_verdict, "score": verdict.score,
                        "rule": verdict.rule, "problems": [str(p) for p in found]})
        failures += bool(found)
        print(
            f"{status:<4} {safe(fixture.file)}: {verdict.value} (score {verdict.score:g}, "
            f"{safe(verdict.rule)})"
        )
        for problem in found:
            print(f"     {problem}")
    print(f"\npolicy {safe(policy.label)}: {len(workspace.fixtures)} fixture(s), {failures} "
          "failed")
    print("hard rules (held / decided the verdict):")
    unexercised = []
    for rule in policy.rules:
        print(f"  {safe(rule.id):<24} {held[rule.id]:>3} / {decided[rule.id]}")
        if not held[rule.id]:
            unexercised.append(rule.id)
    print("verdicts reached by score alone:")
    for value, count in reached.items():
        print(f"  {value:<24} {count:>3}")
    missing = [v for v, c in reached.items() if not c]
    for rule_id in unexercised:
        print(f"{safe(policy.file)}: rule {safe(rule_id)} is never exercised by a fixture")
    for value in missing:
        print(f"{safe(policy.file)}: no fixture's score reaches {value}")
    bad = failures or unexercised or missing or problems
    return 1 if bad else 0
