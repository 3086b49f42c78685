"""Workflow fixes: the repository found from a subdirectory, usage errors with the
command's own usage, "did you mean", JSON everywhere, --quiet, colour, completion."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run

from checker.core import output

IPOIB = "drivers/infiniband/ipoib.yaml"


@pytest.fixture(autouse=True)
def _plain_output() -> object:
    yield
    output.configure()  # --quiet / --color are per invocation


def test_commands_find_the_repository_from_a_subdirectory(
    repo: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "drivers" / "infiniband")
    result = cli("check", "--today", "2026-11-21")
    assert result.code == 0, result.err
    assert result.out.startswith("ok: 37 file(s) checked")
    # a path is relative to the current directory, as in git
    one = cli("check", "ipoib.yaml", "--today", "2026-11-21")
    assert one.code == 0, one.err
    assert one.out.startswith("ok: 1 file(s) checked")
    assert cli("-C", "..", "validate", "--today", "2026-11-21").code == 0


def test_check_file_counts_the_files_given(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "check", IPOIB, "--today", "2026-11-21")
    assert result.out.splitlines()[0] == "ok: 1 file(s) checked, no problems"


def test_error_subcommand_option_prints_the_subcommands_usage(cli: Callable[..., Run]) -> None:
    result = cli("check", "--no-such-option")
    assert result.code == 2
    assert result.err.startswith("usage: driver-policy check ")
    assert result.err.endswith(
        "driver-policy check: error: unrecognized arguments: --no-such-option\n")
    nested = cli("policy", "test", "--bogus")
    assert nested.err.startswith("usage: driver-policy policy test ")


def test_error_explain_did_you_mean(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "explain", "infiniband/ipob")
    assert result.code == 2
    assert result.err == ("driver-policy explain: usage error: no driver 'infiniband/ipob'; "
                          "did you mean infiniband/ipoib?\n")


def test_explain_json(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "explain", "infiniband/ipoib", "--format", "json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["id"] == "infiniband/ipoib" and data["computed"] == "keep"
    assert data["policy"]["name"] == "default" and data["policy"]["digest"].startswith("sha256:")
    assert {p["probe"] for p in data["probes"]} >= {"deployment", "activity", "broken"}


def test_render_check_json_and_list(repo: Path, cli: Callable[..., Run]) -> None:
    card = repo / "cards/infiniband/ipoib.md"
    card.write_text(card.read_text() + "\nA hand-written note.\n")
    listed = cli("-C", str(repo), "render", "--check")
    assert listed.code == 1
    assert listed.out == "cards/infiniband/ipoib.md:1:1: card is stale; run: driver-policy render\n"
    assert "(--diff shows the changes)" in listed.err
    with_diff = cli("-C", str(repo), "render", "--check", "--diff")
    assert "+++ b/cards/infiniband/ipoib.md" in with_diff.out
    data = json.loads(cli("-C", str(repo), "render", "--check", "--format", "json").out)
    assert data["differences"] == [
        {"path": "cards/infiniband/ipoib.md", "kind": "card", "state": "stale"}]


def test_policy_test_json(cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "policy", "test", "--format", "json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["ok"] is True and len(data["fixtures"]) >= 29


def test_policy_help_has_examples(cli: Callable[..., Run]) -> None:
    result = cli("policy", "--help")
    assert result.code == 0
    assert "examples:\n  driver-policy policy test " in result.out
    assert "driver-policy impact --policy candidate.yaml" in result.out


def test_quiet_prints_problems_only(repo: Path, cli: Callable[..., Run]) -> None:
    assert cli("-C", str(repo), "-q", "check", "--today", "2026-11-21").out == ""
    assert cli("-C", str(repo), "render", "--check", "-q").out == ""  # after the command too
    text = (repo / IPOIB).read_text()
    (repo / IPOIB).write_text(text.replace("  files: 12", "  files: -1"))
    result = cli("-C", str(repo), "--quiet", "validate")
    assert result.out == f"{IPOIB}:50:10: signals.files: must be >= 0 (found -1)\n"


def test_colour_only_where_it_can_be_seen(repo: Path) -> None:
    """Through a pipe: plain; --color always: ANSI; NO_COLOR wins over a terminal."""
    command = [str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "python"),
               "-m", "checker", "-C", str(repo), "check", "--today", "2026-11-21"]
    plain = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert "\x1b[" not in plain.stdout and plain.stdout.startswith("ok: ")
    forced = subprocess.run([*command[:3], "--color", "always", *command[3:]],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert forced.stdout.startswith("\x1b[32mok:\x1b[0m ")


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_no_color_and_dumb_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    output.configure()
    assert output.color_enabled(terminal)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not output.color_enabled(terminal)  # type: ignore[arg-type]
    output.configure(color="always")
    assert output.color_enabled(terminal)  # type: ignore[arg-type]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_is_generated_from_the_parser(shell: str, cli: Callable[..., Run]) -> None:
    result = cli("completion", shell)
    assert result.code == 0
    for word in ("record", "--verdicts-only", "--today", "explain"):
        assert word in result.out


def test_bash_completion_script_is_valid_bash(cli: Callable[..., Run], tmp_path: Path) -> None:
    script = tmp_path / "driver-policy.bash"
    script.write_text(cli("completion", "bash").out)
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
