"""The environment variables the checker reads: each validated, a usage error naming it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run

from checker.core.environment import FLAGS, flag, pause_seconds


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DRIVER_POLICY_TEST_PAUSE_WRITE", "soon",
     "must be a number of seconds from 0 to 3600, or unset (it is for tests only)"),
    ("DRIVER_POLICY_TEST_PAUSE_WRITE", "nan",
     "must be a number of seconds from 0 to 3600, or unset (it is for tests only)"),
    ("DRIVER_POLICY_TEST_PAUSE_WRITE", "-1",
     "must be a number of seconds from 0 to 3600, or unset (it is for tests only)"),
    ("DRIVER_POLICY_TEST_PAUSE_WRITE", "1e400",
     "must be a number of seconds from 0 to 3600, or unset (it is for tests only)"),
    *[(name, "maybe", "must be 1 or 0 (also true/false, yes/no, on/off), or unset")
      for name in FLAGS],
])
def test_error_an_environment_variable_that_means_nothing_is_a_usage_error(
    repo: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch,
    name: str, value: str, message: str,
) -> None:
    monkeypatch.setenv(name, value)
    result = cli("-C", str(repo), "validate")
    assert result.code == 2
    assert result.err == (f"driver-policy validate: usage error: environment variable "
                          f"{name}={value!r}: {message}\n")


def test_error_the_write_hook_with_a_non_number_writes_nothing(
    repo: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23: `record` with the test hook set to text crashed halfway (exit 3)."""
    iser = repo / "drivers/infiniband/iser.yaml"
    before = iser.read_text().replace("\ndeployment: low\n", "\ndeployment: high\n")
    iser.write_text(before)
    monkeypatch.setenv("DRIVER_POLICY_TEST_PAUSE_WRITE", "0.1s")
    result = cli("-C", str(repo), "record", "infiniband/iser")
    assert result.code == 2, result.err
    assert iser.read_text() == before


@pytest.mark.parametrize(("value", "on"), [
    ("", False), ("0", False), ("false", False), ("No", False), ("off", False),
    ("1", True), ("true", True), ("YES", True), ("on", True),
])
def test_flags_read_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, value: str,
                                        on: bool) -> None:
    monkeypatch.setenv("DRIVER_POLICY_NO_CACHE", value)
    assert flag("DRIVER_POLICY_NO_CACHE") is on


def test_the_pause_reads_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIVER_POLICY_TEST_PAUSE_WRITE", raising=False)
    assert pause_seconds() == 0.0
    monkeypatch.setenv("DRIVER_POLICY_TEST_PAUSE_WRITE", "0.25")
    assert pause_seconds() == 0.25


@pytest.mark.parametrize("name", ["FUZZ_EXAMPLES", "FAULT_LOOPS", "SPLICE_EXAMPLES"])
@pytest.mark.parametrize("value", ["lots", "0", "-3", "1e3", "99999999999", "٣"])
def test_error_a_test_run_size_that_is_not_a_whole_number(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    from conftest import env_count

    monkeypatch.setenv(name, value)
    with pytest.raises(pytest.UsageError) as info:
        env_count(name, 5)
    assert str(info.value) == (f"environment variable {name}={value!r}: must be a whole "
                               "number from 1 to 10000000, or unset")
    monkeypatch.setenv(name, " 12 ")
    assert env_count(name, 5) == 12


def test_error_a_test_run_size_that_is_not_a_number_stops_pytest_cleanly() -> None:
    import os
    import subprocess
    import sys

    from conftest import ROOT

    name = "FUZZ_EXAMPLES"
    env = {**os.environ, name: "lots"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                             "-n", "0", "--collect-only", "-q", "tests/test_environment.py"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4  # pytest's usage error
    assert (f"ERROR: environment variable {name}='lots': must be a whole number from 1 to "
            "10000000, or unset") in result.stderr
    assert "Traceback" not in result.stderr
