"""Valid and invalid example files, one case per file, parametrised from the listing.

Each invalid file starts with `# expect: LINE:COL: FIELD: MESSAGE` lines (locations in
the file itself); the test mounts it at drivers/infiniband/<name>.yaml in a copy of
the repository and asserts exactly those problems, exit code 1 and no traceback.

A case about a cross-file rule names its other files in `# also: SUBSYSTEM/NAME.yaml`
lines: each is taken from invalid/also/SUBSYSTEM/NAME.yaml (a companion, not a case of
its own) and mounted beside the case at drivers/SUBSYSTEM/NAME.yaml.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run

EXAMPLES = Path(__file__).parent / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.yaml"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))


def expectations(raw: bytes) -> list[str]:
    lines = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def companions(raw: bytes) -> list[str]:
    lines = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").splitlines()
    return [line.removeprefix("# also: ") for line in lines if line.startswith("# also: ")]


def mount(repo: Path, example: Path) -> str:
    rel = f"drivers/infiniband/{example.stem}.yaml"
    (repo / rel).write_bytes(example.read_bytes())
    for other in companions(example.read_bytes()):
        target = repo / "drivers" / other
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((example.parent / "also" / other).read_bytes())
    return rel


def test_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 80
    assert len(VALID) >= 2


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.stem)
def test_valid_example(example: Path, repo: Path, cli: Callable[..., Run]) -> None:
    rel = mount(repo, example)
    result = cli("-C", str(repo), "validate", str(repo / rel))
    assert result.code == 0, result.out
    assert result.out == "ok: 1 file(s) checked, no problems\n"


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.stem)
def test_invalid_example(example: Path, repo: Path, cli: Callable[..., Run]) -> None:
    expected = expectations(example.read_bytes())
    assert expected, f"{example.name} has no '# expect:' line"
    rel = mount(repo, example)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    result = cli("-C", str(repo), "validate", str(repo / rel))
    assert result.code == 1
    reported = [
        line.removeprefix(f"{rel}:")
        for line in result.out.splitlines()
        if line.startswith(f"{rel}:")
    ]
    assert reported == expected
    assert "Traceback" not in result.err
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before  # nothing written


def alone(example: Path) -> bool:
    """Whether a case needs a repository of its own in a full check: a cross-file case
    (its companions, or its message naming the others) would read differently among the
    other cases."""
    raw = example.read_bytes()
    return bool(companions(raw)) or any(
        "cross-file" in line or "other driver" in line or "is also the path" in line
        or "overlaps" in line or "differs only in case" in line for line in expectations(raw))


@pytest.fixture(scope="module")
def all_cases_checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, set[str]]:
    """One full check of a copy of the repository with every case that can share one
    mounted (exit code, lines printed): 90 checks of a repository cost as much as the
    rest of this module."""
    from conftest import copy_repository

    from checker.cli.main import main

    repo = copy_repository(tmp_path_factory.mktemp("cases") / "repo")
    for example in INVALID:
        if not alone(example):
            mount(repo, example)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["-C", str(repo), "check", "--today", "2026-11-21"])
    return code, set(out.getvalue().splitlines())


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.stem)
def test_invalid_example_in_full_check(
    example: Path, request: pytest.FixtureRequest, cli: Callable[..., Run]
) -> None:
    """`check` reports the same problem among the repository's others, and still exits 1."""
    expected = f"drivers/infiniband/{example.stem}.yaml:{expectations(example.read_bytes())[0]}"
    if not alone(example):
        code, lines = request.getfixturevalue("all_cases_checked")
        assert code == 1
        assert expected in lines
        return
    repo = request.getfixturevalue("repo")
    mount(repo, example)
    result = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert result.code == 1
    assert expected in result.out.splitlines()
