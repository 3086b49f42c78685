"""The policy's hard-rule conditions (`when:`), evaluated over the probes' facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def holds(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Evaluate the policy's closed condition form; an unknown fact satisfies no comparison."""
    if "all" in cond:
        return all(holds(c, facts) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, facts) for c in cond["any"])
    if "not" in cond:
        return not holds(cond["not"], facts)
    fact = facts.get(cond["field"])
    op = cond["op"]
    if op == "known":
        return fact is not None
    if op == "unknown":
        return fact is None
    if fact is None:
        return False
    expected = cond["value"]
    if op == "eq":
        return bool(fact == expected)
    if op == "ne":
        return bool(fact != expected)
    if op == "in":
        return bool(fact in expected)
    if op == "not_in":
        return bool(fact not in expected)
    if isinstance(fact, bool) or not isinstance(fact, (int, float)):
        return False
    bound = float(expected)
    if op == "lt":
        return fact < bound
    if op == "le":
        return fact <= bound
    if op == "gt":
        return fact > bound
    return fact >= bound
