"""The pre-commit hooks, driven through the real pre-commit framework and git.

A session fixture commits a snapshot of this project (the package and
.pre-commit-hooks.yaml) to a temporary git repository, the "hook repository", and
prepares a data repository (a copy of drivers/, policies/, schema/, templates/, cards/)
whose .pre-commit-config.yaml points `repo:` at it, as another policy repository
would. pre-commit builds the hooks' environment once (pip installs the package from
the snapshot; PRE_COMMIT_HOME is shared by the session) and every test then commits in
its own copy of the data repository. The configuration files of this repository are
checked too: .pre-commit-config.yaml, .pre-commit-hooks.yaml and the GitHub workflow.
"""

from __future__ import annotations

import ast
import fcntl
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from test_gitsource import commit, edit, git, git_env, init_repo

# Builds the hooks' environment with pip (once per run, and once for try-repo): about
# 30 to 60 seconds in all. Deselected by default; `pytest -m slow` runs these (CI does).
slow = pytest.mark.slow

HOOK_IDS = ["driver-policy-validate", "driver-policy-verdicts", "driver-policy-cards"]
IPOIB = "drivers/infiniband/ipoib.yaml"


@dataclass(frozen=True)
class Hooks:
    repo: Path  # the hook repository: a commit of this project
    rev: str
    home: Path  # PRE_COMMIT_HOME, shared by the session
    template: Path  # a data repository with the hooks installed, to copy


def env(home: Path) -> dict[str, str]:
    base = git_env(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    for name in ("SKIP", "PRE_COMMIT_ALLOW_NO_CONFIG", "PRE_COMMIT_FROM_REF",
                 "PRE_COMMIT_TO_REF"):
        base.pop(name, None)
    return base


def run(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command with the hooks' environment; stdout and stderr together."""
    return subprocess.run(
        list(args), cwd=cwd, env=env(home), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=600,
    )


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, home, sys.executable, "-m", "pre_commit", *args)


def driver_policy(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", "-C", str(cwd), *args],
                          capture_output=True, text=True)


def snapshot_project(dest: Path) -> None:
    """What pip needs to build the package, and the hook manifest."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "checker", dest / "checker",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@pytest.fixture(scope="session")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Hooks:
    """Built once per run: with pytest-xdist the first worker builds it under a lock in
    the run's shared temporary directory and the others reuse it (pre-commit's store
    takes its own lock too)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's own
    base = shared / "pre-commit"
    with open(shared / "pre-commit.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = base / "built"
        if not built.exists():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            hooks = build_hooks(base)
            built.write_text(hooks.rev)
        return Hooks(base / "hook-repo", built.read_text(), base / "home", base / "template")


def build_hooks(base: Path) -> Hooks:
    home = base / "home"
    hook_repo = base / "hook-repo"
    snapshot_project(hook_repo)
    git(hook_repo, "init", "-q", "-b", "main")
    rev = commit(hook_repo, "driver-policy snapshot")

    template = init_repo(base / "template")
    rendered = driver_policy(template, "render")  # cards as this snapshot renders them
    assert rendered.returncode == 0, rendered.stderr
    hook_list = "".join(f"      - id: {hook}\n" for hook in HOOK_IDS)
    (template / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n{hook_list}"
    )
    commit(template, "seed")
    installed = pre_commit(template, home, "install")
    assert installed.returncode == 0, installed.stdout
    built = pre_commit(template, home, "install-hooks")  # pip installs the package once
    assert built.returncode == 0, built.stdout
    return Hooks(hook_repo, rev, home, template)


@pytest.fixture
def data(hooks: Hooks, tmp_path: Path) -> Path:
    """A data repository with the hooks installed, at its seed commit."""
    dest = tmp_path / "data"
    shutil.copytree(hooks.template, dest, symlinks=True)
    return dest


def try_commit(repo: Path, hooks: Hooks, subject: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    return run(repo, hooks.home, "git", "commit", "-q", "-m", subject)


def hook_states(output: str) -> dict[str, str]:
    """'driver-policy validate....Passed' lines -> {name: Passed|Failed|Skipped}."""
    found = re.findall(r"^(driver-policy \w+)\.+\(?[^.\n]*?\)?(Passed|Failed|Skipped)$",
                       output, flags=re.M)
    return dict(found)


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line == text)


def new_driver(repo: Path, deployment: str) -> Path:
    """drivers/net/foo.yaml, a valid copy of iser's evidence under another id and path."""
    text = (repo / "drivers/infiniband/iser.yaml").read_text()
    text = text.replace("subsystem: infiniband", "subsystem: net")
    text = text.replace("drivers/infiniband/ulp/iser", "drivers/net/foo")
    text = text.replace("deployment: low", f"deployment: {deployment}")
    path = repo / "drivers/net/foo.yaml"
    path.write_text(text)
    return path


# -- commits through the hooks ----------------------------------------------------------


@slow
def test_a_commit_adding_an_invalid_driver_file_is_refused(data: Path, hooks: Hooks) -> None:
    head = git(data, "rev-parse", "HEAD")
    path = new_driver(data, "sometimes")
    line = line_of(path, "deployment: sometimes")
    done = try_commit(data, hooks, "add foo")
    assert done.returncode == 1, done.stdout
    assert hook_states(done.stdout)["driver-policy validate"] == "Failed"
    assert (
        f"drivers/net/foo.yaml:{line}:13: deployment: must be one of 'none', 'low', 'medium', "
        "'high', 'unknown' (found 'sometimes')\n" in done.stdout
    )
    assert git(data, "rev-parse", "HEAD") == head


@slow
def test_a_commit_changing_evidence_without_the_recorded_verdict_is_refused(
    data: Path, hooks: Hooks
) -> None:
    head = git(data, "rev-parse", "HEAD")
    edit(data / IPOIB, "deployment: medium", "deployment: low")
    assert driver_policy(data, "render").returncode == 0  # cards are current: only the verdict
    line = line_of(data / IPOIB, "  value: keep")
    done = try_commit(data, hooks, "ipoib: deployment is low")
    assert done.returncode == 1, done.stdout
    assert hook_states(done.stdout) == {
        "driver-policy validate": "Passed",
        "driver-policy verdicts": "Failed",
        "driver-policy cards": "Passed",
    }
    assert (
        f"drivers/infiniband/ipoib.yaml:{line}:10: verdict.value: infiniband/ipoib: recorded "
        "keep but the policy computes keep-annotate (score 6 -> keep-annotate; deciding "
        "probes: activity +2 (" in done.stdout
    )
    assert git(data, "rev-parse", "HEAD") == head


@slow
def test_one_finding_is_one_message_across_the_hooks(data: Path, hooks: Hooks) -> None:
    edit(data / IPOIB, "\ndeployment: medium", "\ndeploymnet: medium")
    done = try_commit(data, hooks, "a misspelled field")
    assert done.returncode == 1, done.stdout
    assert hook_states(done.stdout) == {
        "driver-policy validate": "Failed",
        "driver-policy verdicts": "Passed",
        "driver-policy cards": "Failed",
    }
    assert done.stdout.count("deploymnet") == 1, done.stdout
    assert done.stdout.count(": deployment: is required") == 1, done.stdout
    assert "cards not checked while drivers/infiniband/ipoib.yaml is invalid " \
        "(driver-policy validate says why)" in done.stdout


@slow
def test_a_commit_with_stale_cards_is_refused(data: Path, hooks: Hooks) -> None:
    edit(data / IPOIB, "deployment: medium", "deployment: low")
    edit(data / IPOIB, "verdict:\n  value: keep\n", "verdict:\n  value: keep-annotate\n")
    edit(data / IPOIB, "recommendation_for: keep ", "recommendation_for: keep-annotate ")
    done = try_commit(data, hooks, "ipoib: deployment is low, not rendered")
    assert done.returncode == 1, done.stdout
    assert hook_states(done.stdout) == {
        "driver-policy validate": "Passed",
        "driver-policy verdicts": "Passed",
        "driver-policy cards": "Failed",
    }
    assert "cards/infiniband/ipoib.md:1:1: card is stale; run: driver-policy render\n" in (
        done.stdout)
    assert "+++ b/cards/infiniband/ipoib.md" not in done.stdout  # a list; --diff shows more
    assert "(--diff shows the changes); run: driver-policy render" in done.stdout


@slow
def test_a_hand_edited_card_is_refused(data: Path, hooks: Hooks) -> None:
    card = data / "cards/net/smc-tcp-ulp.md"
    card.write_text(card.read_text() + "\nA hand-written note.\n")
    done = try_commit(data, hooks, "a note on a card")
    assert done.returncode == 1, done.stdout
    assert hook_states(done.stdout) == {
        "driver-policy validate": "Skipped",
        "driver-policy verdicts": "Skipped",
        "driver-policy cards": "Failed",
    }
    assert "cards/net/smc-tcp-ulp.md:1:1: card is stale; run: driver-policy render\n" in (
        done.stdout)


@slow
def test_a_consistent_change_is_accepted(data: Path, hooks: Hooks) -> None:
    seed = git(data, "rev-parse", "HEAD").strip()
    edit(data / IPOIB, "deployment: medium", "deployment: low")
    edit(data / IPOIB, "verdict:\n  value: keep\n", "verdict:\n  value: keep-annotate\n")
    edit(data / IPOIB, "recommendation_for: keep ", "recommendation_for: keep-annotate ")
    assert driver_policy(data, "render").returncode == 0
    done = try_commit(data, hooks, "ipoib: deployment is low")
    assert done.returncode == 0, done.stdout
    assert hook_states(done.stdout) == {
        "driver-policy validate": "Passed",
        "driver-policy verdicts": "Passed",
        "driver-policy cards": "Passed",
    }
    assert git(data, "rev-parse", "HEAD~1").strip() == seed
    report = driver_policy(data, "diff", "HEAD~1")
    assert "  infiniband/ipoib: keep -> keep-annotate (score 8 -> 6, confidence 0.65)\n" in (
        report.stdout)


@slow
def test_a_new_valid_driver_is_accepted_once_its_card_is_rendered(
    data: Path, hooks: Hooks
) -> None:
    new_driver(data, "low")
    refused = try_commit(data, hooks, "add foo without its card")
    assert hook_states(refused.stdout)["driver-policy cards"] == "Failed"
    assert "cards/net/foo.md:1:1: card is missing; run: driver-policy render\n" in refused.stdout
    assert driver_policy(data, "render").returncode == 0
    done = try_commit(data, hooks, "add foo")
    assert done.returncode == 0, done.stdout


@slow
def test_try_repo_runs_the_hooks_of_the_hook_repository(data: Path, hooks: Hooks) -> None:
    """`pre-commit try-repo` (a fresh environment of its own) on an uncommitted change."""
    edit(data / IPOIB, "deployment: medium", "deployment: low")
    git(data, "add", "-A")
    done = pre_commit(data, hooks.home, "try-repo", str(hooks.repo), "--ref", hooks.rev,
                      "--files", IPOIB)
    assert done.returncode == 1, done.stdout
    assert "Using config:" in done.stdout and f"rev: {hooks.rev}" in done.stdout
    assert hook_states(done.stdout) == {
        "driver-policy validate": "Passed",
        "driver-policy verdicts": "Failed",
        "driver-policy cards": "Failed",
    }
    assert "infiniband/ipoib: recorded keep but the policy computes keep-annotate" in done.stdout


# -- the configuration files of this repository ----------------------------------------


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text())


def test_the_hook_manifest_and_the_config_are_valid() -> None:
    for command, name in (("validate-manifest", ".pre-commit-hooks.yaml"),
                          ("validate-config", ".pre-commit-config.yaml")):
        done = subprocess.run([sys.executable, "-m", "pre_commit", command, str(ROOT / name)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    manifest = load(".pre-commit-hooks.yaml")
    assert [hook["id"] for hook in manifest] == HOOK_IDS
    assert {hook["language"] for hook in manifest} == {"python"}


def test_the_config_runs_the_same_hooks_on_this_checkout() -> None:
    """This repository's own driver-policy hooks match the manifest's, but run the
    checkout's code (python -m checker)."""
    manifest = {hook["id"]: hook for hook in load(".pre-commit-hooks.yaml")}
    (local,) = load(".pre-commit-config.yaml")["repos"]
    assert local["repo"] == "local"
    config = {hook["id"]: hook for hook in local["hooks"]}
    for hook_id, hook in manifest.items():
        mine = config[hook_id]
        assert mine["entry"] == hook["entry"].replace("driver-policy", "python -m checker", 1)
        assert mine.get("pass_filenames", True) == hook.get("pass_filenames", True)
        if hook.get("pass_filenames", True):
            assert mine["files"] == hook["files"]
        else:
            assert mine["files"].startswith(hook["files"].rstrip(")"))


def _third_party_imports() -> set[str]:
    names = set()
    for path in (ROOT / "checker").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "checker" and n not in sys.stdlib_module_names}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_config_installs_every_module_the_checker_imports() -> None:
    (local,) = load(".pre-commit-config.yaml")["repos"]
    hooks = {hook["id"]: hook for hook in local["hooks"]}
    distributions = importlib.metadata.packages_distributions()
    for hook_id in HOOK_IDS:
        installed = {_name(r) for r in hooks[hook_id]["additional_dependencies"]}
        for module in sorted(_third_party_imports()):
            provided = {_name(d) for d in distributions.get(module, [module])}
            assert provided & installed, (
                f"checker imports {module}; add its distribution ({', '.join(sorted(provided))}) "
                f"to additional_dependencies of {hook_id} in .pre-commit-config.yaml"
            )


def test_the_workflow_is_a_valid_github_workflow() -> None:
    workflow = ROOT / ".github/workflows/driver-policy.yml"
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
         "vendor.github-workflows", str(workflow)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = yaml.safe_load(workflow.read_text())
    triggers = data[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    steps = {job: "\n".join(str(s.get("run", "")) for s in spec["steps"])
             for job, spec in data["jobs"].items()}
    assert "driver-policy check --format github" in steps["check"]
    assert data["jobs"]["verdict-report"]["if"] == "github.event_name == 'pull_request'"
    assert "driver-policy diff --merge-base" in steps["verdict-report"]
    assert "--format markdown" in steps["verdict-report"]
