"""One driver file through the stages: read, parse, validate, evaluate, check its
card's seal; the result, plain data, is what the cache stores, under the digest of the
bytes it was computed from (which the worker that read them reports with it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from checker.core.errors import CheckerError, Problem
from checker.load.cache import digest_bytes
from checker.validate.crossfile import Claim

if TYPE_CHECKING:
    from checker.core.model import Driver
    from checker.load.document import Document, KeyPath
    from checker.validate.policy import Policy


PARALLEL_FROM = 64  # fewer files than this are not worth starting workers for


class DriverResult(NamedTuple):
    """Everything `check` needs of one driver file, small enough to cache by the thousand."""

    rel: str
    problems: tuple[Problem, ...] = ()
    claim: Claim | None = None
    effective: str | None = None
    overridden: bool = False
    override_until: date | None = None
    override_verdict: str | None = None
    computed: str | None = None
    index_row: dict[str, Any] | None = None
    wanted: tuple[tuple[str, str], ...] = ()  # (file under cards/, digest of its bytes)
    # every date the evidence states: (first day as an ordinal, key path, as written);
    # compared with today outside the cache (checker.validate.dates), located only when one is
    # after it. (Ordinals: a date object costs as much to pickle as the rest of a result.)
    dated: tuple[tuple[int, tuple[str | int, ...], str], ...] = ()


class Checked(NamedTuple):
    """A result with the digests of the bytes it was computed from: the driver file's
    (None when it could not be read) and those of the cards and charts read to verify
    their seals (path under cards/, digest), so that the caller caches and compares what
    was checked, even if a file changed since it was listed, and hashes no file twice."""

    result: DriverResult
    digest: str | None = None
    read: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Context:
    root: Path
    policy: Policy
    inputs_key: str  # what every card depends on besides its driver file


_CONTEXT: _Context | None = None  # set before workers fork; read by process_driver


def set_context(context: _Context) -> None:
    """What process_driver needs besides the file: set before workers fork."""
    global _CONTEXT
    _CONTEXT = context


def process_driver(rel: str) -> Checked:
    """One driver file, from bytes to result. Pure apart from reading the files."""
    from checker.evaluate.consistency import check_driver
    from checker.load.document import MAX_BYTES, parse_document
    from checker.load.fsutil import FileAccessError, read_below
    from checker.render.cards import card_path, render_card
    from checker.render.chart import chart_path, render_chart
    from checker.render.index import index_row
    from checker.render.seal import inputs_digest
    from checker.validate.dates import dated_values
    from checker.validate.driver import validate_driver

    assert _CONTEXT is not None
    root, policy = _CONTEXT.root, _CONTEXT.policy
    try:  # the one door: no links, a regular file, at most MAX_BYTES
        raw = read_below(root, rel, rel, limit=MAX_BYTES)
    except FileAccessError as exc:
        return Checked(DriverResult(rel, (Problem(rel, 1, 1, "", exc.reason, rule="io"),)))
    digest = digest_bytes(raw)
    doc, problems = parse_document(raw, rel)
    if doc is None:
        return Checked(DriverResult(rel, tuple(problems)), digest)
    driver, problems = validate_driver(doc)
    if driver is None:
        return Checked(DriverResult(rel, tuple(problems)), digest)
    claim = Claim(driver.id, driver.file, driver.path, driver.include, driver.exclude,
                  _claim_marks(doc, driver))
    outcome, problems = check_driver(driver, policy, date.min, lambda _f, k: doc.locate(k))
    # A card or chart that carries a valid seal for these inputs is current as it is.
    inputs = inputs_digest(_CONTEXT.inputs_key, rel, raw)
    read = []
    card = card_path(driver)
    on_disk, current_card = _on_disk(root, card, inputs)
    if on_disk is not None:
        read.append((card, on_disk))
    wanted = [(card, on_disk if current_card and on_disk else digest_bytes(
        render_card(root / "templates", outcome, policy, inputs).encode()))]
    if driver.signals is not None:
        chart = chart_path(driver)
        on_disk, current_chart = _on_disk(root, chart, inputs)
        if on_disk is not None:
            read.append((chart, on_disk))
        current = on_disk if current_chart else None
        if current is None:
            svg = render_chart(outcome, inputs)
            current = digest_bytes(svg.encode()) if svg is not None else None
        if current is not None:
            wanted.append((chart, current))
    override = driver.verdict.override if driver.verdict else None
    dated = tuple((value.first_day.toordinal(), value.keypath, value.shown)
                  for value in dated_values(driver))
    return Checked(DriverResult(
        rel,
        tuple(problems),
        claim,
        outcome.effective,
        outcome.overridden,
        override.until if override else None,
        override.verdict if override else None,
        outcome.computed.value,
        index_row(outcome),
        tuple(wanted),
        dated,
    ), digest, tuple(read))


def _on_disk(root: Path, rel: str, inputs: str) -> tuple[str | None, bool]:
    """The digest of a generated file's bytes (None when it cannot be read safely: then
    it is rendered and compared, which reports the problem) and whether they carry a
    valid seal for `inputs` (then they are what render would write)."""
    from checker.load.fsutil import read_below
    from checker.render.seal import sealed

    try:
        data = read_below(root, rel, rel)
    except (OSError, CheckerError):
        return None, False
    return digest_bytes(data), sealed(data, inputs)


def _claim_marks(doc: Document, driver: Driver) -> tuple[tuple[KeyPath, int, int], ...]:
    from checker.load.marks import claim_marks

    found = claim_marks(doc.text, doc.data.get("name"), driver.path, driver.include,
                        doc.top_level())
    if found is not None:
        return found
    keys: list[KeyPath] = [("name",), ("path",)]
    keys += [("paths", "include", n) for n in range(len(driver.include))]
    return tuple((key, *doc.locate(key)) for key in keys)


def compute(rels: Sequence[str], jobs: int) -> list[Checked]:
    """Results for `rels`, in worker processes when there are enough of them."""
    from checker.core.workers import fork_map

    if jobs <= 1 or len(rels) < PARALLEL_FROM:
        return [process_driver(rel) for rel in rels]
    from checker.validate import schemas
    from checker.validate.schema_check import precheck_for

    precheck_for(schemas.DRIVER_SCHEMA)  # compiled once, here, not in every worker
    precheck_for(schemas.DRIVER_SCHEMA_SOURCED)
    # small chunks: the last one a worker takes is all the other waits for at the end
    # (Linux's 9,835 files: 154 a chunk, a tenth of a second, not 614)
    return fork_map(process_driver, rels, jobs, chunks_per_job=32)
