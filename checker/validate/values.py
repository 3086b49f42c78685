"""Checks of single values shared by the cerberus types, the compiled pre-check and
the policy's conditions; the budget of problems reported per document."""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from checker.validate.policy_schema import OPERATORS, PROBE_NAMES, QUANTITY

PARTIAL_DATE_RE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")


def condition_problems(cond: Any, where: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """The closed condition form: {field, op, value} | {all: [...]} | {any: [...]} | {not: c}."""
    if depth > 8:
        yield where, "conditions nest more than 8 levels"
        return
    if not isinstance(cond, dict):
        yield where, "a condition must be a mapping"
        return
    combinators = [k for k in ("all", "any", "not") if k in cond]
    if combinators:
        key = combinators[0]
        extra = sorted(set(cond) - {key})
        if extra:
            yield where, f"{key!r} cannot be combined with {', '.join(map(repr, extra))}"
        inner = cond[key]
        if key == "not":
            yield from condition_problems(inner, f"{where}.not".lstrip("."), depth + 1)
        elif not isinstance(inner, list) or not inner:
            yield where, f"{key!r} takes a non-empty list of conditions"
        else:
            for index, item in enumerate(inner):
                yield from condition_problems(
                    item, f"{where}.{key}[{index + 1}]".lstrip("."), depth + 1
                )
        return
    unknown = sorted(set(cond) - {"field", "op", "value"})
    if unknown:
        yield (
            where,
            f"unknown key(s) {', '.join(map(repr, unknown))}; a condition has "
            "field, op and value, or all / any / not",
        )
    field = cond.get("field")
    if field not in PROBE_NAMES:
        import difflib

        close = difflib.get_close_matches(str(field), PROBE_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        yield (
            where,
            f"field {field!r} is not a probe (probes: {', '.join(PROBE_NAMES)})" + hint,
        )
    op = cond.get("op")
    if op not in OPERATORS:
        yield where, f"op {op!r} must be one of {', '.join(OPERATORS)}"
    elif op in ("known", "unknown"):
        if "value" in cond:
            yield where, f"op {op!r} takes no value"
    elif "value" not in cond:
        yield where, f"op {op!r} needs a value"
    elif op in ("in", "not_in") and not isinstance(cond["value"], list):
        yield where, f"op {op!r} needs a list value"
    elif op in ("lt", "le", "gt", "ge") and not is_finite_number(cond["value"]):
        yield where, f"op {op!r} needs a number"
    elif any(is_finite_number(v) and not -QUANTITY <= v <= QUANTITY for v in (
            cond["value"] if isinstance(cond["value"], list) else [cond["value"]])):
        yield where, f"a number in a condition must lie between {-QUANTITY:,} and {QUANTITY:,}"


def is_finite_number(value: Any) -> bool:
    """An int or a float other than NaN and the infinities (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def is_partial_date(value: Any) -> bool:
    if isinstance(value, date):
        return not isinstance(value, datetime)
    if not isinstance(value, str) or not PARTIAL_DATE_RE.match(value):
        return False
    parts = value.split("-")
    try:
        date(
            int(parts[0]),
            int(parts[1]) if len(parts) > 1 else 1,
            int(parts[2]) if len(parts) > 2 else 1,
        )
    except ValueError:
        return False
    return True


# The common form, accepted without urlsplit: a lowercase http(s) scheme, an ASCII host
# name, an optional port, and a rest of printable ASCII without the characters refused
# below. Anything else takes the general test.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!#-;=?-_a-~]*)?\Z"
)


def is_http_url(value: str) -> bool:
    if _PLAIN_HTTP_URL.match(value):
        return True
    if any(ch.isspace() or ord(ch) < 32 or ch in '<>"`' for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


MAX_PROBLEMS = 100  # schema problems reported per document; the rest are counted


class _Budget:
    def __init__(self, left: int) -> None:
        self.left = left
        self.dropped = 0


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)
