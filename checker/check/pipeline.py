"""The check pipeline: driver files -> per-driver results -> one report.

Each driver file is taken from bytes to a small picklable DriverResult in one function
(`process_driver`): load, validate, evaluate, compare with the recorded verdict, render
its card and chart. Results are cached by content (checker.load.cache) and, on a cold run,
computed in worker processes. The main process then does what needs every driver:
cross-file rules, the card index, the comparison with cards/ on disk, the summary.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from checker.check.driver import DriverResult, _Context, compute, set_context
from checker.check.generated import _card_problems, _schema_problems
from checker.core.errors import Problem
from checker.load.cache import Cache, digest_bytes, memo
from checker.load.layout import (
    CARDS_DIR,
    DEFAULT_POLICY,
    MANAGED_SUFFIXES,
    SCHEMA_FILES,
    DiskSource,
    Signature,
    kind_of,
    require_repository,
    signature,
    walk_stat,
)
from checker.report.problems import summary_line

if TYPE_CHECKING:
    from checker.validate.crossfile import Claim
    from checker.validate.policy import Fixture, Policy


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    summary: str = ""
    files: int = 0


class Override(NamedTuple):
    rel: str
    id: str
    until: date
    verdict: str
    computed: str


class _Stored(NamedTuple):
    """A whole run's result, reused when no input changed (override expiry aside)."""

    overrides: list[Override]
    problems: list[Problem]  # everything but expired overrides and dates after today
    summary: str
    # Dates after the day the run was made for, (file, first day, line, col, field, as
    # written): a later day can only shorten the list, an earlier one reruns.
    as_of: date = date.min
    future: list[tuple[str, date, tuple[str | int, ...], str]] = []  # noqa: RUF012


def run_check(
    root: Path, today: date, *, use_cache: bool = True, jobs: int | None = None
) -> CheckResult:
    """Everything `driver-policy check` reports, for the working tree at `root`."""
    root = root.resolve()
    require_repository(root)
    source = DiskSource(root)
    paths = source.paths()
    drivers = [rel for rel in paths if kind_of(rel) == "driver"]
    others = [rel for rel in paths if kind_of(rel) != "driver"]
    listed = walk_stat(root, (CARDS_DIR,), MANAGED_SUFFIXES)
    cards = [rel for rel, _ in listed]
    generated = _schema_files(root)
    signatures = {**source.signatures, **dict(listed), **_lstat(root, generated)}
    cache = open_cache(root, use_cache)
    # Like git's index: when no file's stat signature changed since the last run (and
    # none was modified too close to it to tell), its result stands without hashing.
    stat_key, newest = _stat_key(signatures)
    stored = cache.run_by_stat(stat_key, newest)
    full = hashed = False
    if not isinstance(stored, _Stored) or stored.as_of > today \
            or not _claims_recorded(root, cache):
        hashed = True
        generated_digests = {rel: cache.digest(rel, signatures[rel]) for rel in generated}
        other_digests = {rel: cache.digest(rel, signatures[rel]) for rel in others}
        digests: dict[str, str | None] = {}
        card_digests: dict[str, str | None] = {}
        stored, run_key, hashed_as = None, "", None
        if cache.has_run():  # the stored run is this one if no file's bytes changed
            digests = {rel: cache.digest(rel, signatures[rel]) for rel in drivers}
            card_digests = {rel: cache.digest(rel, signatures[rel]) for rel in cards}
            hashed_as = (dict(digests), dict(card_digests))
            run_key = _run_key(cache.salt, digests, card_digests, generated_digests,
                               other_digests)
            stored = cache.get_run(run_key)
        if not isinstance(stored, _Stored) or stored.as_of > today:
            # Without a run to reuse (cold), a file is hashed where it is checked, in a
            # worker: from the bytes it was checked as, once, while the cores are busy.
            if not digests:
                digests = {rel: cache.known(rel, signatures[rel]) for rel in drivers}
            stored = _full_run(
                root,
                source,
                drivers,
                others,
                cards,
                signatures,
                digests,
                card_digests,
                _run_key(cache.salt, other_digests),
                cache,
                jobs,
                today,
            )
            full = True
            if (digests, card_digests) != hashed_as:  # the digests as the files were checked
                run_key = _run_key(cache.salt, digests, card_digests, generated_digests,
                                   other_digests)
        cache.put_run(run_key, stored, stat_key, newest)
        _record_claims(root, cache, drivers, digests, source.signatures, full)
    locate = _memo_locate(root, cache)
    problems = stored.problems + _expired_overrides(stored.overrides, today, locate)
    problems += _future_dates(stored.future, today, locate)
    if hashed or cache.run_dirty:
        cache.save(live=set(signatures))
    return CheckResult(sorted(set(problems), key=Problem.sort_key), stored.summary, len(paths))


def _lstat(root: Path, rels: Sequence[str]) -> dict[str, Signature | None]:
    out: dict[str, Signature | None] = {}
    for rel in rels:
        try:
            out[rel] = signature(os.lstat(root / rel))
        except OSError:
            out[rel] = None
    return out


def _stat_key(signatures: dict[str, Signature | None]) -> tuple[str, int]:
    """A digest of every file's path and stat signature (in listing order: the same
    files give the same order), and the newest change time."""
    import marshal
    from operator import itemgetter

    listed = [sig for sig in signatures.values() if sig is not None]
    newest = max(max(map(itemgetter(3), listed), default=0),
                 max(map(itemgetter(4), listed), default=0))
    return digest_bytes(marshal.dumps(list(signatures.items()), 2)), newest


def _claims_recorded(root: Path, cache: Cache) -> bool:
    from checker.load.cache import ClaimsFile

    return not cache.enabled or ClaimsFile(root).exists()


def _record_claims(
    root: Path,
    cache: Cache,
    drivers: Sequence[str],
    digests: dict[str, str | None],
    signatures: dict[str, Signature | None],
    full: bool,
) -> None:
    """The claims of the drivers whose results are cached, for a check of a few files
    (checker.validate.claims): after every run that computed results, and whenever the store
    is missing."""
    if not cache.enabled or not (full or not _claims_recorded(root, cache)):
        return
    from checker.validate.claims import ClaimsStore

    store = ClaimsStore(root)
    for rel in drivers:
        digest, sig = digests.get(rel), signatures.get(rel)
        if digest is None or sig is None or store.confirm(rel, sig, digest):
            continue
        result = cache.get(rel, digest)
        if isinstance(result, DriverResult):
            claim = result.claim
            store.put(rel, (sig, digest, None if claim is None else (
                claim.id, claim.file, claim.path, claim.include, claim.exclude)))
    store.save(drivers)


def open_cache(root: Path, enabled: bool = True) -> Cache:
    """The cache for this repository's policy and templates."""
    return Cache(root, cache_inputs(root), enabled=enabled)


def cache_inputs(root: Path) -> list[bytes]:
    """What every cached result depends on besides its own file: the policy's bytes and
    every file under templates/, in subdirectories too (an included part is as much the
    card as card.md.j2), each with its path. Read through the one door: a link or a FIFO
    there is a FileAccessError, as it is for rendering."""
    from checker.load.fsutil import read_file, read_optional, walk_files

    policy_bytes = read_optional(root / DEFAULT_POLICY, DEFAULT_POLICY, root=root) or b""
    templates = sorted(walk_files(root, "templates"))
    return [policy_bytes,
            *(rel.encode() + b"\0" + read_file(root / rel, rel, root=root) for rel in templates)]


class _Base(NamedTuple):
    """The policies' and fixtures' own problems (fixture verdicts included)."""

    problems: list[Problem]
    fixtures: int
    policy_valid: bool


def _base(
    root: Path, source: DiskSource, others: list[str], key: str, cache: Cache
) -> tuple[_Base, Policy | None]:
    """Policies and fixtures are few: they take the ordinary path, cached as a whole."""
    from checker.validate.workspace import build_workspace

    cached = cache.get("<policies>", key)
    if isinstance(cached, _Base):
        return cached, None  # the policy itself is parsed only if a driver needs it
    base = build_workspace(source, root, others) if others else None
    problems = list(base.problems) if base else []
    policy = base.policy if base else None
    if base is None:
        problems.append(
            Problem(DEFAULT_POLICY, 1, 1, "", "the default policy file is missing", rule="policy")
        )
    elif policy is not None:
        problems += _fixture_problems(root, base.fixtures, policy)
    result = _Base(problems, len(base.fixtures) if base else 0, policy is not None)
    cache.put("<policies>", key, result)
    return result, policy


def _load_policy(root: Path) -> Policy:
    from checker.validate.policy import load_policy

    return load_policy(root / DEFAULT_POLICY, DEFAULT_POLICY, root=root)


def _full_run(
    root: Path,
    source: DiskSource,
    drivers: list[str],
    others: list[str],
    cards: list[str],
    signatures: dict[str, Signature | None],
    digests: dict[str, str | None],
    card_digests: dict[str, str | None],
    others_key: str,
    cache: Cache,
    jobs: int | None,
    today: date,
) -> _Stored:
    """Every driver's result, cached or computed. `digests` holds those known before the
    run (None: not yet hashed); both maps of digests are completed here, each from the
    bytes that were checked (a computed file's from the worker that read it)."""
    base, policy = _base(root, source, others, others_key, cache)
    problems = list(base.problems)
    results: list[DriverResult] = []
    todo = []
    if not base.policy_valid:
        for rel in drivers:
            if digests.get(rel) is None:
                digests[rel] = cache.digest(rel, signatures[rel])
    for rel in drivers:
        digest = digests[rel]
        cached = cache.get(rel, digest) if digest and base.policy_valid else None
        if cached is not None:
            results.append(cached)
        else:
            todo.append(rel)
    read: dict[str, str] = {}
    if not base.policy_valid:
        from checker.load.document import read_document
        from checker.validate.driver import validate_driver

        for rel in todo:  # without a valid policy: validation only
            doc, found = read_document(root / rel, rel, root=root)
            if doc is not None:
                found += validate_driver(doc)[1]
            results.append(DriverResult(rel, tuple(found)))
    elif todo:
        from checker.load.fsutil import read_file
        from checker.render.seal import inputs_key

        policy = policy or _load_policy(root)
        policy_file = root / DEFAULT_POLICY
        policy_bytes = read_file(policy_file, DEFAULT_POLICY, root=root)
        set_context(_Context(root, policy, inputs_key(root / "templates", policy_bytes)))
        for checked in compute(todo, jobs or os.cpu_count() or 1):
            rel = checked.result.rel
            digests[rel] = checked.digest
            cache.remember(rel, signatures[rel], checked.digest)
            if checked.digest:
                cache.put(rel, checked.digest, checked.result)
            results.append(checked.result)
            read.update(checked.read)
    for rel in cards:  # as the workers read them; the rest (indexes, orphans) hashed here
        if rel in read:
            card_digests[rel] = read[rel]
            cache.remember(rel, signatures[rel], read[rel])
        elif rel not in card_digests:
            card_digests[rel] = cache.digest(rel, signatures[rel])
    results.sort(key=lambda r: r.rel)
    for result in results:
        problems += result.problems
    problems += memo(cache, "<cross-file>", [r.claim for r in results],
                      lambda: _cross_file(root, results))
    if base.policy_valid:
        policy = policy or _load_policy(root)
        problems += _card_problems(root, policy, results, card_digests, cache)
    problems += _schema_problems(root)
    drafts = sum(1 for r in results if r.index_row is not None and r.index_row.get("draft"))
    counts = Counter(r.effective for r in results
                     if r.effective and not (r.index_row and r.index_row.get("draft")))
    overridden = sum(1 for r in results if r.overridden)
    evaluated = sum(1 for r in results if r.effective)
    label = policy.label if policy is not None else "an invalid policy"
    summary = summary_line(evaluated, label, counts, overrides=overridden, drafts=drafts,
                           fixtures=base.fixtures)
    overrides = [
        Override(r.rel, r.claim.id, r.override_until, r.override_verdict or "", r.computed or "")
        for r in results
        if r.override_until is not None and r.claim is not None
    ]
    after = today.toordinal()
    future = [(r.rel, date.fromordinal(day), keypath, shown)
              for r in results for day, keypath, shown in r.dated if day > after]
    return _Stored(overrides, problems, summary, today, future)


def _run_key(salt: str, *groups: dict[str, str | None]) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(salt.encode())
    for number, group in enumerate(groups):
        for rel, digest in sorted(group.items()):
            hasher.update(f"{number}\0{rel}\0{digest}\n".encode())
    return hasher.hexdigest()


def _schema_files(root: Path) -> list[str]:
    return sorted(SCHEMA_FILES.values())


def _locate(root: Path, rel: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
    from checker.load.document import read_document

    doc, _ = read_document(root / rel, rel, root=root)
    return doc.locate(keypath) if doc is not None else (1, 1)


Locator = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


def _memo_locate(root: Path, cache: Cache) -> Locator:
    """`_locate`, remembered with the run: a warm run parses no file to place a problem
    it reports again (positions stand while the files do, and the run's key covers them)."""
    located = cache.run_located()

    def locate(rel: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
        found = located.get((rel, keypath))
        if found is None:
            found = located[(rel, keypath)] = _locate(root, rel, keypath)
            cache.run_changed()
        return found

    return locate


def _expired_overrides(
    overrides: Sequence[Override], today: date, locate: Locator
) -> list[Problem]:
    problems = []
    for o in overrides:
        if o.until < today:
            line, col = locate(o.rel, ("verdict", "override", "until"))
            problems.append(
                Problem(
                    o.rel,
                    line,
                    col,
                    "verdict.override.until",
                    f"{o.id}: override to {o.verdict} expired on {o.until}; "
                    f"renew it with a reason or record the computed {o.computed}",
                    rule="verdict",
                )
            )
    return problems


def _future_dates(
    future: Sequence[tuple[str, date, tuple[str | int, ...], str]], today: date,
    locate: Locator,
) -> list[Problem]:
    if not any(first_day > today for _, first_day, _, _ in future):
        return []
    from checker.load.document import field_name
    from checker.validate.dates import future_message

    return [
        Problem(rel, *locate(rel, keypath), field_name(keypath),
                future_message(shown, today), rule="date")
        for rel, first_day, keypath, shown in future
        if first_day > today
    ]


def _cross_file(root: Path, results: Sequence[DriverResult]) -> list[Problem]:
    from checker.validate.crossfile import cross_file_problems

    claims = [r.claim for r in results if r.claim is not None]
    by_file: dict[str, list[Claim]] = {}  # a file's marks are looked at when it is reported
    for claim in claims:
        by_file.setdefault(claim.file, []).append(claim)

    def locate(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
        for claim in reversed(by_file.get(file, ())):  # the last mark of a key stands
            for key, line, col in reversed(claim.marks):
                if key == keypath:
                    return line, col
        return _locate(root, file, keypath)

    return cross_file_problems(claims, locate)


def _fixture_problems(root: Path, fixtures: Sequence[Fixture], policy: Policy) -> list[Problem]:
    from checker.evaluate.consistency import check_fixture

    problems = []
    for fixture in fixtures:
        problems += check_fixture(fixture, policy, lambda f, k: _locate(root, f, k))[1]
    return problems
