"""The reference reader: YAML 1.2 data, or one located problem for what it refuses.

Texts here reach the reference through parse_document (each holds something the fast
path declines); a comment holding ` ?` sends an otherwise plain text there.
"""

from __future__ import annotations

import pytest

from checker.load.document import parse_document

TO_REFERENCE = b"# ?\n"  # a comment: changes no value and no place


def problems(raw: bytes) -> list[str]:
    doc, found = parse_document(raw, "f.yaml")
    assert (doc is None) == bool(found)
    return [str(p) for p in found]


def data(raw: bytes) -> object:
    doc, found = parse_document(raw, "f.yaml")
    assert doc is not None, found
    assert doc._marks is not None  # read by the reference
    return doc.data


@pytest.mark.parametrize(("raw", "expected"), [
    # every form of tag, with the tag's place
    (b"schema: ! 1\n", "f.yaml:1:9: YAML tags are not allowed (!)"),
    (b"hardware:\n  sold_new: ! true\n", "f.yaml:2:13: YAML tags are not allowed (!)"),
    (b"a: !!omap [{b: 1}]\n", "f.yaml:1:4: YAML tags are not allowed (tag:yaml.org,2002:omap)"),
    (b"a: !local x\n", "f.yaml:1:4: YAML tags are not allowed (!local)"),
    (b"a: !<tag:example.com,2000:x> 1\n",
     "f.yaml:1:4: YAML tags are not allowed (tag:example.com,2000:x)"),
    (b"!!str a: 1\n", "f.yaml:1:1: YAML tags are not allowed (tag:yaml.org,2002:str)"),
    (b"a: [! x]\n", "f.yaml:1:5: YAML tags are not allowed (!)"),
    # anchors and aliases: the first alias, or else the first anchor
    (b"a: &x 1\nb: *x\n", "f.yaml:2:4: YAML anchors and aliases are not allowed in evidence "
                          "files"),
    (b"a: &x 1\n", "f.yaml:1:4: YAML anchors and aliases are not allowed in evidence files"),
    # documents, directives
    (b"a: 1\n---\nb: 2\n", "f.yaml:2:1: file holds several YAML documents; keep exactly one"),
    (b"%YAML 1.2\n---\na: 1\n", "f.yaml:2:1: YAML directives (%YAML, %TAG) are not allowed"),
    (b"%TAG !e! tag:e.com,2000:\n---\na: 1\n",
     "f.yaml:2:1: YAML directives (%YAML, %TAG) are not allowed"),
    # keys
    (b"a: 1\nb:\n  c: 1\n  c: 2\n" + TO_REFERENCE,
     "f.yaml:4:3: duplicate key 'c' (first defined on line 3)"),
    (b"? {a: 1}\n: b\n", "f.yaml:1:3: a mapping cannot be a key; field names are strings"),
    (b": a\n: b\n", "f.yaml:2:1: duplicate key 'null' (first defined on line 1)"),
    # values
    (b"a: 2021-02-30\n" + TO_REFERENCE,
     "f.yaml:1:4: a: '2021-02-30' is not a date on the calendar (day is out of range for "
     "month)"),
    (b"a: [" + b"[" * 30 + b"]" * 30 + b"]\n" + TO_REFERENCE,
     "f.yaml:1:28: document is nested more than 24 levels deep"),
    # syntax: ruamel.yaml's message, or py-yaml12's where only it refuses
    (b"a: [1, 2\n", "f.yaml:2:1: YAML syntax error: while parsing a flow sequence: expected "
                    "',' or ']', but got '<stream end>'"),
    (b'a: "value"# comment\n', "f.yaml:1:11: YAML syntax error: comments must be separated "
                               "from other tokens by whitespace"),
    (b'quoted: "a\nb"\n', "f.yaml:1:9: YAML syntax error: invalid indentation in quoted "
                         "scalar"),
    (b"a:\n  b: [c,\n  d]\n", "f.yaml:3:3: YAML syntax error: invalid indentation in flow "
                              "construct"),
    (b"a: 1\nb:\n\t- c\n", "f.yaml:3:1: tab character in indentation; YAML indents with "
                          "spaces"),
    (b'a: "\x07"\n', "f.yaml:1:5: YAML error: control characters are not allowed"),
    # YAML 1.2 that ruamel.yaml's parser cannot read, or reads otherwise than py-yaml12
    (b"a: \tb\n", "f.yaml:1:4: YAML that not every YAML reader reads (while scanning for "
                  "the next token: found character '\\t' that cannot start any token); write "
                  "it plainly"),
    (b"hardware: {?kind: protocol}\n",
     "f.yaml:1:19: hardware.kind: YAML that YAML readers read differently; write it plainly "
     "(quote the value, one value a line)"),
    (b"kconfig: [?x]\n",
     "f.yaml:1:11: kconfig[1]: YAML that YAML readers read differently; write it plainly "
     "(quote the value, one value a line)"),
    (b"notes: |\n  x\n   ",
     "f.yaml:1:8: notes: YAML that YAML readers read differently; write it plainly (quote "
     "the value, one value a line)"),
    # `*` tokens in a text with an anchor-like `&x`: not handed to py-yaml12
    (b"a: R &D\nb: x" + b" *y" * 9 + b"\n",
     "f.yaml:2:30: more than 8 words start with '*' in a text with '&', which YAML reads as "
     "aliases and anchors in places; rephrase or quote them"),
])
def test_refused(raw: bytes, expected: str) -> None:
    assert problems(raw) == [expected]


@pytest.mark.parametrize(("raw", "expected"), [
    # `|+` keeps a line of spaces, as YAML 1.2 reads it
    (b"notes: |+\n  x\n   \n", {"notes": "x\n \n"}),
    # NEL, LS and PS are characters in YAML 1.2, not line breaks
    ("a: b\u2028c\nd: 'e\x85f'\n\u2029g: h\n".encode(),
     {"a": "b\u2028c", "d": "e\x85f", "\u2029g": "h"}),
    # a list as a key is kept, as a tuple (validation says it is not a field name)
    (b"hardware: {kind: unknown, [kind, sold_new]: x}\n",
     {"hardware": {"kind": "unknown", ("kind", "sold_new"): "x"}}),
    # quoted text with `*` and `&` is text
    (b'a: "&x"\nb: ["*y", "*y"]\n' + TO_REFERENCE, {"a": "&x", "b": ["*y", "*y"]}),
    # numbers by the YAML 1.2 core schema
    (b"a: 0b1\nb: 1_2\nc: 0x1F\nd: 012\ne: 1:20\n" + TO_REFERENCE,
     {"a": "0b1", "b": "1_2", "c": 31, "d": 12, "e": "1:20"}),
])
def test_read(raw: bytes, expected: object) -> None:
    assert data(raw) == expected


LOCATED = (b"top: 1\nmap:\n  inner: value\nlist:\n  - {x: 1}\n  - {x: 2}\n"
           b"deep:\n  - a: [1, {b: 2}]\n")


@pytest.mark.parametrize(("keypath", "at_key"), [
    ((), False), (("top",), False), (("top",), True), (("map",), False), (("map",), True),
    (("map", "inner"), False), (("map", "inner"), True), (("map", "inner", "x"), False),
    (("list", 1), False), (("list", 1, "x"), False), (("list", 1, "x"), True),
    (("list", 5), False), (("missing", "deeper"), False), (("deep", 0, "a", 1, "b"), False),
    (("deep", 0, "a", 1, "b"), True), (("deep", 0, "a", 0, "z"), False),
])
def test_locate_gives_what_libyaml_gives(keypath: tuple[str | int, ...], at_key: bool) -> None:
    fast, _ = parse_document(LOCATED, "f.yaml")
    reference, _ = parse_document(LOCATED + TO_REFERENCE, "f.yaml")
    assert fast is not None and reference is not None
    assert fast._marks is None and reference._marks is not None
    assert reference.locate(keypath, at_key=at_key) == fast.locate(keypath, at_key=at_key)
    assert (reference.sub("map").locate(("inner",), at_key=at_key)
            == fast.sub("map").locate(("inner",), at_key=at_key))
