"""What `new --discover` looks for in a tree, read from the policy's discover: section."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from checker.core.errors import CheckerError


@dataclass(frozen=True)
class Marker:
    """A build file whose presence (and, if given, content) makes its directory a unit."""

    file: str
    contains: Any = None  # an RE2 pattern (checker.core.saferegex)
    # An RE2 pattern whose first group names another directory this build file compiles
    # (DPDK's drivers/common/qat/meson.build: `qat_crypto_path = 'crypto/qat'`), and the
    # directory, relative to the marker's, that the group is relative to.
    adopts: Any = None
    relative_to: str = "."


@dataclass(frozen=True)
class DiscoverRules:
    """The policy's `discover:` section (see docs/collect.md)."""

    makefiles: tuple[str, ...]
    markers: tuple[Marker, ...]
    entry_points: tuple[str, ...]
    names: tuple[str, ...]
    source_extensions: tuple[str, ...]
    _entry: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _names: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.entry_points:
            raise CheckerError("policy: discover.entry_points must name at least one pattern")
        object.__setattr__(self, "_entry", _compiled(self.entry_points, "entry_points"))
        object.__setattr__(self, "_names", _compiled(self.names, "names"))

    @classmethod
    def from_policy(cls, mapping: Mapping[str, Any]) -> DiscoverRules:
        section = mapping.get("discover")
        if not isinstance(section, Mapping):
            raise CheckerError(
                "policy: no `discover:` section: it says how units are found and what "
                "marks a driver (docs/collect.md has the default and examples for other "
                "trees)")
        collect = mapping.get("collect")
        extensions = collect.get("source_extensions") if isinstance(collect, Mapping) else None
        markers = []
        for item in section.get("unit_markers") or ():
            if not isinstance(item, Mapping) or not isinstance(item.get("file"), str):
                raise CheckerError("policy: discover.unit_markers: each is {file: NAME, "
                                   "contains: REGEX}")
            contains = item.get("contains")
            adopts = item.get("adopts")
            if adopts is not None and not (isinstance(adopts, Mapping)
                                           and isinstance(adopts.get("pattern"), str)):
                raise CheckerError("policy: discover.unit_markers: adopts is {pattern: "
                                   "REGEX, relative_to: DIR}")
            marker = Marker(item["file"], None if contains is None else
                            _compiled((str(contains),), "unit_markers")[0])
            if adopts is not None:
                marker = replace(marker, adopts=_compiled((adopts["pattern"],),
                                                          "unit_markers.adopts")[0],
                                 relative_to=str(adopts.get("relative_to") or "."))
            markers.append(marker)
        return cls(
            makefiles=tuple(_strings(section, "makefiles")),
            markers=tuple(markers),
            entry_points=tuple(_strings(section, "entry_points")),
            names=tuple(_strings(section, "names")),
            source_extensions=tuple(str(e) for e in extensions or (".c", ".h", ".S", ".rs")),
        )

    def is_source(self, path: str) -> bool:
        return path.endswith(self.source_extensions)

    def has_entry_point(self, text: str) -> bool:
        return any(regex.search(text) is not None for regex in self._entry)

    def name_in(self, text: str) -> str | None:
        for regex in self._names:
            match = regex.search(text)
            if match and match.groups() and match.group(1):
                return str(match.group(1))
        return None


def _strings(section: Mapping[str, Any], key: str) -> list[str]:
    value = section.get(key) or []
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise CheckerError(f"policy: discover.{key} must be a list of strings")
    return list(value)


def _compiled(patterns: Iterable[str], key: str) -> tuple[Any, ...]:
    """The patterns compiled by RE2 (linear time: they come from a policy, which a pull
    request can change), multi-line so that `^` and `$` match at every line."""
    from checker.core.saferegex import RegexError, compile_policy_regex

    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_policy_regex(f"(?m){pattern}"))
        except RegexError as exc:
            raise CheckerError(f"policy: discover.{key}: {pattern!r} {exc}") from None
    return tuple(compiled)
