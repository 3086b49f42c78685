"""The fast loader agrees with the reference loader (ruamel.yaml) or declines."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from checker.load.fastyaml import Declined, fast_load

FILES = sorted([*ROOT.glob("drivers/*/*.yaml"), *ROOT.glob("policies/**/*.yaml"),
                *ROOT.glob("tests/examples/valid/*.yaml")])
REFERENCE = YAML(typ="safe", pure=False)


def reference(text: str) -> object:
    return REFERENCE.load(text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_take_the_fast_path_and_agree(path: Path) -> None:
    text = path.read_text()
    assert repr(fast_load(text)) == repr(reference(text))


@pytest.mark.parametrize(
    "scalar",
    ["yes", "No", "on", "OFF", "y", "012", "0o17", "0x1F", "0b101", "1_000", "1:20", "1e3",
     ".5", "-.inf", ".NaN", "2021-04-21 10:00:00", "2021-4-2", "<<", "="],
)
def test_scalars_where_yaml_versions_differ_decline(scalar: str) -> None:
    with pytest.raises(Declined):
        fast_load(f"a: {scalar}\n")


@pytest.mark.parametrize(
    "text",
    ["a: 1\na: 2\n", "a: &x 1\nb: *x\n", "a: !!binary aGk=\n", "a: !local x\n",
     "? [1, 2]\n: x\n", "a: [1, 2\n", "- 1\n---\n- 2\n"],
)
def test_duplicates_aliases_tags_complex_keys_and_errors_decline(text: str) -> None:
    with pytest.raises(Declined):
        fast_load(text)


plain = st.text(alphabet="0123456789abcdefxXoOeE+-._:TtyYnN ~", min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(plain)
def test_plain_scalars_agree_or_decline(value: str) -> None:
    text = f"a: {value}\n"
    try:
        expected = reference(text)
    except Exception:  # the reference refuses: the fast path must not accept silently
        with pytest.raises(Declined):
            fast_load(text)
        return
    try:
        got = fast_load(text)
    except Declined:
        return
    assert repr(got) == repr(expected)


MONTHS = (
    '    - {month: "2021-04", commits: 0, added: 0, removed: 0}\n'
    '    - {month: "2021-05", commits: 3, added: 52, removed: 46}\n'
)
MONTHLY_LAYOUTS = [
    f"signals:\n  files: 2\n  monthly:\n{MONTHS}  commits: 3\nnext: 1\n",
    f"signals:\n  monthly:\n{MONTHS}",
    f"signals:\n  monthly:\n{MONTHS.replace('    -', '  -')}  commits: 3\n",  # compact
    f"signals:\n  monthly:\n{MONTHS}\n# a comment\n\nnext: 1\n",
    # the word ending other keys is not a second `monthly:` key
    f"by_monthly:\n  a: 1\nsignals:\n  x_monthly:\n    b: 2\n  monthly:\n{MONTHS}",
]


@pytest.mark.parametrize("text", MONTHLY_LAYOUTS)
def test_month_lines_read_without_the_parser_agree(text: str) -> None:
    from checker.load.fastyaml import _split_monthly

    assert _split_monthly(text) is not None
    assert repr(fast_load(text)) == repr(reference(text))


MONTHLY_ODD = [
    # a comment between months, another layout, more months in another form
    f"signals:\n  monthly:\n{MONTHS}    # gap\n{MONTHS}",
    f"signals:\n  monthly:\n{MONTHS}    - {{month: '2021-06', commits: 0, added: 0, removed: 0}}\n",
    f"signals:\n  monthly:\n{MONTHS}    - month: '2021-06'\n      commits: 0\n",
    # months somewhere else than signals, while signals has its own
    f"signals:\n  monthly: []\nextra:\n  monthly:\n{MONTHS}",
    f"extra:\n  monthly:\n{MONTHS}signals: {{monthly: []}}\n",
    # inside a block scalar, and a second monthly key
    f"notes: |\n  monthly:\n{MONTHS}signals:\n  monthly: []\n",
    f"signals:\n  monthly:\n{MONTHS}  monthly:\n{MONTHS}",
    f"signals:\n  monthly:\n{MONTHS}      commits: 1\n",  # a deeper line after them
]


@pytest.mark.parametrize("text", MONTHLY_ODD)
def test_other_month_layouts_parse_the_whole_file(text: str) -> None:
    try:
        fast = repr(fast_load(text))
    except Declined:
        return
    try:
        expected = repr(reference(text))
    except Exception:  # the fast path must then have declined
        pytest.fail("the fast path accepted a file the reference loader refuses")
    assert fast == expected
