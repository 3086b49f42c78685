"""Claim positions read from the text agree with the parser's, or are not given."""

from __future__ import annotations

import pytest

from checker.load.document import parse_document
from checker.load.marks import claim_marks

BODY = """\
# a comment
schema: 1
name: {name}
path: drivers/x/y
paths:
{paths}
granularity: directory
"""

AGREEING = [
    "  include:\n    - drivers/x/y/\n    - 'drivers/x/z.c'  # why\n  exclude: []",
    "  exclude: []\n  include:\n  - drivers/x/y/\n\n  # between\n  - \"drivers/x/*.c\"",
    "  include: [drivers/x/y/, 'drivers/x/z.c', \"drivers/x/w/\"]  # flow\n  exclude: []",
    "  include: [ drivers/x/y/ ]",
    "  include:\n    -   drivers/x/y/",
]


@pytest.mark.parametrize("paths", AGREEING)
@pytest.mark.parametrize("name", ["Plain name", "'Quoted name'", '"Double"  # c'])
def test_marks_agree_with_the_parser(paths: str, name: str) -> None:
    doc, problems = parse_document(BODY.format(name=name, paths=paths).encode(), "f.yaml")
    assert doc is not None and not problems
    include = doc.data["paths"]["include"]
    marks = claim_marks(doc.text, doc.data["name"], doc.data["path"], include)
    assert marks is not None
    assert len(marks) == 2 + len(include)
    for keypath, line, col in marks:
        assert (line, col) == doc.locate(keypath), keypath


DECLINED = [
    "  include: [drivers/x/y/,\n    drivers/x/z/]",  # a flow list over lines
    "  include:\n    - drivers/x/y/\n      continued",  # a multi-line plain scalar
    "  include:\n    - \"drivers/x/\\u0079/\"",  # an escape
    "  {include: [drivers/x/y/]}",
]


@pytest.mark.parametrize("paths", DECLINED)
def test_unusual_layouts_are_left_to_the_parser(paths: str) -> None:
    doc, problems = parse_document(BODY.format(name="N", paths=paths).encode(), "f.yaml")
    assert doc is not None and not problems
    include = doc.data["paths"]["include"]
    assert claim_marks(doc.text, doc.data["name"], doc.data["path"], include) is None


def test_values_that_differ_from_the_loaded_ones_are_not_located() -> None:
    text = BODY.format(name="N", paths="  include:\n    - drivers/x/y/")
    assert claim_marks(text, "N", "drivers/x/y", ["drivers/x/other/"]) is None
    assert claim_marks(text, "M", "drivers/x/y", ["drivers/x/y/"]) is None
    assert claim_marks(text + "name: again\n", "N", "drivers/x/y", ["drivers/x/y/"]) is None


def test_a_flow_item_with_a_long_run_of_blanks_is_read_in_linear_time() -> None:
    # an item's trailing blanks were found by a lazy repetition followed by `[ \t]*`:
    # quadratic in a run of blanks (minutes for this line); now one pass
    item = "drivers/x/" + " " * 200_000 + "y/"
    text = BODY.format(name="N", paths=f"  include: [{item}, drivers/x/z/  ]")
    doc, problems = parse_document(text.encode(), "f.yaml")
    assert doc is not None and not problems
    assert doc.data["paths"]["include"] == [item, "drivers/x/z/"]
    marks = claim_marks(text, "N", "drivers/x/y", [item, "drivers/x/z/"])
    assert marks is not None
    assert [m[1:] for m in marks[2:]] == [(6, 13), (6, 13 + len(item) + 2)]
    for keypath, line, col in marks:
        assert (line, col) == doc.locate(keypath), keypath
