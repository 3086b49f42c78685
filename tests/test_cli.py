"""The command line: exit codes, formats, usage errors, the crash boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run

from checker.cli import main as cli_module


def test_check_passes_on_this_repository(cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "check", "--today", "2026-11-21")
    assert result.code == 0, result.out
    assert result.out.startswith("ok: ")


def test_validate_json_format(repo: Path, cli: Callable[..., Run]) -> None:
    text = (repo / "drivers/infiniband/ipoib.yaml").read_text()
    (repo / "drivers/infiniband/ipoib.yaml").write_text(text.replace("  files: 12", "  files: -1"))
    result = cli("-C", str(repo), "validate", "--format", "json")
    assert result.code == 1
    payload = json.loads(result.out)
    assert payload["problems"] == [
        {
            "path": "drivers/infiniband/ipoib.yaml",
            "line": 50,
            "col": 10,
            "field": "signals.files",
            "message": "must be >= 0 (found -1)",
            "severity": "error",
            "rule": "schema",
        }
    ]


def test_validate_github_format(repo: Path, cli: Callable[..., Run]) -> None:
    path = repo / "drivers/infiniband/iser.yaml"
    path.write_text(path.read_text().replace("deployment: low", "deployment: lo, w"))
    result = cli("-C", str(repo), "validate", "--format", "github", str(path))
    assert result.code == 1
    first = result.out.splitlines()[0]
    assert first.startswith("::error file=drivers/infiniband/iser.yaml,line=")
    assert (
        ",title=deployment::must be one of 'none', 'low', 'medium', 'high', 'unknown' "
        "(found 'lo%2C w')" not in first
    )  # message data is not property-escaped
    assert first.endswith("(found 'lo, w')")


def test_usage_error_missing_path(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "validate", "no/such/file.yaml")
    assert result.code == 2
    assert result.err == (
        "driver-policy validate: usage error: no such file or directory: no/such/file.yaml\n"
    )


def test_usage_error_file_outside_the_layout(repo: Path, cli: Callable[..., Run]) -> None:
    stray = repo / "notes.yaml"
    stray.write_text("a: 1\n")
    result = cli("-C", str(repo), "validate", str(stray))
    assert result.code == 2
    assert "notes.yaml: not a driver" in result.err


def test_usage_error_unknown_option(cli: Callable[..., Run]) -> None:
    assert cli("check", "--no-such-option").code == 2


def test_no_command_prints_help(cli: Callable[..., Run]) -> None:
    result = cli()
    assert result.code == 2
    assert "usage: driver-policy" in result.err


def test_crash_is_exit_3_with_a_bug_note(
    monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Run]
) -> None:
    def explode(_args: object) -> int:
        raise RuntimeError("boom")

    parser = cli_module.build_parser()
    args = parser.parse_args(["validate"])
    monkeypatch.setattr(cli_module, "build_parser", lambda *_: _FixedParser(args, explode))
    result = cli("validate")
    assert result.code == 3
    assert "internal error (RuntimeError: boom); this is a bug" in result.err


class _FixedParser:
    def __init__(self, args: object, func: Callable[[object], int]) -> None:
        self.args, self.func = args, func

    def parse_known_args(self, argv: object) -> tuple[object, list[str]]:
        self.args.func = self.func  # type: ignore[attr-defined]
        return self.args, []


def test_console_script_and_module_entry_points() -> None:
    for command in ([sys.executable, "-m", "checker", "--version"],):
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        assert done.returncode == 0
        assert done.stdout.startswith("driver-policy ")


@pytest.mark.parametrize(("argv", "named"), [
    (["validate", "drivers/a/b.yaml"], "validate"),
    (["-q", "--color", "never", "-C", "repo", "check"], "check"),
    (["--repo=validate", "--color=always", "--quiet", "render", "--check"], "render"),
    (["-Crepo", "-C", "check", "validate"], "validate"),
    (["--rep", "check", "validate"], None),  # an abbreviation: parsed as a whole
    (["-qC", "repo", "validate"], None),  # a cluster
    (["--help"], None), (["--version"], None), ([], None), (["-C", "repo"], None),
    (["completion", "bash"], None), (["explain", "x"], None), (["valid"], None),
])
def test_the_command_named_before_parsing(argv: list[str], named: str | None) -> None:
    assert cli_module.named_command(argv) == named


@pytest.mark.parametrize("argv", [
    ["validate", "drivers/a/b.yaml", "--format", "json", "--today", "2026-01-02"],
    ["-q", "-C", "repo", "check", "--no-cache", "-q"],
    ["--color=never", "render", "--check"],
    ["policy", "test"],
    ["new", "--kernel", "linux", "--discover", "drivers/", "--dry-run"],
])
def test_one_command_registered_alone_parses_as_with_every_command(argv: list[str]) -> None:
    """A one-file `validate` builds only its own parser: the arguments come out the same
    as from the parser of every command."""
    named = cli_module.named_command(argv)
    assert named is not None
    alone = vars(cli_module.build_parser(named).parse_args(argv))
    every = vars(cli_module.build_parser().parse_args(argv))
    assert alone.pop("func").__module__ == every.pop("func").__module__
    assert alone == every


def test_a_usage_error_after_a_named_command_is_the_same(cli: Callable[..., Run]) -> None:
    result = cli("validate", "--bogus")
    assert result.code == 2
    assert result.err.startswith("usage: driver-policy validate [-h]")
    assert result.err.endswith("driver-policy validate: error: unrecognized arguments: --bogus\n")


def test_help_teaches_every_command(cli: Callable[..., Run]) -> None:
    for command in ("check", "validate", "verdicts", "explain", "schema"):
        with pytest.raises(SystemExit) as exc:
            cli_module.build_parser().parse_args([command, "--help"])
        assert exc.value.code == 0


def test_readme_commands_are_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    commands = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    for command in commands:
        assert command in readme


@pytest.mark.parametrize("command", ["check", "validate", "verdicts"])
def test_usage_error_not_a_policy_repository(tmp_path: Path, command: str,
                                             cli: Callable[..., Run]) -> None:
    result = cli("-C", str(tmp_path), command)
    assert result.code == 2
    assert result.err == (f"driver-policy {command}: usage error: {tmp_path} has no drivers/ "
                          "or policies/ directory; run inside a policy repository or pass -C DIR\n")


HEAVY_MODULES = ("cerberus", "git", "jinja2", "markupsafe", "ruamel", "shtab", "tqdm")
IMPORTED = (
    "import json, sys\n"
    "from checker.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps([code, sorted({name.split('.')[0] for name in sys.modules})]))\n"
)


def _imported_by(*args: str) -> tuple[int, set[str]]:
    """Exit code of `driver-policy ARGS` in a fresh interpreter, and the top-level
    packages it imported."""
    done = subprocess.run([sys.executable, "-c", IMPORTED, *args], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    code, modules = json.loads(done.stdout.splitlines()[-1])
    return code, set(modules)


def test_validate_one_clean_file_imports_no_other_command(repo: Path) -> None:
    """Nor the modules of the other commands, nor what only a write or a JSON report
    needs (checked through the console script's own start)."""
    code = ("import sys\nfrom checker.cli.main import main\ncode = main(sys.argv[1:])\n"
            "print(' '.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code, "-C", str(repo), "validate",
                           "drivers/infiniband/ipoib.yaml"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    modules = set(done.stdout.splitlines()[-1].split())
    assert "checker.cli.commands.validate" in modules
    assert sorted(m for m in modules if m.startswith("checker.cli.commands.")) == [
        "checker.cli.commands.common", "checker.cli.commands.validate"]
    assert sorted(modules & {"json", "tempfile", "threading"}) == []


def test_validate_one_clean_file_imports_no_heavy_module(repo: Path) -> None:
    """The pre-commit case starts fast: git, templates, progress bars, cerberus (only for
    a file that fails the compiled pre-check) and ruamel.yaml (only for YAML the fast
    loader declines) stay unimported."""
    code, modules = _imported_by("-C", str(repo), "validate", "drivers/infiniband/ipoib.yaml")
    assert code == 0
    assert sorted(modules & set(HEAVY_MODULES)) == []


def test_validate_one_invalid_file_imports_cerberus_for_its_messages(repo: Path) -> None:
    path = repo / "drivers/infiniband/ipoib.yaml"
    path.write_text(path.read_text() + "unknown_field: 1\n")
    code, modules = _imported_by("-C", str(repo), "validate", "drivers/infiniband/ipoib.yaml")
    assert code == 1
    assert sorted(modules & set(HEAVY_MODULES)) == ["cerberus"]


def test_check_one_file_with_a_warm_cache_imports_no_heavy_module(repo: Path) -> None:
    assert _imported_by("-C", str(repo), "check")[0] == 0  # fills the cache
    assert (repo / ".driver-policy-cache").is_dir()
    code, modules = _imported_by("-C", str(repo), "check", "drivers/infiniband/ipoib.yaml")
    assert code == 0
    assert sorted(modules & set(HEAVY_MODULES)) == []


def _subcommands() -> list[tuple[str, ...]]:
    """Every leaf subcommand of the command line, as its words (`policy test`)."""
    import argparse

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> list[tuple[str, ...]]:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            return [words]
        return [found for name, child in actions[0].choices.items()
                for found in walk(child, (*words, name))]

    return walk(cli_module.build_parser(), ())


NOT_REPORTS = {("completion",)}  # prints a shell script


def test_every_command_that_reports_has_json() -> None:
    """Every subcommand that reports takes --format json (`schema` prints a JSON Schema,
    and with --check or --write reports in JSON too)."""
    import argparse

    parser = cli_module.build_parser()
    missing = []
    for words in _subcommands():
        if words in NOT_REPORTS:
            continue
        command = parser
        for word in words:
            sub = next(a for a in command._actions if isinstance(a, argparse._SubParsersAction))
            command = sub.choices[word]
        action = command._option_string_actions.get("--format")
        if action is None or "json" not in (action.choices or ()):
            missing.append(" ".join(words))
    assert missing == []
    assert len(_subcommands()) >= 16


def test_schema_check_json(repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "schema/policy.schema.json").write_text("{}\n")
    result = cli("-C", str(repo), "schema", "--check", "--format", "json")
    assert result.code == 1
    assert json.loads(result.out) == {"mode": "check", "ok": False, "files": [
        {"path": "schema/driver.schema.json", "state": "current"},
        {"path": "schema/policy.schema.json", "state": "stale"}]}
    result = cli("-C", str(repo), "schema", "--write", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["files"][1] == {"path": "schema/policy.schema.json",
                                                 "state": "written"}


def test_init_json(tmp_path: Path, cli: Callable[..., Run]) -> None:
    target = tmp_path / "policy"
    result = cli("init", str(target), "--profile", "dpdk", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["rules"], data["dirs"], data["committed"]) == ("profile dpdk", ["drivers"],
                                                                 True)
    assert "policies/default.yaml" in data["files"] and "cards/README.md" in data["files"]
    assert data["next"] == ["driver-policy", "-C", str(target), "new", "--kernel", "TREE",
                            "--discover", "drivers/", "--dry-run"]
    assert all((target / rel).is_file() for rel in data["files"])
