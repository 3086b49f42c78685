"""The common layout read line by line gives the reference reader's data, or nothing.

Whatever checker.load.linereader takes, the reference reader (checker.load.reference)
and py-yaml12 read as the same data: on the repository's files, on a scaffold's layout,
on hand-picked corners, and on the fast path's generated and mutated evidence-like
documents (test_fastyaml's generator). Everything else is declined (None), and the
fast path reads it as before.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml12
from hypothesis import given
from hypothesis import strategies as st
from test_fastyaml import FILES, QUICK, evidence_like, reference

from checker.load.fastyaml import _split_monthly, needs_reference
from checker.load.linereader import line_load
from checker.load.reference import Refused, _difference

SCAFFOLD = """\
# Scaffolded by `driver-policy new` from drivers/net/ethernet/3com/3c509.c.
# A draft publishes no verdict.
schema: 1
status: draft
name: "3c509/3c579 \\"EtherLink III\\" support"
subsystem: net
category: networking-ethernet   # guessed from the path (the policy's categories); check it
path: drivers/net/ethernet/3com/3c509.c
paths:
  include:
    - drivers/net/ethernet/3com/3c509.c
  exclude: []
granularity: files
kconfig: [EL3]
summary: >-
  TODO: what this driver is for, which hardware or protocol it serves,
  and who uses it.
provenance: Scaffolded by driver-policy new from the tree at commit 283d5a5d646a.

# Assessment inputs.
deployment: unknown
hardware:
  kind: hardware
  last_sold: null
replacement:
  status: unknown
  note: 'it''s ~'
upstream: []
sources:
  - url: https://lore.kernel.org/all/x@y/
    claim: |
      one line
      two lines
    date: 2024-11
  - url: "https://example.org/a#b"
signals:
  window: {start: 2019-11-17, end: 2024-11-17}
  kernel_rev: "283d5a5d646a871f32e7bfbd6c56be9a91e233f7"
  lines_added: 0
  ratio: 1.5
  monthly:
    - {month: "2019-11", commits: 0, added: 0, removed: 0}
    - {month: "2019-12", commits: 2, added: 10, removed: 3}
  last_commit: null
  depends_on_broken: false
  usage:
    enabled_in: ["arch/powerpc/configs/ppc6xx_defconfig", 'b']
"""


def agrees(text: str) -> None:
    """Taken: the reference and py-yaml12 read the same data."""
    taken = line_load(text, 24)
    if taken is None:
        return
    documents = yaml12.parse_yaml(text, multi=True)
    assert len(documents) == 1 and _difference(taken, documents[0], ()) is None, text
    try:
        assert repr(reference(text)) == repr(taken), text
    except Refused as refused:
        pytest.fail(f"the reference refuses what the line reader takes: {refused} in {text!r}")


@pytest.mark.parametrize("text", [SCAFFOLD, _split_monthly(SCAFFOLD)[0]])  # type: ignore[index]
def test_a_scaffold_is_taken_and_agrees(text: str) -> None:
    assert line_load(text, 24) is not None
    agrees(text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_repository_files_agree(path: Path) -> None:
    agrees(path.read_text())


TAKEN = [
    "a: x # c\nb: 'q' # c\nc: [d, 'e', \"f\"] # c\n",
    "a: >-\n  text\n  more\nb: |\n  x\n  y\n\n\nc: 1\n",
    "a: >\n  text\n# a comment\nb: |-\n  x\n",
    "a: R & D, 50%, why?, *emph*, x!\n",
    "a: http://x.example/p?q=1&r=%20\n",
    "a:\n  - b: 1\n    c: [1, 2.5, true, null, 2021-04-21]\n  - d\n",
    "a:\n  # a comment before the block\n  b: 1\n",
    "true: 1\nx-y: ~\nn: 0o17\nh: 0x1F\nf: .inf\nz: 012\ns: 1_000\n",
    "a: {b: 1, c: 'd'}\n",
    "a: 'x' \nb: \"y\"  \n",
    "a: x  y  \n",
    "a: it's\nb: say \"hi\"\n",
    "a: [x, y]   # c\n",
    "a: 1",
]


@pytest.mark.parametrize("text", TAKEN)
def test_taken(text: str) -> None:
    assert line_load(text, 24) is not None
    agrees(text)


DECLINED = {
    "plain-over-lines": "a: plain\n  over lines\n",
    "item-over-lines": "a:\n  - x\n    y\n",
    "indentless-sequence": "a:\n- b\n",
    "key-without-value": "a:\nb: 1\n",
    "key-without-value-at-end": "a: 1\nb:\n",
    "deeper-comment": "a: 1\n  # c\nb: 2\n",
    "blank-inside-block": "a: |\n  x\n\n  y\n",
    "more-indented-in-block": "a: >\n  x\n    y\n",
    "block-at-end-without-break": "a: |\n  x",
    "block-keep": "a: |+\n  x\n",
    "block-indicator": "a: |2\n   x\n",
    "block-trailing-space": "a: >\n  x \n  y\n",
    "escape": 'a: "x\\ny"\n',
    "duplicate": "a: 1\na: 2\n",
    "duplicate-flow": "a: {b: 1, b: 2}\n",
    "long-key": "k" * 1100 + ": 1\n",
    "tab": "a:\tb\n",
    "cr": "a: 1\r\nb: 2\r\n",
    "hash-in-plain": "a: x#y\n",
    "sequence-in-sequence": "a:\n  - - x\n",
    "dash-value": "a: - x\n",
    "nested-flow": "a: [[x]]\n",
    "flow-colon": "a: [x: y]\n",
    "colon-space": "a: b: c\n",
    "root-sequence": "- a\n",
    "root-indented": "  a: 1\n",
    "quoted-key": "'a': 1\n",
    "spaces-line": "a: 1\n  \nb: 2\n",
    "unprintable": "a: \x01\n",
    "null-key": "null: 1\n",
    "date-not-on-calendar": "a: 2021-02-30\n",
    "anchor": "a: &x 1\n",
}


@pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
def test_declined(text: str) -> None:
    assert line_load(text, 24) is None


@pytest.mark.parametrize("text", ["a:\n  b:\n    c: 1\n", "a:\n  b: [1]\n", "a:\n  - b: 1\n"])
def test_deeper_than_the_limit_is_declined(text: str) -> None:
    assert line_load(text, 3) is not None
    assert line_load(text, 2) is None


@QUICK
@given(st.randoms(use_true_random=False))
def test_what_is_taken_agrees_with_yaml_1_2(rng: random.Random) -> None:
    agrees(evidence_like(rng))


@QUICK
@given(st.randoms(use_true_random=False), st.integers(0, 10_000))
def test_a_changed_scaffold_is_declined_or_agrees(rng: random.Random, at: int) -> None:
    """One character put in, taken out or a line re-indented, anywhere in a scaffold."""
    text, at, change = SCAFFOLD, at % (len(SCAFFOLD) + 1), rng.random()
    if change < 0.4:
        text = text[:at] + rng.choice(" \n#:-,'\"[]{}|>?\\&*!x") + text[at:]
    elif change < 0.7:
        text = text[:at] + text[at + 1 :]
    else:
        lines = text.split("\n")
        index = at % len(lines)
        lines[index] = " " * rng.randint(0, 6) + lines[index].lstrip(" ")
        text = "\n".join(lines)
    if not needs_reference(text):
        agrees(text)
