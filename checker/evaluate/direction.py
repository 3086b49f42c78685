"""Which way a verdict points, and which findings pushed it there.

The one home of the verdict-direction helpers: evaluation orders its reasons and
measures agreement with them, cards list the deciding probes first, `diff` and the
consistency messages name the probes that decided.
"""

from __future__ import annotations

from collections.abc import Iterable

from checker.core.model import Finding

RETAIN = ("keep", "keep-annotate")  # the verdicts that keep a driver; the others retire it


def sign(value: str) -> int:
    """+1 for a verdict that keeps the driver, -1 for one that retires it: a finding's
    contribution times this sign is positive when it pushed towards the verdict."""
    return 1 if value in RETAIN else -1


def deciding(findings: Iterable[Finding], value: str) -> list[Finding]:
    """The findings that pushed towards the verdict `value`, largest first."""
    direction = sign(value)
    pushing = [f for f in findings if f.contribution * direction > 0]
    return sorted(pushing, key=lambda f: (-abs(f.contribution), f.probe))


def finding_value(finding: Finding) -> str:
    """A finding's value as cards and reports print it: unknown, none, yes/no, a number."""
    if not finding.known:
        return "unknown"
    value = finding.value
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
