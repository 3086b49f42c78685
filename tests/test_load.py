"""The loader: bytes -> data or one located problem, never an exception."""

from __future__ import annotations

import pytest

from checker.load.document import MAX_BYTES, parse_document


def problems(raw: bytes) -> list[str]:
    doc, found = parse_document(raw, "f.yaml")
    assert (doc is None) == bool(found)
    return [str(p) for p in found]


def test_error_file_too_large() -> None:
    raw = b"a: " + b"x" * MAX_BYTES + b"\n"
    assert problems(raw) == [
        f"f.yaml:1:1: file is {len(raw)} bytes; the limit is {MAX_BYTES} bytes"
    ]


def test_error_control_character() -> None:
    assert problems(b'a: 1\nb: "\x07"\n') == [
        "f.yaml:2:5: YAML error: control characters are not allowed"
    ]


def test_error_duplicate_nested_key() -> None:
    raw = b"a:\n  b: 1\n  c: 2\n  b: 3\n"
    assert problems(raw) == ["f.yaml:4:3: duplicate key 'b' (first defined on line 2)"]


def test_error_whitespace_only() -> None:
    assert problems(b"   \n\n") == ["f.yaml:1:1: file is empty"]


def test_error_billion_laughs_refused() -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 10):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        levels.append(f"a{n}: &a{n} [{refs}]")
    raw = ("\n".join(levels) + "\n").encode()
    assert problems(raw) == [
        "f.yaml:2:10: YAML anchors and aliases are not allowed in evidence files"
    ]


def test_error_very_deep_nesting_does_not_recurse_forever() -> None:
    raw = b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    assert problems(raw) == ["f.yaml:1:28: document is nested more than 24 levels deep"]


def test_dates_load_as_dates_and_months_as_strings() -> None:
    doc, found = parse_document(b'a: 2021-04-21\nb: "2021-04"\nc: 2021-04\n', "f.yaml")
    assert doc is not None and not found
    assert str(doc.data["a"]) == "2021-04-21"
    assert doc.data["b"] == doc.data["c"] == "2021-04"


@pytest.mark.parametrize(
    ("keypath", "at_key", "expected"),
    [
        (("top",), False, (1, 6)),
        (("map", "inner"), False, (3, 10)),
        (("map", "inner"), True, (3, 3)),
        (("list", 1), False, (6, 5)),
        (("list", 1, "x"), False, (6, 9)),
        (("missing", "deeper"), False, (1, 1)),
    ],
)
def test_locate(keypath: tuple[str | int, ...], at_key: bool, expected: tuple[int, int]) -> None:
    raw = b"top: 1\nmap:\n  inner: value\nlist:\n  - {x: 1}\n  - {x: 2}\n"
    doc, _ = parse_document(raw, "f.yaml")
    assert doc is not None
    assert doc.locate(keypath, at_key=at_key) == expected
