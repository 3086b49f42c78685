"""Units a backtest scores: an id and the path patterns that claim its files.

A unit comes from the policy repository's own driver files (their `paths`), or is
discovered in the kernel tree at OLD: each child of a discovery directory is a unit,
a subdirectory with everything below it, or a source file with the headers of the
same stem next to it (`drivers/net/foo.c` + `drivers/net/foo.h`). A unit takes part
in a backtest at OLD only when it claims at least one file of the tree at OLD.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.core.paths import PathIndex, PathSpec

SOURCE_SUFFIXES = (".c", ".S", ".rs", ".cc", ".cpp")
HEADER_SUFFIXES = (".h",)


@dataclass(frozen=True)
class Unit:
    """One thing that is kept or removed as a whole."""

    id: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    kconfig: tuple[str, ...] = ()

    @property
    def spec(self) -> PathSpec:
        return PathSpec(self.include, self.exclude)


def discover_units(paths: Iterable[str], directories: Sequence[str]) -> list[Unit]:
    """Units below each directory (a glob such as `drivers/*` names several).

    `paths` are the files of the tree (as `git ls-tree -r --name-only` prints them).
    """
    files = sorted(paths)
    dirs: set[str] = set()
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            dirs.add("/".join(parts[:depth]))
    roots = sorted({d for pattern in directories for d in dirs if _glob_match(d, pattern)})
    units: dict[str, Unit] = {}
    for root in roots:
        prefix = root + "/"
        children: dict[str, list[str]] = {}
        for path in files:
            if path.startswith(prefix):
                rest = path[len(prefix):]
                children.setdefault(rest.split("/", 1)[0] + ("/" if "/" in rest else ""),
                                    []).append(path)
        for child in sorted(children):
            if child.endswith("/"):
                name = child.rstrip("/")
                include: tuple[str, ...] = (prefix + child,)
            elif child.endswith(SOURCE_SUFFIXES):
                name = child.rsplit(".", 1)[0]
                headers = [prefix + name + suffix for suffix in HEADER_SUFFIXES
                           if name + suffix in children]
                include = (prefix + child, *headers)
            else:  # Makefiles, Kconfig, headers that go with a source file
                continue
            ident = unit_id(root, name)
            if ident not in units:
                units[ident] = Unit(ident, include)
    return sorted(units.values(), key=lambda u: u.id)


def _glob_match(directory: str, pattern: str) -> bool:
    """Component by component: `drivers/*` names `drivers/net`, not `drivers/net/foo`."""
    parts = directory.split("/")
    globs = [p for p in pattern.strip("/").split("/") if p]
    return len(parts) == len(globs) and all(
        fnmatch.fnmatchcase(part, glob) for part, glob in zip(parts, globs, strict=True))


def discovered_units(repo: Any, sha: str, directories: Sequence[str],
                     policy_raw: Mapping[str, Any]) -> list[Unit]:
    """The units `driver-policy new --discover` would scaffold from the tree at `sha`,
    under the `discover:` rules in `policy_raw` (checker/discover/discover.py)."""
    from checker.discover.discover import discover
    from checker.discover.rules import DiscoverRules

    rules = DiscoverRules.from_policy(policy_raw)
    found, _skipped = discover(repo, sha, directories, rules)
    return [Unit(u.id, u.include, (), u.kconfig) for u in found]


def unit_id(root: str, name: str) -> str:
    """`drivers/net` + `liquidio` -> `net/liquidio`; `providers` + `nes` -> `providers/nes`."""
    parts = [p for p in root.split("/") if p]
    if parts and parts[0] == "drivers" and len(parts) > 1:
        parts = parts[1:]
    return "/".join([*parts, name])


def present(units: Sequence[Unit], paths: Iterable[str]) -> dict[str, list[str]]:
    """Each unit that claims at least one of `paths` -> the paths it claims."""
    index = PathIndex([(u.id, u.spec) for u in units])
    claimed: dict[str, list[str]] = {}
    for path in paths:
        for owner in index.owners(path):
            claimed.setdefault(owner, []).append(path)
    return claimed
