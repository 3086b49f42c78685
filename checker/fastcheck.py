"""A compiled pre-check of a cerberus schema: True only when cerberus would find nothing.

Cerberus builds child validators for every nested mapping and list item, which makes it
the most expensive step of a check. Most files are valid, so this module compiles the
schema once into plain closures that answer one question: is the document certainly
valid? It is never more lenient than cerberus (where unsure it answers False), and it
never produces messages: a False sends the document to cerberus, which reports the
errors. tests/test_fastcheck.py checks the agreement on valid and mutated documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from datetime import date, datetime
from typing import Any

Check = Callable[[Any], bool]

_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, date) and not isinstance(v, datetime),
    "list": lambda v: isinstance(v, list),
    "dict": lambda v: isinstance(v, dict),
}
_KNOWN_RULES = {
    "type",
    "required",
    "nullable",
    "allowed",
    "regex",
    "min",
    "max",
    "minlength",
    "maxlength",
    "empty",
    "schema",
    "excludes",
    "condition",
    "regex_pattern",
}


def compile_schema(
    schema: dict[str, Any], custom_types: dict[str, Check], custom_rules: dict[str, Check]
) -> Check:
    """Compile a cerberus mapping schema; unknown rules are a programming error."""
    return _mapping(schema, {**_TYPES, **custom_types}, custom_rules)


def _mapping(schema: dict[str, Any], types: dict[str, Check], rules: dict[str, Check]) -> Check:
    fields = {key: _field(rule, types, rules) for key, rule in schema.items()}
    required = frozenset(key for key, rule in schema.items() if rule.get("required"))
    excludes = [
        (key, tuple(rule["excludes"])) for key, rule in schema.items() if "excludes" in rule
    ]

    def check(value: Any) -> bool:
        if not isinstance(value, dict) or not required <= value.keys():
            return False
        for key, item in value.items():
            inner = fields.get(key)
            if inner is None or not inner(item):
                return False
        return all(
            not (key in value and any(e in value for e in excluded)) for key, excluded in excludes
        )

    return check


def _field(rule: dict[str, Any], types: dict[str, Check], rules: dict[str, Check]) -> Check:
    unknown = set(rule) - _KNOWN_RULES
    if unknown:
        raise ValueError(f"fastcheck does not know the rule(s) {sorted(unknown)}")
    nullable = bool(rule.get("nullable"))
    checks: list[Check] = []
    kind = rule.get("type")
    if kind is not None:
        names = kind if isinstance(kind, (list, tuple)) else [kind]
        alternatives = [types[name] for name in names]
        checks.append(
            alternatives[0]
            if len(alternatives) == 1
            else lambda v: any(alt(v) for alt in alternatives)
        )
    if rule.get("empty") is False:
        checks.append(lambda v: not (isinstance(v, Sized) and len(v) == 0))
    if "allowed" in rule:
        allowed = tuple(rule["allowed"])
        # `in` on a tuple compares with ==, as cerberus does; lists are left to cerberus.
        checks.append(lambda v: not isinstance(v, (list, dict)) and v in allowed)
    if "regex" in rule:
        pattern = rule["regex"]
        regex = re.compile(pattern if pattern.endswith("$") else pattern + "$")
        checks.append(lambda v: not isinstance(v, str) or regex.match(v) is not None)
    for name, compare in (("min", lambda v, c: v >= c), ("max", lambda v, c: v <= c)):
        if name in rule:
            checks.append(_bound(rule[name], compare))
    if "minlength" in rule:
        low = rule["minlength"]
        checks.append(lambda v: not isinstance(v, Sized) or len(v) >= low)
    if "maxlength" in rule:
        high = rule["maxlength"]
        checks.append(lambda v: not isinstance(v, Sized) or len(v) <= high)
    if "schema" in rule:
        inner = rule["schema"]
        if kind == "list":
            item = _field(inner, types, rules)
            checks.append(lambda v: all(item(x) for x in v))
        else:
            checks.append(_mapping(inner, types, rules))
    for name in ("condition", "regex_pattern"):
        if rule.get(name):
            checks.append(rules[name])

    def check(value: Any) -> bool:
        if value is None:
            return nullable
        return all(c(value) for c in checks)

    return check


def _bound(constraint: Any, compare: Callable[[Any, Any], bool]) -> Check:
    def check(value: Any) -> bool:
        try:
            return compare(value, constraint)
        except TypeError:
            return False  # cerberus would skip the rule; be conservative

    return check
