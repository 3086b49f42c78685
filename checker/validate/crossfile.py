"""Cross-file rules (unique ids and paths, no overlapping claims) and the claims store.

The rules need little of each driver: its id, file, path and include/exclude patterns (a
Claim). Checking a few files (pre-commit: `validate FILE`, `check FILE`) needs the claims
of every other driver, but only those that could conflict with the files checked: the
same path, the same id up to case, or an include pattern whose fixed prefix (the
directories before its first glob) is an ancestor, a descendant or the same as one of
theirs. The claims store keeps every driver's claim with the stat signature and digest of
the file it came from, and indexes them by path, id and prefix, so such a check reads one
small file and the candidates' claims instead of every driver file.

The store is never trusted blindly: a file whose stat signature changed (or was written
too close to the store to tell) is hashed, and parsed again when its digest changed; a
file the store does not know is parsed; a missing or damaged store (checker.load.cache:
authenticated, format-checked) is rebuilt from the files. It lives in the check cache's
directory, keyed by the checker's own code only (claims do not depend on the policy or
the templates), and `check` rewrites it whenever it computed any driver's result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from checker.core.errors import Problem


class Claim(NamedTuple):
    """What cross-file rules need of a driver. (Named tuples: they unpickle fast.)"""

    id: str
    file: str
    path: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    # (keypath, line, col) of name, path and each include item, from the first parse:
    # a cross-file problem is located without parsing the file again
    marks: tuple[tuple[tuple[str | int, ...], int, int], ...] = ()


class Claimant(Protocol):
    """What cross-file rules need of a driver (a Driver, or a cached claim)."""

    @property
    def id(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def include(self) -> tuple[str, ...]: ...
    @property
    def exclude(self) -> tuple[str, ...]: ...


Locate = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


def cross_file_problems(
    drivers: Sequence[Claimant], locate: Locate, focus: set[str] | None = None
) -> list[Problem]:
    """Ids and paths unique; no two drivers claim overlapping patterns without an exclude.

    Each file gets at most one problem per rule, naming the files it conflicts with (the
    first few, sorted, and how many more), so N copies of one file give N problems, not
    N squared. `focus` limits the report to these files (pre-commit passes a few);
    `locate(file, keypath)` is asked only for the places reported.
    """
    from checker.load.document import field_name

    problems: list[Problem] = []

    def at(driver: Claimant, keypath: tuple[str | int, ...], message: str) -> None:
        if focus is not None and driver.file not in focus:
            return
        line, col = locate(driver.file, keypath)
        problems.append(
            Problem(driver.file, line, col, field_name(keypath), message, rule="cross-file")
        )

    by_id: dict[str, Claimant] = {}
    by_path: dict[str, list[Claimant]] = {}
    for driver in drivers:
        key = driver.id.lower()
        if key in by_id:
            at(
                driver,
                ("name",),
                f"driver id {driver.id!r} differs only in case from {by_id[key].file}",
            )
        by_id.setdefault(key, driver)
        by_path.setdefault(driver.path.rstrip("/"), []).append(driver)
    for group in by_path.values():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=_by_file)
        for driver in group:
            if len(group) == 2:
                other = ordered[0] if ordered[1] is driver else ordered[1]
                message = f"{driver.path!r} is also the path of {other.id} ({other.file})"
            else:
                named = _first_others(
                    driver, [ordered], lambda o: f"{o.id} ({o.file})", len(group) - 1
                )
                message = (f"{driver.path!r} is also the path of {len(group) - 1} other "
                           f"drivers: {named}")
            at(driver, ("path",), message)

    # Drivers with the same include and exclude lists behave alike: compare those
    # classes, not drivers, so that copies of one file cost one comparison.
    classes: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Claimant]] = {}
    for driver in drivers:
        classes.setdefault((tuple(driver.include), tuple(driver.exclude)), []).append(driver)
    members = [sorted(group, key=_by_file) for group in classes.values()]
    class_of = {id(driver): c for c, group in enumerate(members) for driver in group}
    # conflicts[c][d] = (position, pattern of c, pattern of d): c's first include that
    # overlaps one of d's, and d's first include that overlaps it (by position, not by
    # the order of comparison: a check of a few files against the claims that could
    # conflict with them says what a check of every file says)
    conflicts: list[dict[int, tuple[int, str, str]]] = [{} for _ in members]
    positions: list[dict[int, int]] = [{} for _ in members]  # d's position of conflicts[c][d]

    def note(c: int, ai: int, pa: str, d: int, bi: int, pb: str) -> None:
        known = conflicts[c].get(d)
        if known is None or (ai, bi) < (known[0], positions[c][d]):
            conflicts[c][d] = (ai, pa, pb)
            positions[c][d] = bi

    # Overlap: a pattern can only overlap patterns whose fixed prefix is one of its own
    # ancestors (or equal), so look those up instead of comparing every pair.
    index: dict[str, list[tuple[int, int, str]]] = {}
    for c, group in enumerate(members):
        for position, pattern in enumerate(group[0].include):
            index.setdefault(fixed_prefix(pattern), []).append((c, position, pattern))
    for prefix, entries in index.items():
        parts = prefix.split("/") if prefix else []
        above = [e for n in range(len(parts)) for e in index.get("/".join(parts[:n]), [])]
        if not above and len(entries) < 2:
            continue  # nothing to compare (a one-file check often has no pair at all)
        from checker.core.paths import patterns_overlap

        for number, (c, ai, pa) in enumerate(entries):
            for d, bi, pb in [*above, *entries[number + 1 :]]:
                if c == d or not patterns_overlap(pa, pb):
                    continue
                if _excluded(members[c][0], pb) or _excluded(members[d][0], pa):
                    continue
                note(c, ai, pa, d, bi, pb)
                note(d, bi, pb, c, ai, pa)
    for c, group in enumerate(members):  # copies overlap each other
        if len(group) > 1:
            for ai, pa in enumerate(group[0].include):
                if not _excluded(group[0], pa):
                    note(c, ai, pa, c, ai, pa)
                    break

    for c, found in enumerate(conflicts):
        if not found:
            continue
        count = sum(len(members[d]) for d in found) - (1 if c in found else 0)
        ai, pa, _ = min(found.values())
        lists = [members[d] for d in sorted(found)]

        def show(
            other: Claimant, found: dict[int, tuple[int, str, str]] = found, pa: str = pa
        ) -> str:
            pb = found[class_of[id(other)]][2]
            return other.file if pb == pa else f"{other.file} ({pb!r})"

        for driver in members[c]:
            if count == 1:
                other = next(o for group in lists for o in group if o is not driver)
                ai, pa, pb = found[class_of[id(other)]]
                message = f"{pa!r} overlaps {pb!r} claimed by {other.id}"
            else:
                named = _first_others(driver, lists, show, count)
                message = f"{pa!r} overlaps the claims of {count} other drivers: {named}"
            at(driver, ("paths", "include", ai), message + "; exclude one from the other")
    return problems


NAMED = 5  # files named in one cross-file problem; the rest are counted


def _by_file(driver: Claimant) -> str:
    return driver.file


def _first_others(
    driver: Claimant,
    groups: Sequence[Sequence[Claimant]],
    show: Callable[[Claimant], str],
    count: int,
) -> str:
    """The first NAMED of `count` drivers other than `driver`, from groups sorted by
    file, and how many more there are."""
    import heapq
    from itertools import islice

    others = (o for o in heapq.merge(*groups, key=_by_file) if o is not driver)
    named = ", ".join(show(o) for o in islice(others, NAMED))
    return named + (f" and {count - NAMED} more" if count > NAMED else "")


_GLOB = re.compile(r"[*?\[]")


def fixed_prefix(pattern: str) -> str:
    """The directories of a pattern before its first glob component."""
    stripped = pattern.strip("/")
    glob = _GLOB.search(stripped)
    if glob is None:
        return stripped
    return stripped[: max(stripped.rfind("/", 0, glob.start()), 0)]


def _excluded(driver: Claimant, pattern: str) -> bool:
    from checker.core.paths import pattern_covers

    return any(pattern_covers(ex, pattern) for ex in driver.exclude)
