"""Drafts: unfinished driver files are listed by `check`, marked on their card and in the
index, and publish no verdict; a finished file may not keep unfinished parts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.load.document import parse_document
from checker.validate.driver import unfinished_items

SIW = "drivers/infiniband/siw.yaml"


def _make_draft(repo: Path, *, finished: bool = False) -> None:
    text = (repo / SIW).read_text()
    text = text.replace("schema: 1\n", "schema: 1\nstatus: draft\n", 1)
    if not finished:
        text = text.replace("summary: >-\n", "summary: >-\n  TODO: say more.\n", 1)
    (repo / SIW).write_text(text)


def test_draft_is_listed_by_check_and_marked_on_its_card_and_the_index(
    repo: Path, cli: Callable[..., Run]
) -> None:
    _make_draft(repo)
    assert cli("-C", str(repo), "render").code == 0
    result = cli("-C", str(repo), "check", "--today", "2026-11-21", "--list-drafts")
    assert result.code == 0, result.out
    assert result.out.splitlines()[0] == (
        f"{SIW}:3:9: status: infiniband/siw: draft, no verdict published (the policy "
        "computes keep); to finish: summary: TODO"
    )
    assert result.out.splitlines()[1] == "ok: 37 file(s) checked, no problems; 1 note(s)"
    assert "1 draft(s)" in result.out
    card = (repo / "cards/infiniband/siw.md").read_text()
    assert "> **Draft: no verdict is published.** This driver file is unfinished " \
        "(`status: draft`); still to do: summary: TODO." in card
    assert "## Draft verdict: keep (" in card
    assert "## Verdict:" not in card
    index = (repo / "cards/README.md").read_text()
    assert "1 driver file(s) have no recorded verdict yet" in index
    assert "| *draft* (computed keep) |" in (repo / "cards/infiniband/README.md").read_text()


def test_finished_draft_says_to_remove_the_marker(repo: Path, cli: Callable[..., Run]) -> None:
    _make_draft(repo, finished=True)
    result = cli("-C", str(repo), "check", SIW, "--today", "2026-11-21", "--list-drafts")
    assert result.code == 0
    assert result.out.splitlines()[0].endswith(
        "nothing left to finish: remove `status: draft` to publish it"
    )


def test_error_draft_marker_removed_with_todo_left(repo: Path, cli: Callable[..., Run]) -> None:
    _make_draft(repo)
    text = (repo / SIW).read_text().replace("status: draft\n", "")
    (repo / SIW).write_text(text)
    result = cli("-C", str(repo), "check", SIW, "--today", "2026-11-21")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{SIW}:17:10: summary: holds TODO text; finish it, or mark the file `status: draft`"
    )


def test_check_folds_drafts_into_one_line_so_problems_stand_out(
    repo: Path, cli: Callable[..., Run]
) -> None:
    """A freshly onboarded tree has hundreds of drafts: `check -q` prints the problems
    and one line for the drafts; --list-drafts lists them."""
    _make_draft(repo)
    assert cli("-C", str(repo), "render").code == 0
    broken = repo / "drivers/infiniband/ipoib.yaml"
    broken.write_text(broken.read_text().replace("deployment: medium", "deployment: vast"))
    result = cli("-C", str(repo), "-q", "check", "--today", "2026-11-21")
    assert result.code == 1
    assert result.out.splitlines() == [
        "drivers/infiniband/ipoib.yaml:24:13: deployment: must be one of 'none', 'low', "
        "'medium', 'high', 'unknown' (found 'vast')",
        "1 draft(s) not finished, not listed (--list-drafts lists what each one lacks)",
    ]
    listed = cli("-C", str(repo), "-q", "check", "--today", "2026-11-21", "--list-drafts")
    assert len(listed.out.splitlines()) == 2
    assert listed.out.splitlines()[1].startswith(f"{SIW}:3:9: status: infiniband/siw: draft")
    full = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert "1 problem(s) in 1 file(s); 37 file(s) checked; 1 note(s)" in full.out

# -- issue 23: the `# guessed` comment is found in linear time -------------------------

OLD_GUESSED = re.compile(r"#[^\n]*\bguess(?:ed)?\b", re.IGNORECASE)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["#", " ", "guess", "Guessed", "guesses", "x", "\n", "\r",
                                 "ed", "_", "é", "\u2028", "-"]), max_size=14).map("".join))
def test_guessed_comments_are_found_as_the_expression_found_them(text: str) -> None:
    from checker.validate.driver import guessed_comment, has_guessed_comment

    assert has_guessed_comment(text) == bool(OLD_GUESSED.search(text))
    for line in text.splitlines():
        assert guessed_comment(line) == bool(OLD_GUESSED.search(line))


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(["#", " ", "guess", "GUESSED", "gue\u017fs", "guesses", "x",
                                 "\n", "\r", "\r\n", "\x0c", "\t", "ed", "é", "\u2028",
                                 "\x85", "  # guessed", "a: b"]),
                max_size=16).map("".join))
def test_guessed_lines_are_the_lines_a_line_by_line_scan_finds(text: str) -> None:
    """Lines holding a `#` are looked at from it, in the text: the same lines, numbered
    as str.splitlines numbers them, as testing every line of it."""
    from checker.validate.driver import guessed_comment, guessed_lines

    assert guessed_lines(text) == [
        number for number, line in enumerate(text.splitlines(), start=1)
        if guessed_comment(line) and not line.lstrip().startswith("#")]


def test_a_256_kib_file_of_one_hash_run_is_checked_diffed_and_traced_in_linear_time(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    """Issue 23: `#[^\\n]*\\bguess(?:ed)?\\b` was quadratic in a run of `#`: a driver file
    of 256 KiB with one long `#` run hung check (hours), and diff and history once it
    was committed."""
    from conftest import hang_guard
    from test_gitsource import commit, init_repo

    repo = init_repo(tmp_path / "data")
    commit(repo, "seed")
    iser = repo / "drivers/infiniband/iser.yaml"
    text = iser.read_text()
    iser.write_text(text + "# " + "#" * (262_000 - len(text.encode())) + "\n")
    with hang_guard():
        assert cli("-C", str(repo), "validate", "drivers/infiniband/iser.yaml").code == 0
        commit(repo, "a long comment")
        assert cli("-C", str(repo), "diff", "HEAD~1").code == 0
        result = cli("-C", str(repo), "history", "infiniband/iser")
    assert result.code == 0, result.err


def unfinished(text: str) -> list[tuple[tuple[str | int, ...], str]]:
    doc, problems = parse_document(text.encode(), SIW)
    assert doc is not None, problems
    return [(keypath, short) for keypath, short, _ in unfinished_items(doc)]


SIW_TEXT = (ROOT / SIW).read_text()
EDITS = [  # (old, new, what is unfinished)
    ("deployment: low ", "deployment: low  # guessed", [(("deployment",), "deployment: guessed")]),
    ("  sold_new: unknown\n", "  sold_new: unknown  # guessed\n",
     [(("hardware", "sold_new"), "hardware.sold_new: guessed")]),
    ("granularity: directory\n", "granularity: directory\n# guessed\n", []),  # a comment line
    ("  note: The card does not discuss a replacement.",
     "  note: TODO the card does not discuss a replacement.",
     [(("replacement", "note"), "replacement.note: TODO")]),
    ("summary: >-\n", 'x: "\\x54ODO, escaped"\nsummary: >-\n  TODO: say more.\n',
     [(("x",), "x: TODO"), (("summary",), "summary: TODO")]),
]


@pytest.mark.parametrize(("old", "new", "expected"), EDITS)
@pytest.mark.parametrize("layout", ["common", "quoted key"])
def test_unfinished_items_are_found_in_any_layout(
    old: str, new: str, expected: list[tuple[tuple[str | int, ...], str]], layout: str
) -> None:
    """The text finds top-level keys in the common layout; a quoted key leaves every file
    to the parser: the same items either way."""
    text = SIW_TEXT.replace(old, new, 1)
    if layout == "quoted key":
        text = text.replace("\nschema: 1\n", '\n"schema": 1\n', 1)
    assert unfinished(text) == expected
