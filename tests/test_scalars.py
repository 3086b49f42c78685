"""Plain scalars by the YAML 1.2 core schema (plus YYYY-MM-DD dates), on both paths."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest

from checker.load.document import parse_document
from checker.load.scalars import NotADate, plain

CORE = [
    # null
    ("", None), ("~", None), ("null", None), ("Null", None), ("NULL", None),
    ("nULL", "nULL"), ("none", "none"),
    # bool: three spellings each, nothing else (YAML 1.1's yes/no/on/off/y/n are strings)
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False),
    ("FALSE", False), ("tRUE", "tRUE"), ("yes", "yes"), ("No", "No"), ("on", "on"),
    ("OFF", "OFF"), ("y", "y"), ("n", "n"),
    # int: [-+]?[0-9]+ (decimal, leading zeros too), 0o[0-7]+, 0x[0-9a-fA-F]+
    ("0", 0), ("12", 12), ("-12", -12), ("+12", 12), ("012", 12), ("0o17", 15),
    ("0x1F", 31), ("0xff", 255), ("0o", "0o"), ("0x", "0x"), ("0o8", "0o8"),
    ("+0x1", "+0x1"), ("-0o7", "-0o7"), ("0X1F", "0X1F"), ("0b101", "0b101"),
    ("1_000", "1_000"), ("0x_1F", "0x_1F"), ("1:20", "1:20"), ("190:20:30", "190:20:30"),
    ("٣", "٣"),
    # float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan
    ("1.5", 1.5), ("-1.5", -1.5), (".5", 0.5), ("+.5", 0.5), ("1.", 1.0), ("1e3", 1000.0),
    ("1E-3", 0.001), ("1.5e+2", 150.0), ("1_0.5", "1_0.5"), ("1e", "1e"), ("e3", "e3"),
    (".", "."), ("1.5.5", "1.5.5"), ("1,5", "1,5"),
    (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf), (".iNF", ".iNF"),
    ("inf", "inf"), ("-.nan", "-.nan"),
    # dates: a plain YYYY-MM-DD only; other YAML 1.1 timestamps are strings
    ("2021-04-21", date(2021, 4, 21)), ("2021-4-2", "2021-4-2"),
    ("2021-04-21 10:00:00", "2021-04-21 10:00:00"), ("2021-04-21T10:00:00Z",
                                                     "2021-04-21T10:00:00Z"),
    ("2021-04", "2021-04"), ("2021", 2021),
    # YAML 1.1's merge and value keys are strings
    ("<<", "<<"), ("=", "="),
]


@pytest.mark.parametrize(("text", "value"), CORE, ids=[repr(t) for t, _ in CORE])
def test_core_schema(text: str, value: Any) -> None:
    assert repr(plain(text)) == repr(value)


def test_nan() -> None:
    for text in (".nan", ".NaN", ".NAN"):
        assert math.isnan(plain(text))


def test_a_date_not_on_the_calendar_is_refused() -> None:
    with pytest.raises(NotADate, match="day is out of range for month"):
        plain("2021-02-30")


@pytest.mark.parametrize(("text", "value"), CORE, ids=[repr(t) for t, _ in CORE])
def test_both_paths_read_the_same_value(text: str, value: Any) -> None:
    """Plain on the fast path, and behind a `?` that sends the file to the reference."""
    fast, problems = parse_document(f"a: {text}\n".encode(), "f.yaml")
    reference, more = parse_document(f"a: {text}\nb: '?'\n? c\n".encode(), "f.yaml")
    assert fast is not None and reference is not None, (problems, more)
    assert fast._marks is None and reference._marks is not None  # the two paths
    assert repr(fast.data["a"]) == repr(reference.data["a"]) == repr(value)


@pytest.mark.parametrize("text", ['"12"', "'true'", '"2021-04-21"', "|\n  12\n", ">-\n  null\n"])
def test_quoted_and_block_scalars_are_strings(text: str) -> None:
    doc, _ = parse_document(f"a: {text}\n".encode(), "f.yaml")
    assert doc is not None and isinstance(doc.data["a"], str)
