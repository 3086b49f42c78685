"""Shared fixtures: a copy of this repository in a temporary directory, and the CLI."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
REPO_PARTS = ("drivers", "policies", "schema", "templates", "cards")


# Test-run sizes read from the environment: whole numbers from 1 (docs/security.md).
COUNTS = ("FUZZ_EXAMPLES", "FAULT_LOOPS", "SPLICE_EXAMPLES")


def env_count(name: str, default: int) -> int:
    """A test-run size from the environment; pytest.UsageError (exit 4) for a value that
    is not a whole number from 1 to 10,000,000."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value[:9]) <= 10_000_000:
        raise pytest.UsageError(f"environment variable {name}={value!r}: must be a whole "
                                "number from 1 to 10000000, or unset")
    return int(value)


def pytest_configure(config: pytest.Config) -> None:
    for name in COUNTS:
        env_count(name, 1)
    # parses and evaluations are cached by content below $XDG_CACHE_HOME: a run must not
    # read what an older checker stored in the user's cache (one test worker, one cache)
    import atexit
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="driver-policy-test-cache-")
    atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)


class Hung(BaseException):
    """A body ran past its hang guard (a BaseException: no `except Exception` or
    `except OSError` of the code under test swallows it)."""


@contextlib.contextmanager
def hang_guard(seconds: int = 60) -> Iterator[None]:
    """Fail with Hung when the body runs longer than `seconds`: a guard for the
    tests of linear-time code, never a speed assertion. Their hostile inputs take
    minutes to hours where the code is quadratic and milliseconds where it is linear, so
    a generous limit only keeps a regression from hanging the suite. (SIGALRM: Python's
    regular-expression engine checks for signals while it backtracks.)"""

    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s: not linear time")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Run:
    code: int
    out: str
    err: str


def copy_repository(dest: Path) -> Path:
    """A writable copy of the repository's data at `dest` (made here)."""
    dest.mkdir(parents=True)
    for part in REPO_PARTS:
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, dest / part)
    return dest


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A writable copy of the repository's data (drivers, policy, schema, templates, cards)."""
    return copy_repository(tmp_path / "repo")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `driver-policy ARGS` in-process and capture what it prints."""

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
