"""Shared fixtures: a copy of this repository in a temporary directory, and the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
REPO_PARTS = ("drivers", "policies", "schema", "templates", "cards")


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
