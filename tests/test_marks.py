"""Claim positions read from the text agree with the parser's, or are not given."""

from __future__ import annotations

import pytest
from conftest import ROOT

from checker.load.document import Document, parse_document
from checker.load.marks import claim_marks, top_level

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
        assert (line, col) == composed(doc).locate(keypath), keypath


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


ODD_PATHS = [
    "  include:\n    - drivers/x/y/\n# a comment at column 1\n    - drivers/x/z/",
    "  include:\n    - drivers/x/y/\n\t\n  exclude: []",
    "  include: []\n  exclude: []",
    "  include:\n  - drivers/x/y/\n  - drivers/x/z/  # c",
]


@pytest.mark.parametrize("paths", [*AGREEING, *DECLINED, *ODD_PATHS])
@pytest.mark.parametrize("order", ["name-first", "paths-first", "paths-last"])
def test_marks_from_the_top_level_keys_are_the_marks_found_by_searching(
    paths: str, order: str
) -> None:
    """Given the file's top-level keys, claim_marks splits only `paths`: the same marks
    (or None) as searching the whole text for the three keys."""
    text = BODY.format(name="N", paths=paths)
    if order != "name-first":
        lines = text.split("\n")
        block = [line for line in lines if line.startswith(("paths:", "  ", "\t", "#"))]
        rest = [line for line in lines if line not in block]
        text = "\n".join(block + rest if order == "paths-first" else rest[:-1] + block + [""])
    doc, _ = parse_document(text.encode(), "f.yaml")
    if doc is None or not isinstance(doc.data.get("paths"), dict):
        return
    include = doc.data["paths"].get("include") or []
    top = top_level(doc.text, list(doc.data))
    searched = claim_marks(doc.text, doc.data["name"], doc.data["path"], include)
    if top is not None:
        assert claim_marks(doc.text, doc.data["name"], doc.data["path"], include,
                           top) == searched


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


# -- top-level keys --------------------------------------------------------------------

# Files in the common layout: every top-level key is located from the text, where the
# composer puts it (a value that does not start on its key's line is left to it).
TOP_AGREEING = [
    "a: 1\nb: x  # c\nc:\n  - 1\nd: {x: 1}\ne: [1, 2]\nf: 'q'\n",
    "# lead\n\n  # indented comment\na: x\n\nb:   spaced  \n#col0\nc: \"q # not\"\n",
    "a: |\n  text\n  more\nb: 2\n",
    "a: one\n  two\nb: 3\n",
    "a:\nb: 1\n",
    'a: "x\n  y"\nb: 1\n',
    "a:  # comment, the value below\n  k: v\nb: 1\n",
    "a_b-c: 1\nd : 2\n",
]
# Not the common layout: the text says nothing and the composer decides.
TOP_REFUSED = [
    '"a": 1\nb: 2\n',
    "  a: 1\n  b: 2\n",
    "---\na: 1\n",
    "a: 1\r\nb: 2\r\n",
    "? a\n: 1\n",
    "1: x\n",
    "a b: 1\n",
    "{a: 1}\n",
    'a: "x\nb: y"\n',
    "a:\tx\nb: 1\n",
]


def composed(doc: Document) -> Document:
    """The same document located without the text index (by libyaml's composer, or by
    the reference reader's marks for a document it read)."""
    copy = Document(doc.path, doc.text, doc.data, _marks=doc._marks)
    copy._top = False
    return copy


def locations(doc: Document) -> list[tuple[int, int]]:
    keypaths: list[tuple[str | int, ...]] = [(), *((key,) for key in doc.data), ("absent",)]
    return [doc.locate(keypath, at_key=at_key) for keypath in keypaths
            for at_key in (False, True)]


@pytest.mark.parametrize("text", TOP_AGREEING)
def test_top_level_keys_are_located_where_the_composer_puts_them(text: str) -> None:
    doc, problems = parse_document(text.encode(), "f.yaml")
    assert doc is not None, problems
    assert doc.top_level() is not None
    assert locations(doc) == locations(composed(doc))


@pytest.mark.parametrize("text", TOP_REFUSED)
def test_other_layouts_are_located_by_the_composer(text: str) -> None:
    doc, problems = parse_document(text.encode(), "f.yaml")
    if doc is None:  # a layout the readers refuse (a tab after `:`, a bad continuation)
        assert problems
        return
    assert top_level(doc.text, list(doc.data)) is None
    assert doc.top_level() is None
    assert locations(doc) == locations(composed(doc))


EVIDENCE = sorted([*ROOT.glob("drivers/*/*.yaml"), *ROOT.glob("policies/**/*.yaml"),
                   *ROOT.glob("tests/examples/*/*.yaml")])


def test_every_file_of_the_repository_and_the_examples_is_located_as_composed() -> None:
    located = 0
    for path in EVIDENCE:
        doc, _ = parse_document(path.read_bytes(), path.name)
        if doc is None:
            continue
        located += doc.top_level() is not None
        assert locations(doc) == locations(composed(doc)), path
    assert located > len(EVIDENCE) // 2  # most are in the common layout


def test_top_level_spans_and_lines() -> None:
    text = "# head\na: 1\nb:\n  - x\n  - y\n\nc: z\n"
    top = top_level(text, ["a", "b", "c"])
    assert top is not None
    assert top.lines() == {"a": 2, "b": 3, "c": 7}
    assert [text[slice(*top.span(key))] for key in ("a", "b", "c")] == [
        "a: 1\n", "b:\n  - x\n  - y\n\n", "c: z\n"]
    assert (top.value_column("a"), top.value_column("b")) == (4, None)
    assert top_level(text, ["a", "c", "b"]) is None  # the loaded keys in another order
