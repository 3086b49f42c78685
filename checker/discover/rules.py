"""What `new --discover` looks for in a tree, read from the policy's discover: section."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from checker.collect.buildfiles import GRAMMARS
from checker.core.errors import CheckerError

# Build files read when the policy names none: every grammar's usual names.
DEFAULT_BUILD_FILES = tuple(name for names in GRAMMARS.values() for name in names)


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
    """The policy's `discover:` section (see docs/collect.md, "Discovery")."""

    build_files: tuple[str, ...]  # file-name patterns (fnmatch) of build files
    markers: tuple[Marker, ...]
    entry_points: tuple[str, ...]
    names: tuple[str, ...]
    source_extensions: tuple[str, ...]
    # units: "kconfig" (one per Kconfig symbol that builds objects) or "markers"
    # (directories holding a marker; the rest by build file or path)
    units: str = "kconfig"
    kconfig_tops: tuple[str, ...] = ("Kconfig",)
    kconfig_env: tuple[tuple[str, str], ...] = ()
    # a user-visible symbol is a unit only when one of its files has an entry point:
    # "no", "bool" (symbols that cannot build a module: in trees that have modules, a
    # bool symbol without one is a feature of something else), or "all"
    require_entry_point: str = "no"
    subsystem_base: tuple[str, ...] = ()  # directories whose children are subsystems
    # a symbol this many units' symbols depend on is a subsystem's core (0: never)
    subsystem_core_dependents: int = 0
    _entry: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _entry_any: Any = field(init=False, repr=False, compare=False)
    _names: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.entry_points:
            raise CheckerError("policy: discover.entry_points must name at least one pattern")
        object.__setattr__(self, "_entry", _compiled(self.entry_points, "entry_points"))
        # one pass over a file for all of them (RE2 runs an alternation in one scan)
        object.__setattr__(self, "_entry_any", _alternation(self.entry_points))
        object.__setattr__(self, "_names", _compiled(self.names, "names"))

    @classmethod
    def from_policy(cls, mapping: Mapping[str, Any]) -> DiscoverRules:
        section = mapping.get("discover")
        if not isinstance(section, Mapping):
            raise CheckerError(
                "policy: no `discover:` section: it says how units are found and what "
                "marks a driver (`driver-policy init --kernel TREE` learns one from the "
                "tree; docs/collect.md explains each key)")
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
        # `makefiles: []` (the older key) names no build file: every directory by path
        key = "build_files" if "build_files" in section else "makefiles"
        build_files = _strings(section, key) if key in section else list(DEFAULT_BUILD_FILES)
        kconfig = section.get("kconfig")
        tops: tuple[str, ...] = ("Kconfig",)
        env: tuple[tuple[str, str], ...] = ()
        if isinstance(kconfig, Mapping):
            tops = tuple(_strings(kconfig, "top", "discover.kconfig"))
            raw_env = kconfig.get("env") or {}
            if not isinstance(raw_env, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in raw_env.items()):
                raise CheckerError("policy: discover.kconfig.env must map names to strings")
            env = tuple(sorted(raw_env.items()))
        units = section.get("units", "kconfig" if not markers else "markers")
        if units not in ("kconfig", "markers"):
            raise CheckerError("policy: discover.units must be kconfig or markers")
        return cls(
            build_files=tuple(build_files),
            markers=tuple(markers),
            entry_points=tuple(_strings(section, "entry_points")),
            names=tuple(_strings(section, "names")),
            source_extensions=tuple(str(e) for e in extensions or (".c", ".h", ".S", ".rs")),
            units=str(units),
            kconfig_tops=tops,
            kconfig_env=env,
            # a marker-mode unit needs an entry point unless the policy says otherwise
            # (the bundled profiles rely on it; learned rules write the key)
            require_entry_point=_requirement(section.get("require_entry_point",
                                                         units == "markers")),
            subsystem_base=tuple(p.strip("/") for p in _strings(section, "subsystem_base")),
            subsystem_core_dependents=int(section.get("subsystem_core_dependents") or 0),
        )

    def is_source(self, path: str) -> bool:
        return path.endswith(self.source_extensions)

    def is_build_file(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.build_files)

    def has_entry_point(self, text: str) -> bool:
        return self._entry_any.search(text) is not None

    def entry_point_in(self, text: str) -> str | None:
        """The first entry-point pattern found in `text`, or None."""
        if self._entry_any.search(text) is None:
            return None
        for pattern, regex in zip(self.entry_points, self._entry, strict=True):
            if regex.search(text) is not None:
                return pattern
        return None

    def name_in(self, text: str) -> str | None:
        for regex in self._names:
            match = regex.search(text)
            if match and match.groups() and match.group(1):
                return str(match.group(1))
        return None


def _alternation(patterns: Iterable[str]) -> Any:
    from checker.core.saferegex import RegexError, compile_alternation

    try:
        return compile_alternation(list(patterns), "(?m)")
    except RegexError as exc:
        raise CheckerError(f"policy: discover.entry_points: {exc}") from None


def _requirement(value: Any) -> str:
    if value is True or value == "all":
        return "all"
    if value is False or value in (None, "no"):
        return "no"
    if value == "bool":
        return "bool"
    raise CheckerError("policy: discover.require_entry_point must be true, false or bool")


def _strings(section: Mapping[str, Any], key: str, where: str = "discover") -> list[str]:
    value = section.get(key) or []
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise CheckerError(f"policy: {where}.{key} must be a list of strings")
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
