"""Generated files that must be current: cards/ and schema/."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.check.driver import DriverResult
from checker.core.errors import CheckerError, Problem
from checker.load.cache import Cache, digest_bytes, memo
from checker.load.layout import CARDS_DIR, DEFAULT_POLICY

if TYPE_CHECKING:
    from checker.validate.policy import Policy


def _card_problems(
    root: Path,
    policy: Policy,
    results: Sequence[DriverResult],
    on_disk: dict[str, str | None],
    cache: Cache,
) -> list[Problem]:
    """Cards of valid drivers must match; an invalid driver's card is left alone (render
    refuses to run until it is fixed) and the index is then not checked either."""
    from checker.load.layout import driver_id
    from checker.render.index import is_index

    if not (root / "templates").is_dir() and not (root / CARDS_DIR).is_dir():
        return []
    wanted = {path: digest for r in results for path, digest in r.wanted}
    invalid = {f"{CARDS_DIR}/{driver_id(r.rel)}" for r in results if r.claim is None}
    if not invalid:
        rows = [r.index_row for r in results if r.index_row is not None]
        wanted.update(memo(cache, "<indexes>", rows, lambda: _index_digests(root, rows, policy)))
    else:
        on_disk = {path: d for path, d in on_disk.items() if not is_index(path)}
    on_disk = {path: d for path, d in on_disk.items() if path.rsplit(".", 1)[0] not in invalid}
    problems = []
    for path, digest in sorted(wanted.items()):
        current = on_disk.get(path)
        if current != digest:
            state = "missing" if current is None else "stale"
            problems.append(_card_problem(path, state))
    for path in sorted(set(on_disk) - set(wanted)):
        problems.append(_card_problem(path, "orphaned"))
    return problems


def _index_digests(root: Path, rows: list[dict[str, Any]], policy: Policy) -> dict[str, str]:
    """What render writes for each index page, by digest: a page on disk whose seal holds
    is not rendered."""
    from checker.load.fsutil import read_file
    from checker.render.index import index_digests
    from checker.render.seal import inputs_key, sealed

    def current(path: str, inputs: str) -> str | None:
        try:
            data = read_file(root / path, path, root=root)
        except (OSError, CheckerError):
            return None
        return digest_bytes(data) if sealed(data, inputs) else None

    policy_bytes = read_file(root / DEFAULT_POLICY, DEFAULT_POLICY, root=root)
    return index_digests(root / "templates", rows, policy,
                         inputs_key(root / "templates", policy_bytes), current)


def _card_problem(path: str, state: str) -> Problem:
    from checker.render.files import Difference

    difference = Difference(path, state)
    return Problem(path, 1, 1, "", difference.message, rule="cards")


def _schema_problems(root: Path) -> list[Problem]:
    from checker.load.fsutil import read_optional
    from checker.validate.export_schema import FILES, render

    problems = []
    for kind, rel in FILES.items():
        path = root / rel
        raw = read_optional(path, rel, root=root)
        current = raw.decode("utf-8", errors="replace") if raw is not None else None
        if current != render(kind):
            state = "missing" if current is None else "stale"
            problems.append(
                Problem(
                    rel,
                    1,
                    1,
                    "",
                    f"generated schema is {state}; run: driver-policy schema --write",
                    rule="generated",
                )
            )
    return problems
