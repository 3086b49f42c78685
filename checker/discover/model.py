"""What discovery gives: units (what driver files will say) and what it skipped, why."""

from __future__ import annotations

from dataclasses import dataclass, field

from checker.core.paths import PathSpec


@dataclass(frozen=True)
class Unit:
    """One driver unit: what a driver file's `paths`, `kconfig` and `name` will say."""

    id: str
    name: str
    name_from: str  # kconfig | source | maintainers | path
    path: str  # the tree path shown (a directory, a file, or an object's stem)
    include: tuple[str, ...]
    kconfig: tuple[str, ...]
    granularity: str  # directory | files
    files: tuple[str, ...] = ()
    renamed_from: str | None = None  # the default id, when the clash rule changed it

    @property
    def spec(self) -> PathSpec:
        return PathSpec(self.include)


@dataclass(frozen=True)
class Skipped:
    """A directory, object or symbol that is not a unit, and why (docs/collect.md has
    every reason)."""

    path: str
    reason: str
    detail: str = ""
    # the files it holds (for the accounting of every file); not part of its identity
    files: tuple[str, ...] = field(default=(), compare=False)
