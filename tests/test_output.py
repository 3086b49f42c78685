"""checker/core/output.py and checker/core/hidden.py: what reaches a terminal.

Every value a command prints that it did not write itself goes through `safe` (one
line) or `terminal` (a block the checker composed); hidden characters are defined by
Unicode class (checker/core/hidden.py), not by a list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run
from strategies import FORGED, check_terminal, plant_hostile_text
from test_gitsource import commit, init_repo

from checker.core.hidden import DEFAULT_IGNORABLE, hidden
from checker.core.output import columns, emit, safe, terminal, width

PAYLOAD = "A\u3164B\n" + FORGED + "\n\x1b]0;owned\x07\u202eC\u00ad\ufe0f\u034f"


@pytest.mark.parametrize(
    ("char", "why"),
    [
        ("\x1b", "Cc: escape sequences"),
        ("\x85", "Cc: C1 next line"),
        ("\u00ad", "Cf: soft hyphen"),
        ("\u202e", "Cf: right-to-left override"),
        ("\u2067", "Cf: right-to-left isolate"),
        ("\u200b", "Cf: zero-width space"),
        ("\u0600", "Cf: Arabic number sign"),
        ("\U000e0041", "Cf: tag letter A"),
        ("\u2028", "Zl: line separator"),
        ("\u2029", "Zp: paragraph separator"),
        ("\u034f", "Mn, default-ignorable: combining grapheme joiner"),
        ("\ufe0f", "Mn, default-ignorable: variation selector 16"),
        ("\U000e0100", "Mn, default-ignorable: variation selector 17"),
        ("\u180b", "Mn, default-ignorable: Mongolian free variation selector"),
        ("\u3164", "Lo, default-ignorable: Hangul filler"),
        ("\uffa0", "Lo, default-ignorable: half-width Hangul filler"),
        ("\u115f", "Lo, default-ignorable: Hangul choseong filler"),
        ("\u2800", "So: Braille blank"),
        ("\u2065", "Cn, default-ignorable: unassigned"),
        ("\ufff0", "Cn: unassigned"),
        ("\ufffe", "Cn: noncharacter"),
    ],
)
def test_hidden_characters_by_class(char: str, why: str) -> None:
    assert hidden(ord(char)), why
    assert "\\" in safe(f"a{char}b"), why


@pytest.mark.parametrize("char", ["a", "é", "€", "ǅ", "\u00a0", "−", "·", "😀", "中", "e\u0301"])
def test_visible_characters_are_kept(char: str) -> None:
    assert safe(char) == char


def test_every_format_character_is_hidden() -> None:
    """A whole class, not examples: every Cf code point of this Python's Unicode."""
    shown = [hex(c) for c in range(0x110000)
             if unicodedata.category(chr(c)) == "Cf" and not hidden(c)]
    assert shown == []
    assert all(hidden(c) for low, high in DEFAULT_IGNORABLE for c in range(low, high + 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b]0;x\x07 \u202e", "\\x1b]0;x\\x07 \\u202e"),
        ("one\ntwo\r\tthree", "one\\ntwo\\r\\tthree"),
        ("name\udc80.yaml", "name\\x80.yaml"),  # a byte that was not UTF-8
        ("soft\u00adhyphen \u3164 x\ufe0f \U000e0041", "soft\\xadhyphen \\u3164 x\\ufe0f "
                                                        "\\U000e0041"),
    ],
)
def test_safe(text: str, expected: str) -> None:
    assert safe(text) == expected


def test_terminal_keeps_the_checkers_own_line_breaks() -> None:
    assert terminal("a\n\tb\x1b[2J\u202e") == "a\n\tb\\x1b[2J\\u202e"


def test_emit_escapes_each_line(capsys: pytest.CaptureFixture[str]) -> None:
    emit(["one", f"two {PAYLOAD}"])
    out = capsys.readouterr().out
    assert out.count("\n") == 2
    check_terminal(out, "emit")


def test_columns_are_as_wide_as_their_content_and_never_touch() -> None:
    rows = [["COMMIT", "RECORDED", "COMPUTED", "CONF", "SUBJECT"],
            ["abc", "keep", "keep-annotate*!", "0.65", "x"],
            ["abcdef", "keep-annotate", "(absent)", "-", "a much longer subject"]]
    assert columns(rows, right=(3,)) == [
        "COMMIT  RECORDED       COMPUTED         CONF  SUBJECT",
        "abc     keep           keep-annotate*!  0.65  x",
        "abcdef  keep-annotate  (absent)            -  a much longer subject",
    ]


def test_columns_escape_cells_and_count_wide_characters() -> None:
    lines = columns([["中文", "x"], ["a\x1bb", "y"]])
    assert lines == ["中文    x", "a\\x1bb  y"]
    assert width("中文") == 4 and width("e\u0301") == 1


# -- the commands that read git -------------------------------------------------------


def test_diff_and_history_escape_commits_evidence_and_policy(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    """Hostile text in a commit's subject and author, in evidence and in the policy (a
    rule's `why`, a band label) reaches `diff` and `history` escaped."""
    repo = init_repo(tmp_path / "repo")
    commit(repo, "seed")
    plant_hostile_text(repo, PAYLOAD)
    commit(repo, f"ipoib: {PAYLOAD}", author=(f"Eve {PAYLOAD}", "eve@example.org"))
    for args in (["diff", "HEAD~1"], ["diff", "HEAD~1", "HEAD"],
                 ["history", "infiniband/ipoib"], ["history", "infiniband/ipoib", "--changes"]):
        result = cli("-C", str(repo), *args)
        assert result.code in (0, 1), result
        check_terminal(result.out + result.err, " ".join(args))
        assert "FORGED" in result.out  # the text is there, escaped


def test_explain_shows_evidence_and_policy_text_escaped(
    repo: Path, cli: Callable[..., Run]
) -> None:
    plant_hostile_text(repo, PAYLOAD)
    result = cli("-C", str(repo), "explain", "infiniband/ipoib")
    assert result.code == 0
    check_terminal(result.out, "explain")
    assert result.out.startswith(
        "infiniband/ipoib: A\\u3164B\\nFORGED.yaml:1:1: error: forged\\n\\x1b]0;owned\\x07"
        "\\u202eC\\xad\\ufe0f\\u034f  (drivers/infiniband/ipoib.yaml, policy default v8 ")


def test_verdicts_columns_never_touch(repo: Path, cli: Callable[..., Run]) -> None:
    """A disagreeing verdict is marked `!` inside its column, which widens to hold it."""
    ipoib = repo / "drivers/infiniband/ipoib.yaml"
    ipoib.write_text(ipoib.read_text().replace("deployment: medium", "deployment: low"))
    lines = cli("-C", str(repo), "verdicts").out.splitlines()
    assert lines[0] == "ID                RECORDED       COMPUTED        SCORE  CONF  RULE"
    assert lines[1] == "infiniband/ipoib  keep           keep-annotate!      6  0.65  score"
