"""Driver categories come from the policy: the names a driver file's `category` may hold,
and the category `driver-policy new` guesses from a unit's path.

The policy's `categories:` section (docs/policy.md) lists the names, a default, and path
prefix -> category rules; the longest prefix a path starts with decides. The Linux list
is what policies/default.yaml (and the one `driver-policy init` writes) holds; a tree of
another kind lists its own. A policy without the section accepts any category name of
the usual form and guesses `misc`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from checker.core.errors import Problem
from checker.core.model import Driver

FALLBACK = "misc"  # the guess of a policy without a `categories:` section

Locate = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


@dataclass(frozen=True)
class Categories:
    names: tuple[str, ...] | None  # None: any name (a policy without the section)
    default: str
    prefixes: tuple[tuple[str, str], ...]  # (path prefix, category), longest first

    @classmethod
    def from_policy(cls, policy: Mapping[str, Any]) -> Categories:
        """From a policy's data (validated: checker.validate.policy_schema)."""
        section = policy.get("categories")
        if not isinstance(section, Mapping):
            return cls(None, FALLBACK, ())
        rules = [(str(r["prefix"]).lstrip("/"), str(r["category"]))
                 for r in section.get("paths") or ()]
        rules.sort(key=lambda rule: (-len(rule[0]), rule[0]))
        return cls(tuple(section["names"]), str(section["default"]), tuple(rules))

    def guess(self, path: str) -> str:
        """The category of the unit at `path`: the longest matching prefix's, else the
        default. A prefix matches whole components (`drivers/net/` is not
        `drivers/netfilter`), ending with `/` or not."""
        probe = path.strip("/") + "/"
        for prefix, category in self.prefixes:
            if probe.startswith(prefix if prefix.endswith("/") else prefix + "/"):
                return category
        return self.default


def category_problems(driver: Driver, categories: Categories, locate: Locate) -> list[Problem]:
    """A driver whose category the policy does not list."""
    if categories.names is None or driver.category in categories.names:
        return []
    line, col = locate(driver.file, ("category",))
    listed = ", ".join(repr(name) for name in categories.names)
    return [Problem(driver.file, line, col, "category",
                    f"must be one of {listed} (found {driver.category!r}): the policy's "
                    "categories.names", rule="category")]
