"""The fast loader takes only documents it reads as the reference reads them.

Every document it takes gives the data of the reference reader (checker.load.reference)
and of py-yaml12 (a YAML 1.2 reader); everything unusual, erroneous, tagged, anchored or
duplicated is declined. The differential property generates evidence-like documents
(nested block and flow collections, quoted, plain over lines and block scalars, comments,
indentation steps), mutates them (a character put in or taken out, a line re-indented),
and compares; `pytest -m fuzz` runs it with FUZZ_EXAMPLES examples.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import yaml12
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.load.fastyaml import Declined, fast_load, needs_reference
from checker.load.reference import Refused, _difference, load

FILES = sorted([*ROOT.glob("drivers/*/*.yaml"), *ROOT.glob("policies/**/*.yaml"),
                *ROOT.glob("tests/examples/valid/*.yaml")])


def reference(text: str) -> object:
    return load(text, 24, 10_000)[0]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_take_the_fast_path_and_agree(path: Path) -> None:
    text = path.read_text()
    assert not needs_reference(text)
    assert repr(fast_load(text)) == repr(reference(text))


DECLINED = {
    # explicit keys and `?x` in flow (libyaml: the key `x`; YAML 1.2: the string "?x")
    "flow-question-key": "a: {?b: c}\n",
    "flow-question-item": "a: [?x]\n",
    "explicit-key": "? a\n: b\n",
    # tags of every form (libyaml resolves `! 12` to an integer)
    "non-specific-tag": "a: ! 12\n",
    "local-tag": "a: !x 1\n",
    "core-tag": "a: !!str 1\n",
    "omap-tag": "a: !!omap [{b: 1}]\n",
    "verbatim-tag": "a: !<tag:yaml.org,2002:str> 1\n",
    "tagged-key": "!!str a: 1\n",
    # anchors, aliases, directives, document markers
    "anchor": "a: &x 1\n",
    "alias": "a: &x 1\nb: *x\n",
    "alias-without-anchor": "a: *x\n",
    "directive": "%YAML 1.2\n---\na: 1\n",
    "document-start": "---\na: 1\n",
    "document-end": "a: 1\n...\n",
    # characters: YAML 1.1 line breaks, tab, lone CR, BOM in the text
    "tab": "a:\tb\n",
    "lone-cr": "a: b\rc: d\n",
    "nel": "a: b\x85c\n",
    "line-separator": "a: 'b\u2028c'\n",
    "paragraph-separator": "a: b\u2029\n",
    "bom-inside": "a: \ufeffb\n",
    # block scalars: lines of spaces, keep, indentation indicators, comment headers,
    # empty, last line without a break, header alone on its line
    "block-spaces-line": "a: |\n  x\n   \nb: 1\n",
    "block-keep": "a: |+\n  x\n\nb: 1\n",
    "block-indicator": "a: |2\n   x\n",
    "block-comment-header": "a: ># c\n  x\n",
    "block-empty": "a: |\nb: 1\n",
    "block-last-line": "a: |\n  x",
    "block-header-own-line": "a:\n|\n x\n",
    # quoted scalars: over lines, a comment or more right after the quote
    "quoted-over-lines": 'a:\n  b: "x\n  y"\n',
    "quoted-comment": 'a: "v"# c\n',
    "quoted-adjacent": '{"a":1}\n',
    "quoted-own-line": 'a:\n"b"\n',
    # flow collections: over lines, `#` right after, on a line of their own, odd entries
    "flow-over-lines": "a: [b,\nc]\n",
    "flow-comment": "a: [b]#c\n",
    "flow-own-line": "a:\n[1]\n",
    "flow-dash": "a: [-]\n",
    "flow-dash-value": "a: {b: -}\n",
    "flow-colon-comma": "a: {b:,}\n",
    "flow-colon-start": "a: [:x]\n",
    "colon-word": "a :b\n",
    # errors, duplicates, complex keys, dates off the calendar
    "duplicate": "a: 1\na: 2\n",
    "sequence-key": "? [1, 2]\n: x\n",
    "flow-sequence-key": "{[1, 2]: x}\n",
    "unclosed": "a: [1, 2\n",
    "not-a-date": "a: 2021-02-30\n",
    "several-documents": "a: 1\n---\nb: 2\n",
}


@pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
def test_declined(text: str) -> None:
    with pytest.raises(Declined):
        fast_load(text)


@pytest.mark.parametrize("text", [
    "a: 1\r\nb: 'x'\r\n",  # CRLF: one line break in YAML 1.1 and 1.2
    "a: x # c\nb: 'q' # c\nc: [d, 'e', {f: g}] # c\n",
    "a: >-\n  text\n  more\n\n  after\nb: |\n  x\n",
    "a: R & D, 50%, why?, *emph*, x!\n",
    "a: http://x.example/p?q=1&r=%20#frag\n",
    "a:\n- b\n- c\n",
    "a: plain\n  over lines\n",
])
def test_taken(text: str) -> None:
    assert repr(fast_load(text)) == repr(reference(text))


# -- the differential property ----------------------------------------------------------

WORDS = ["a", "key", "x y", "1", "-1", "012", "1.5", "1e3", "0x1F", "1_000", "true", "yes",
         "null", "~", "2021-04-21", "2021-04", "it's", 'say "hi"', "a: b", "a #b", "a#b",
         "http://x/y?z=1", "x,y", "[x]", "{x}", "- x", "? x", "*a", "&a x", "*emph* x", "é",
         "", " lead", "trail ", "\\", "'", '"', "|", ">", ":", "a:", "-", "#", "!", "! x"]
HEADERS = ["|", ">", "|-", ">-", "|+", ">+", "|2", "| #c", ">-  # c", ">#c"]
FLOW_KEYS = ["a", "b", '"q"', "'s'", "?x"]


def _scalar(rng: random.Random, indent: int, flow: bool) -> str:
    word, choice = rng.choice(WORDS), rng.random()
    if choice < 0.3:
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if choice < 0.45:
        return "'" + word.replace("'", "''") + "'"
    if choice < 0.55 and not flow:
        pad = " " * (indent + rng.choice([1, 2, 2, 2, 3]))
        lines = [pad + rng.choice([*WORDS, "", " more", "  deeper"])
                 for _ in range(rng.randint(0, 3))]
        return rng.choice(HEADERS) + "\n" + "\n".join(lines)
    if choice < 0.62 and not flow:
        pad = " " * (indent + rng.choice([0, 1, 2, 2]))
        return rng.choice(WORDS) + "\n" + pad + rng.choice(WORDS)
    return word


def _node(rng: random.Random, indent: int, depth: int, flow: bool = False) -> str:
    choice = rng.random()
    if depth > 2 or choice < 0.5:
        return _scalar(rng, indent, flow)
    if flow or choice < 0.7:
        items = [_node(rng, indent, depth + 1, True) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.5:
            return "[" + ", ".join(items) + "]"
        return "{" + ", ".join(f"{rng.choice(FLOW_KEYS)}: {item}" for item in items) + "}"
    step = rng.choice([1, 2, 2, 4])
    pad = " " * (indent + step)
    if choice < 0.85:
        keys = rng.sample(["a", "b", "c", "d", "e"], rng.randint(1, 3))
        lines = [f"{pad}{key}: {_node(rng, indent + step, depth + 1)}" for key in keys]
    else:
        lines = [f"{pad}- {_node(rng, indent + step + 2, depth + 1)}"
                 for _ in range(rng.randint(1, 3))]
    return "\n" + "\n".join(lines)


def evidence_like(rng: random.Random) -> str:
    lines = []
    for key in rng.sample(["schema", "name", "paths", "sources", "notes", "signals"],
                          rng.randint(1, 4)):
        value, comment = _node(rng, 0, 0), rng.choice(["", "", "  # note", " #n"])
        lines.append(f"{key}:{comment}{value}" if value.startswith("\n")
                     else f"{key}: {value}{comment}")
    text = "\n".join(lines) + "\n"
    for _ in range(rng.randint(0, 2)):
        at, change = rng.randrange(len(text) + 1), rng.random()
        if change < 0.3:
            text = text[:at] + rng.choice(" \n#:-,'\"[]{}|>?\\&*!\t") + text[at:]
        elif change < 0.6:
            text = text[:at] + text[at + 1 :]
        else:
            lines = text.split("\n")
            index = rng.randrange(len(lines))
            lines[index] = " " * rng.randint(0, 5) + lines[index].lstrip(" ")
            text = "\n".join(lines)
    return text


def check_agreement(text: str) -> None:
    """What the fast path takes, the reference and py-yaml12 read as the same data."""
    try:
        fast = fast_load(text)
    except Declined:
        return
    documents = yaml12.parse_yaml(text, multi=True)  # raises: accepted invalid YAML
    assert len(documents) <= 1
    assert _difference(fast, documents[0] if documents else None, ()) is None, text
    try:
        assert repr(reference(text)) == repr(fast), text
    except Refused as refused:
        pytest.fail(f"the reference refuses what the fast path takes: {refused} in {text!r}")


QUICK = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2500")) * 10,
                deadline=None, suppress_health_check=list(HealthCheck))


@QUICK
@given(st.randoms(use_true_random=False))
def test_fast_path_agrees_with_yaml_1_2(rng: random.Random) -> None:
    check_agreement(evidence_like(rng))


@pytest.mark.fuzz
@FUZZ
@given(st.randoms(use_true_random=False))
def test_fast_path_agrees_with_yaml_1_2_long(rng: random.Random) -> None:
    check_agreement(evidence_like(rng))


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
    # something unusual right after the months (the scan sees the rest of the text)
    f"signals:\n  monthly:\n{MONTHS}  x: ! 1\n",
]


@pytest.mark.parametrize("text", MONTHLY_ODD)
def test_other_month_layouts_parse_the_whole_file(text: str) -> None:
    try:
        fast = repr(fast_load(text))
    except Declined:
        return
    try:
        expected = repr(reference(text))
    except Refused:
        pytest.fail("the fast path accepted a file the reference loader refuses")
    assert fast == expected
