"""`driver-policy record`: computed verdicts into files; recommendations marked for review."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run

ISER = "drivers/infiniband/iser.yaml"


def _flip_iser(repo: Path) -> str:
    """Evidence that makes iser compute keep (it records keep-annotate)."""
    text = (repo / ISER).read_text()
    (repo / ISER).write_text(text.replace("\ndeployment: low\n", "\ndeployment: high\n"))
    return (repo / ISER).read_text()


def test_record_flip_marks_the_recommendation_and_check_fails_until_reviewed(
    repo: Path, cli: Callable[..., Run]
) -> None:
    before = _flip_iser(repo)
    result = cli("-C", str(repo), "record", "infiniband/iser")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "recorded infiniband/iser: keep-annotate -> keep (confidence 0.84 -> 0.65); the "
        "recommendation was written for keep-annotate: review it, then set "
        "verdict.recommendation_for: keep"
    )
    after = (repo / ISER).read_text()
    changed = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                      lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-  value: keep-annotate", "-  confidence: 0.84",
                       "+  value: keep", "+  confidence: 0.65"]
    assert cli("-C", str(repo), "render").code == 0
    check = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert check.code == 1
    assert check.out.splitlines()[0] == (
        f"{ISER}:159:23: verdict.recommendation_for: infiniband/iser: the recommendation was "
        "written for keep-annotate but the recorded verdict is now keep; review the "
        "recommendation (and notes), then set recommendation_for: keep"
    )
    card = (repo / "cards/infiniband/iser.md").read_text()
    assert "> **⚠ Awaiting review.** This recommendation was written for **keep-annotate**; " \
        "the recorded verdict is now **keep**." in card
    # reviewed: the person says so by naming the verdict the prose is now written for
    (repo / ISER).write_text(after.replace("recommendation_for: keep-annotate",
                                           "recommendation_for: keep"))
    assert cli("-C", str(repo), "render").code == 0
    assert cli("-C", str(repo), "check", "--today", "2026-11-21").code == 0


def test_record_all_dry_run_json_writes_nothing(repo: Path, cli: Callable[..., Run]) -> None:
    _flip_iser(repo)
    snapshot = {p: p.read_bytes() for p in (repo / "drivers").rglob("*.yaml")}
    result = cli("-C", str(repo), "record", "--all", "--dry-run", "--format", "json")
    assert result.code == 0
    payload = json.loads(result.out)
    assert payload["dry_run"] is True
    iser = next(d for d in payload["drivers"] if d["id"] == "infiniband/iser")
    assert iser == {
        "id": "infiniband/iser", "file": ISER, "before": "keep-annotate", "after": "keep",
        "confidence_before": 0.84, "confidence_after": 0.65, "changed": True,
        "needs_review": True,
    }
    assert {p: p.read_bytes() for p in (repo / "drivers").rglob("*.yaml")} == snapshot


def test_record_without_a_verdict_adds_one_to_write(repo: Path, cli: Callable[..., Run]) -> None:
    text = (repo / ISER).read_text()
    (repo / ISER).write_text(text[: text.index("\nverdict:\n") + 1])
    assert cli("-C", str(repo), "record", ISER).code == 0
    written = (repo / ISER).read_text()
    assert written.endswith(
        "verdict:\n  value: keep-annotate\n  confidence: 0.75\n  recommendation: >-\n"
        "    TODO: why keep-annotate, in words a maintainer can act on (see "
        "docs/evidence.md)\n  recommendation_for: keep-annotate\n"
    )
    check = cli("-C", str(repo), "check", ISER, "--today", "2026-11-21")
    assert check.code == 1
    assert "verdict.recommendation: holds TODO text" in check.out


def test_error_record_usage(repo: Path, cli: Callable[..., Run]) -> None:
    neither = cli("-C", str(repo), "record")
    assert neither.code == 2
    assert neither.err == "driver-policy record: usage error: name driver ids, or give --all " \
        "(not both)\n"
    typo = cli("-C", str(repo), "record", "infiniband/isr")
    assert typo.code == 2
    assert typo.err.startswith("driver-policy record: usage error: no driver "
                               "'infiniband/isr'; did you mean infiniband/iser")


# -- issue 23: files validate accepts, which record crashed on or rewrote --------------

# iser with `deployment: high` computes keep at confidence 0.65 (it records keep-annotate)
RECORDED = [
    pytest.param(  # the last line has no line break
        "verdict:\n  recommendation: Why.\n  value: keep-annotate",
        "verdict:\n  recommendation: Why.\n  value: keep\n  confidence: 0.65\n"
        "  recommendation_for: keep-annotate", id="no-final-newline"),
    pytest.param(  # the verdict is a flow mapping
        "verdict: {value: keep-annotate, recommendation: Why., recommendation_for: "
        "keep-annotate}\n",
        "verdict: {value: keep, confidence: 0.65, recommendation: Why., recommendation_for: "
        "keep-annotate}\n", id="flow-mapping"),
    pytest.param(  # a block scalar value
        "verdict:\n  value: >-\n    keep-annotate\n  recommendation: Why.\n"
        "  recommendation_for: keep-annotate\n",
        "verdict:\n  value: keep\n  confidence: 0.65\n  recommendation: Why.\n"
        "  recommendation_for: keep-annotate\n", id="block-scalar-value"),
]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize(("verdict", "expected"), RECORDED)
def test_record_edits_any_valid_layout_keeping_line_endings(
    repo: Path, cli: Callable[..., Run], verdict: str, expected: str, crlf: bool
) -> None:
    text = _flip_iser(repo)
    head = text[: text.index("\nverdict:\n") + 1]
    nl = "\r\n" if crlf else "\n"
    (repo / ISER).write_bytes((head + verdict).replace("\n", nl).encode())
    assert cli("-C", str(repo), "validate", ISER).code == 0
    result = cli("-C", str(repo), "record", "infiniband/iser")
    assert result.code == 0, result.err
    assert (repo / ISER).read_bytes() == (head + expected).replace("\n", nl).encode()
    assert cli("-C", str(repo), "validate", ISER).code == 0


def test_record_refuses_a_layout_not_every_reader_reads(
    repo: Path, cli: Callable[..., Run]
) -> None:
    """A tab after the value: libyaml reads it, PyYAML's Python reader does not, so
    validate refuses the file and record writes nothing to it."""
    text = _flip_iser(repo)
    tabbed = text.replace("value: keep-annotate\n", "value: keep-annotate\t\n", 1)
    (repo / ISER).write_text(tabbed)
    line = tabbed[: tabbed.index("keep-annotate\t")].count("\n") + 1
    message = (f"{ISER}:{line}:23: YAML that not every YAML reader reads (while scanning for "
               "the next token: found character '\\t' that cannot start any token); write it "
               "plainly\n")
    assert cli("-C", str(repo), "validate", ISER).out.startswith(message)
    result = cli("-C", str(repo), "record", "infiniband/iser")
    assert result.code == 1
    assert result.err == ("driver-policy record: infiniband/iser is invalid and cannot be "
                          "evaluated:\n" + message)
    assert (repo / ISER).read_text() == tabbed


def test_record_keeps_crlf_line_endings_of_the_whole_file(
    repo: Path, cli: Callable[..., Run]
) -> None:
    text = _flip_iser(repo).replace("\n", "\r\n")
    (repo / ISER).write_bytes(text.encode())
    assert cli("-C", str(repo), "record", "infiniband/iser").code == 0
    after = (repo / ISER).read_bytes().decode()
    assert after == text.replace("value: keep-annotate\r\n  confidence: 0.84",
                                 "value: keep\r\n  confidence: 0.65")


def test_record_gives_up_when_the_file_changed_since_it_was_read(
    repo: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collect (or anyone) that writes the file after record read it is not undone:
    record re-reads just before replacing and writes nothing (exit 1)."""
    import checker.report.record

    _flip_iser(repo)
    concurrent = (repo / ISER).read_text().replace("\nsignals:", "\n# collected\nsignals:")
    original = checker.report.record.record_text

    def meanwhile(text: str, value: str, confidence: float) -> tuple[str, str | None]:
        (repo / ISER).write_text(concurrent)  # lands after the read, before the replace
        return original(text, value, confidence)

    monkeypatch.setattr(checker.report.record, "record_text", meanwhile)
    result = cli("-C", str(repo), "record", "infiniband/iser")
    assert result.code == 1
    assert result.err == ("driver-policy record: drivers/infiniband/iser.yaml: changed since "
                          "record read it; not written (run record again)\n")
    assert (repo / ISER).read_text() == concurrent
