"""What a plain scalar means: the YAML 1.2 core schema, plus calendar dates.

Both loaders (fastyaml's libyaml path and the reference) resolve plain scalars here and
nowhere else, so they cannot differ on a value. The core schema's expressions
(YAML 1.2.2, section 10.3.2) are taken as written; the one addition is a plain
`YYYY-MM-DD`, which is a date (evidence dates are typed: a quoted "2021-04-21" is a
string and fails where a date is required). Everything else is a string: `1_000`,
`0b101`, `0x_1F`, `+0x1`, `1:20`, `yes`, `2021-4-2`, `2021-04-21 10:00:00`.
Quoted and block scalars are always strings.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

NULL = frozenset(("", "~", "null", "Null", "NULL"))
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
INT10 = re.compile(r"[-+]?[0-9]+\Z")
INT8 = re.compile(r"0o[0-7]+\Z")
INT16 = re.compile(r"0x[0-9a-fA-F]+\Z")
FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# the characters that can start a scalar that is not a string: anything else is one
_FIRST = frozenset("0123456789-+.~nNtTfFo")


class NotADate(ValueError):
    """A plain YYYY-MM-DD that no calendar holds (2021-04-31)."""


def plain(value: str) -> Any:
    """The value of a plain scalar. Raises NotADate, or ValueError for an integer
    longer than Python converts (sys.get_int_max_str_digits)."""
    if not value:
        return None
    if value[0] not in _FIRST:
        return value
    if value in NULL:
        return None
    if value in BOOL:
        return BOOL[value]
    if INT10.match(value):
        return int(value, 10)
    if value[0] == "0" and len(value) > 2:
        if INT8.match(value):
            return int(value[2:], 8)
        if INT16.match(value):
            return int(value[2:], 16)
    if DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise NotADate(str(exc)) from None
    if FLOAT.match(value):
        return float(value)
    if INF.match(value):
        return float("-inf") if value[0] == "-" else float("inf")
    if NAN.match(value):
        return float("nan")
    return value
