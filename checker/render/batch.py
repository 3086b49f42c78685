"""`render` of a whole repository: each driver's card and chart in worker processes,
only where they are not current.

A worker takes one driver file from bytes to its card and chart: parse, validate,
evaluate, then for each generated file either the bytes on disk are kept (their seal
holds for the file's inputs, or they equal what would be written) or the new bytes are
returned to be written. `verify` (render --check) trusts no seal: everything is rendered
and compared. The index pages are sealed too (checker.render.index), so a run that
changed a few drivers renders a few cards and the pages that list them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from checker.core.errors import CheckerError, Problem
from checker.load.layout import DEFAULT_POLICY

if TYPE_CHECKING:
    from checker.validate.policy import Policy

PARALLEL_FROM = 64  # fewer drivers than this are not worth starting workers for


class Generated(NamedTuple):
    """One file render owns, as it should be: `data` None when the file on disk is
    already that; otherwise what to write and whether a file was there ("stale") or
    not ("missing")."""

    path: str
    data: bytes | None = None
    state: str = ""


class Rendered(NamedTuple):
    """One driver file: its own problems (then nothing is rendered), or its files."""

    rel: str
    problems: tuple[Problem, ...] = ()
    files: tuple[Generated, ...] = ()
    index_row: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Job:
    root: Path
    policy: Policy
    key: str  # inputs_key: what every card depends on besides its driver file
    verify: bool  # render everything and compare (trust no seal)


_JOB: _Job | None = None  # set before the workers fork


def render_driver(rel: str) -> Rendered:
    """One driver file, from bytes to the card and chart that are not current."""
    from checker.evaluate.consistency import check_driver
    from checker.load.document import MAX_BYTES, parse_document
    from checker.load.fsutil import FileAccessError, read_file
    from checker.render.cards import card_path, render_card
    from checker.render.chart import chart_path, render_chart
    from checker.render.index import index_row
    from checker.render.seal import inputs_digest
    from checker.validate.driver import validate_driver

    assert _JOB is not None
    root, policy = _JOB.root, _JOB.policy
    try:
        raw = read_file(root / rel, rel, root=root, limit=MAX_BYTES)
    except FileAccessError as exc:
        return Rendered(rel, (Problem(rel, 1, 1, "", exc.reason, rule="io"),))
    doc, problems = parse_document(raw, rel)
    if doc is None:
        return Rendered(rel, tuple(problems))
    driver, problems = validate_driver(doc)
    if driver is None:
        return Rendered(rel, tuple(problems))
    # the override's expiry (check_driver's only use of a date) does not change a card
    outcome, _ = check_driver(driver, policy, date.min, _nowhere)
    inputs = inputs_digest(_JOB.key, rel, raw)
    templates = root / "templates"
    files = [_generated(root, card_path(driver), inputs,
                        lambda: render_card(templates, outcome, policy, inputs))]
    if driver.signals is not None:
        files.append(_generated(root, chart_path(driver), inputs,
                                lambda: render_chart(outcome, inputs) or ""))
    return Rendered(rel, (), tuple(files), index_row(outcome))


def _generated(root: Path, path: str, inputs: str, text: Any) -> Generated:
    from checker.load.fsutil import read_if_regular
    from checker.render.seal import sealed

    on_disk = read_if_regular(root, path)
    assert _JOB is not None
    if on_disk is not None and not _JOB.verify and sealed(on_disk, inputs):
        return Generated(path)
    data = str(text()).encode()
    if data == on_disk:
        return Generated(path)
    exists = os.path.lexists(root / path)
    return Generated(path, data, "stale" if exists else "missing")


def _nowhere(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
    return 1, 1


@dataclass
class Changes:
    """What render would change in cards/: every file it owns, those to write, those
    to remove."""

    files: int
    write: dict[str, Generated]
    orphans: list[str]


def changes(root: Path, *, verify: bool = False, jobs: int | None = None) -> Changes:
    """The files of cards/ that are not what render writes; refuses (CheckerError) while
    the policy or a driver file is invalid, as render does."""
    from checker.core.workers import fork_map
    from checker.load.fsutil import read_file
    from checker.load.layout import DiskSource, kind_of, managed_files
    from checker.render.index import index_pages
    from checker.render.seal import inputs_key
    from checker.validate.workspace import build_workspace

    global _JOB
    source = DiskSource(root)
    paths = source.paths()
    drivers = [rel for rel in paths if kind_of(rel) == "driver"]
    # the policy files alone: the fixtures (policies/tests/) are `check`'s to judge
    base = build_workspace(source, root, [rel for rel in paths if kind_of(rel) == "policy"])
    if base.policy is None:
        bad = [str(p) for p in base.problems if p.path.startswith("policies/")]
        raise CheckerError("cannot render cards: the default policy is invalid:\n" + "\n".join(bad))
    policy = base.policy
    key = inputs_key(root / "templates", read_file(root / DEFAULT_POLICY, DEFAULT_POLICY,
                                                   root=root))
    _JOB = _Job(root, policy, key, verify)
    workers = jobs or os.cpu_count() or 1
    if workers > 1 and len(drivers) >= PARALLEL_FROM:
        from checker.validate import schemas
        from checker.validate.schema_check import precheck_for

        precheck_for(schemas.DRIVER_SCHEMA)  # compiled once, before the workers fork
        results = fork_map(render_driver, drivers, workers)
    else:
        results = [render_driver(rel) for rel in drivers]
    invalid = [r for r in results if r.problems]
    if invalid:
        bad = [str(p) for r in invalid for p in r.problems]
        if verify:  # the problems are `validate`'s to report (one finding, one message)
            files = [r.rel for r in invalid]
            raise CheckerError(
                "cards not checked while " + ", ".join(files) + " "
                + ("is" if len(files) == 1 else "are")
                + " invalid (driver-policy validate says why)"
            )
        raise CheckerError(
            "cannot render cards while driver files are invalid (their cards "
            "would be removed); fix these first:\n" + "\n".join(bad)
        )
    wanted = {g.path: g for r in results for g in r.files}
    rows = [r.index_row for r in results if r.index_row is not None]
    for path, (data, state) in index_pages(root, rows, policy, key, trust_seals=not verify):
        wanted[path] = Generated(path, data, state)
    owned = managed_files(root)
    return Changes(
        len(wanted),
        {path: g for path, g in sorted(wanted.items()) if g.data is not None},
        [rel for rel in owned if rel not in wanted],
    )
