"""Names and ids of discovered units: Kconfig prompts, MAINTAINERS sections, slugs."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from checker.core.paths import PathIndex, PathSpec
from checker.discover.graph import name_of
from checker.discover.model import Unit
from checker.discover.units import Candidate


def specific_sections(sections: Sequence[Any], units: Sequence[Candidate],
                      only: Sequence[int] | None = None) -> dict[int, str]:
    """Candidate index -> title of the best MAINTAINERS section that claims files of
    that unit only (never a catch-all section); for the indices `only`, if given (what
    a section claims is still counted over every unit)."""
    from checker.collect.maintainers import match_maintainers

    usable = [s for s in sections if not s.catch_all]
    if not usable:
        return {}
    index = PathIndex((str(i), PathSpec(s.include, s.exclude)) for i, s in enumerate(usable))
    claimed: dict[str, set[int]] = defaultdict(set)
    for number, unit in enumerate(units):
        for path in unit.files:
            for owner in index.owners(path):
                claimed[usable[int(owner)].title].add(number)
    wanted = range(len(units)) if only is None else only
    drivers = {str(i): PathSpec(units[i].include) for i in wanted}
    files = {str(i): list(units[i].files) for i in wanted}
    chosen = match_maintainers(usable, drivers, files)
    return {int(i): s.title for i, s in chosen.items() if claimed.get(s.title) == {int(i)}}


def pick_name(candidate: Candidate, found: Mapping[str, str], section: str | None
              ) -> tuple[str, str]:
    """The unit's name and where it came from (kconfig | source | maintainers | path)."""
    described = next((found[p] for p in sorted(candidate.files) if p in found), None)
    prompt = candidate.symbol.prompt if candidate.symbol is not None \
        and not candidate.outside else None
    if prompt and not candidate.split:
        return _clean(prompt), "kconfig"
    if described:
        return _clean(described), "source"
    if prompt:
        return _clean(f"{prompt}: {candidate.stem}"), "kconfig"
    if section:
        return _clean(section), "maintainers"
    return f"{candidate.stem} ({candidate.path})", "path"


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace('\\"', '"')).strip()
    return text[:200] or "unnamed"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.+-]+", "-", text.lower()).strip("-.")
    return slug if slug and slug[0].isalnum() else f"x{slug}"


def subsystem_of(path: str, base: str = "") -> str:
    """The first directory below `base` (the discovered root's driver directory)."""
    rest = path.strip("/")
    if base and (rest == base or rest.startswith(base + "/")):
        rest = rest[len(base):].strip("/")
    parts = [p for p in rest.split("/") if p]
    return _slug(parts[0] if parts else name_of(base) or "misc")


def default_id(path: str, stem: str | None = None, base: str = "") -> str:
    """`drivers/net/ethernet/8390/ne.c` below `drivers` -> `net/ne`: the subsystem (the
    first directory below `base`), then the unit's own name."""
    name = stem if stem is not None else name_of(path.strip("/"))
    for suffix in (".c", ".h", ".rs", ".S"):
        name = name.removesuffix(suffix)
    return f"{subsystem_of(path, base)}/{_slug(name)}"


def resolve_ids(units: Sequence[Unit], taken: set[str]) -> list[Unit]:
    """The clash rule: units whose default ids are equal (or taken by an existing file)
    take their parent directories' names as prefixes, nearest first, one at a time
    until every id in the group is unique (`net/ne` -> `net/8390-ne`); units still
    equal after that get their Kconfig symbol, then `-2`, `-3`... in path order."""
    groups: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        groups[unit.id].append(unit)
    result: list[Unit] = []
    used = set(taken)
    for base, members in sorted(groups.items()):
        if len(members) == 1 and base not in taken:
            used.add(base)
            result.append(members[0])
    for base, members in sorted(groups.items()):
        if len(members) == 1 and base not in taken:
            continue
        subsystem, name = base.split("/", 1)
        ordered = sorted(members, key=lambda u: (u.path, u.kconfig))
        # by position: two units may share a path (one file, two symbols)
        names = [name for _ in ordered]
        parents = [_prefixes(u, subsystem) for u in ordered]
        level = 0
        while True:
            level += 1
            ids = [f"{subsystem}/{n}" for n in names]
            counts = Counter(ids)
            clash = {i for i in ids if counts[i] > 1 or i in used}
            if not clash:
                break
            grew = False
            for number, current in enumerate(ids):
                prefix = parents[number]
                if current in clash and level <= len(prefix):
                    names[number] = f"{prefix[level - 1]}-{names[number]}"
                    grew = True
            if not grew:
                break
        for number, unit in enumerate(ordered):
            candidate = f"{subsystem}/{names[number]}"
            if candidate in used and unit.kconfig:
                candidate = f"{candidate}-{_slug(unit.kconfig[0])}"
            number = 2
            final = candidate
            while final in used:
                final = f"{candidate}-{number}"
                number += 1
            used.add(final)
            result.append(Unit(final, unit.name, unit.name_from, unit.path, unit.include,
                               unit.kconfig, unit.granularity, unit.files,
                               renamed_from=base if final != base else None))
    return result


def _prefixes(unit: Unit, subsystem: str) -> list[str]:
    """Parent directory names, nearest first, below the subsystem's directory; a
    directory unit named after its module (isa/ne.o) starts with its own directory."""
    parts = [p for p in unit.path.strip("/").split("/") if p]
    own = unit.granularity == "directory" and _slug(parts[-1]) != unit.id.split("/", 1)[1]
    if not own:
        parts = parts[:-1]
    out = []
    for part in reversed(parts):
        if _slug(part) == subsystem:
            break
        out.append(_slug(part))
    return out
