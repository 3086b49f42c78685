"""Dates against the day a command runs, and against the file's own evidence date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from conftest import Run

from checker.cli import main as cli_module

SISW = "drivers/infiniband/siw.yaml"
ISER = "drivers/infiniband/iser.yaml"


def _retype(repo: Path, rel: str, old: str, new: str) -> None:
    text = (repo / rel).read_text()
    assert old in text
    (repo / rel).write_text(text.replace(old, new, 1))


def _retype_line(repo: Path, rel: str, number: int, old: str, new: str) -> None:
    lines = (repo / rel).read_text().split("\n")
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new)
    (repo / rel).write_text("\n".join(lines))


def _future_line(line: int, col: int, field: str, shown: str, today: str) -> str:
    return (
        f"{SISW}:{line}:{col}: {field}: {shown} is after today ({today}): evidence cannot "
        "come from the future (a typo?); `--today YYYY-MM-DD` checks as of another day"
    )


def _siw_source_date(repo: Path) -> tuple[str, int]:
    lines = (repo / SISW).read_text().splitlines()
    start = lines.index("sources:")
    for number, line in enumerate(lines, start=1):
        if number > start and line.strip().startswith("date: \"20"):
            return line.split('"')[1], number
    raise AssertionError("siw has a dated source")


def test_error_date_after_today_in_check_validate_and_check_file(
    repo: Path, cli: Callable[..., Run]
) -> None:
    shown, line = _siw_source_date(repo)
    _retype_line(repo, SISW, line, shown, "2062-07")
    text = (repo / SISW).read_text().splitlines()[line - 1]
    col = text.index('"') + 1
    before = (repo / SISW).read_text().splitlines()[: line - 1]
    index = sum(1 for p in before[before.index("sources:"):] if p.startswith("  - url:"))
    section = "sources"
    expected = _future_line(line, col, f"{section}[{index}].date", "2062-07", "2026-11-21")
    for args in (["check"], ["check", SISW], ["validate", SISW]):
        result = cli("-C", str(repo), *args, "--today", "2026-11-21")
        assert result.code == 1, result.out
        assert expected in result.out.splitlines(), result.out
    # --today past the date: the same evidence is then no longer in the future
    result = cli("-C", str(repo), "validate", SISW, "--today", "2062-07-01")
    assert result.code == 0, result.out


def test_full_check_cache_follows_today(repo: Path, cli: Callable[..., Run]) -> None:
    """A run cached on a later day is not reused for an earlier one (and vice versa)."""
    shown, line = _siw_source_date(repo)
    _retype_line(repo, SISW, line, shown, "2027-03")
    assert "2027-03 is after today" not in cli("-C", str(repo), "check", "--today",
                                                "2027-05-01").out
    late = cli("-C", str(repo), "check", "--today", "2027-02-01")
    assert "2027-03 is after today (2027-02-01)" in late.out
    again = cli("-C", str(repo), "check", "--today", "2027-04-01")
    assert "2027-03 is after today" not in again.out


def test_clock_is_read_once_in_the_cli(
    repo: Path, cli: Callable[..., Run], monkeypatch: object
) -> None:
    """Without --today the CLI's one reading of the clock is the day checked against."""
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)

    class Fixed(date):
        @classmethod
        def today(cls) -> Fixed:
            return cls(2026, 1, 2)

    monkeypatch.setattr(cli_module, "date", Fixed)
    _retype(repo, ISER, "date: \"2026\"", "date: \"2026-03\"")
    result = cli("-C", str(repo), "validate", ISER)
    assert "2026-03 is after today (2026-01-02)" in result.out


def test_error_date_after_the_evidence_date(repo: Path, cli: Callable[..., Run]) -> None:
    _retype(repo, ISER, 'date: "2025-11"', 'date: "2026-05"')
    result = cli("-C", str(repo), "validate", ISER, "--today", "2026-11-21")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{ISER}:35:11: upstream[1].date: 2026-05 is after the evidence date 2026-04-21 "
        "(signals.window.end); correct the date, or collect the signals again"
    )
