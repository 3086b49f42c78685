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
file the store does not know is parsed; a missing or damaged store (checker.cache:
authenticated, format-checked) is rebuilt from the files. It lives in the check cache's
directory, keyed by the checker's own code only (claims do not depend on the policy or
the templates), and `check` rewrites it whenever it computed any driver's result.
"""

from __future__ import annotations

import bisect
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from checker.cache import MERGE_AT, ClaimsFile, digest_bytes, racy
from checker.errors import Problem
from checker.layout import Signature


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
    from checker.paths import patterns_overlap
    from checker.validate import field_name

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


def fixed_prefix(pattern: str) -> str:
    """The directories of a pattern before its first glob component."""
    parts = []
    for part in pattern.strip("/").split("/"):
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


def _excluded(driver: Claimant, pattern: str) -> bool:
    from checker.paths import pattern_covers

    return any(pattern_covers(ex, pattern) for ex in driver.exclude)


# ---------------------------------------------------------------------------------
# The claims store.

# rel -> (stat signature, digest of the bytes, (id, file, path, include, exclude) or None
# for a file that is not a valid driver)
StoredClaim = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]
Entry = tuple[Signature, str, "StoredClaim | None"]


def claim_of(raw: bytes, rel: str) -> Claim | None:
    """The claim of a driver file's bytes; None unless it parses and validates."""
    from checker.load import parse_document
    from checker.validate import validate_driver

    doc, found = parse_document(raw, rel)
    if doc is None or found:
        return None
    driver, _ = validate_driver(doc)
    if driver is None:
        return None
    return Claim(driver.id, driver.file, driver.path, driver.include, driver.exclude)


def _as_stored(claim: Claimant | None) -> StoredClaim | None:
    if claim is None:
        return None
    return (claim.id, claim.file, claim.path, tuple(claim.include), tuple(claim.exclude))


def _index_keys(claim: StoredClaim) -> list[tuple[str, str]]:
    ident, _file, path, include, _exclude = claim
    return [("path", path.rstrip("/")), ("id", ident.lower()),
            *(("prefix", prefix)
              for prefix in dict.fromkeys(fixed_prefix(pattern) for pattern in include))]


def index_add(index: dict[str, Any], rel: str, claim: StoredClaim, *, sort: bool = True) -> None:
    """Index `rel` by its claim's path, lower-case id and the fixed prefix of each
    include (a key of one file maps to its name, of several to a list: fewer objects to
    load); `prefixes` is the sorted list of prefixes, for finding descendants."""
    for table, key in _index_keys(claim):
        rels = index[table].get(key)
        if rels is None:
            index[table][key] = rel
            if table == "prefix" and sort:
                bisect.insort(index["prefixes"], key)
        elif isinstance(rels, str):
            index[table][key] = [rels, rel]
        elif rel not in rels:
            rels.append(rel)


def index_remove(index: dict[str, Any], rel: str, claim: StoredClaim) -> None:
    for table, key in _index_keys(claim):
        rels = index[table].get(key)
        if rels == rel:
            del index[table][key]
            if table == "prefix":
                prefixes = index["prefixes"]
                at = bisect.bisect_left(prefixes, key)
                if at < len(prefixes) and prefixes[at] == key:
                    del prefixes[at]
        elif isinstance(rels, list) and rel in rels:
            rels.remove(rel)
            if len(rels) == 1:
                index[table][key] = rels[0]


def build_index(entries: Mapping[str, Entry]) -> dict[str, Any]:
    """The index (index_add) of every entry with a claim."""
    index: dict[str, Any] = {"path": {}, "id": {}, "prefix": {}, "prefixes": []}
    for rel, (_sig, _digest, claim) in entries.items():
        if claim is not None:
            index_add(index, rel, claim, sort=False)
    index["prefixes"] = sorted(index["prefix"])
    return index


def related(index: Mapping[str, Any], claims: Iterable[Claimant]) -> set[str]:
    """The stored files whose claims could conflict with `claims` (see the module
    docstring): a superset of those that do, never missing one."""
    by_prefix: dict[str, str | list[str]] = index["prefix"]
    prefixes: list[str] = index["prefixes"]
    found: set[str] = set()

    def add(rels: str | list[str] | None) -> None:
        if isinstance(rels, str):
            found.add(rels)
        elif rels is not None:
            found.update(rels)

    for claim in claims:
        add(index["path"].get(claim.path.rstrip("/")))
        add(index["id"].get(claim.id.lower()))
        for pattern in claim.include:
            prefix = fixed_prefix(pattern)
            parts = prefix.split("/") if prefix else []
            for n in range(len(parts) + 1):  # ancestors and itself
                add(by_prefix.get("/".join(parts[:n])))
            below = prefix + "/" if prefix else ""
            start = bisect.bisect_left(prefixes, below)
            for key in prefixes[start:]:  # descendants
                if not key.startswith(below):
                    break
                add(by_prefix[key])
    return found


DeltaEntry = tuple[Signature, str, "bytes | None"]


class ClaimsStore:
    """The persistent claims of every driver file (see the module docstring).

    On disk: every file's signature and digest; each claim pickled on its own, so that
    loading the store costs little and only the candidates' claims are unpickled; the
    index of the claims; and a delta of recent changes (rewriting a few entries does
    not rewrite them all), folded into the base once it grows."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        self.root = root
        self.create = create  # whether save() may make the base (else only replace it)
        self.file = ClaimsFile(root)
        base, delta = self.file.load()
        self.written_ns = self.file.loaded_ns
        base = base or {}
        files, claims, index = base.get("files"), base.get("claims"), base.get("index")
        if not (isinstance(files, dict) and isinstance(claims, dict)
                and isinstance(index, dict)):
            files, claims, index, delta = {}, {}, None, None
        self.files: dict[str, tuple[Signature, str]] = files
        self._claims: dict[str, bytes | None] = claims
        self.index: dict[str, Any] | None = index
        self.changed = False
        self._verified: set[str] = set()  # entries put by this process
        self._pending: dict[str, DeltaEntry | None] = {}  # this process's changes
        entries = delta.get("entries") if delta is not None else None
        self._delta: dict[str, DeltaEntry | None] = entries if isinstance(entries, dict) else {}
        for rel, entry in self._delta.items():
            self._apply(rel, entry)

    def _apply(self, rel: str, entry: DeltaEntry | None) -> None:
        """Set (None: remove) an entry, keeping the index in step with its claim."""
        blob = entry[2] if entry is not None else None
        if rel in self.files and entry is not None and self._claims.get(rel) == blob:
            self.files[rel] = entry[:2]
            return
        old = self.stored_claim(rel) if rel in self.files else None
        if self.index is not None:
            if old is not None:
                index_remove(self.index, rel, old)
            if blob is not None:
                index_add(self.index, rel, pickle.loads(blob))
        if entry is None:
            self.files.pop(rel, None)
            self._claims.pop(rel, None)
        else:
            self.files[rel] = entry[:2]
            self._claims[rel] = blob

    def stored_claim(self, rel: str) -> StoredClaim | None:
        blob = self._claims.get(rel)
        return pickle.loads(blob) if blob is not None else None

    def claim(self, rel: str) -> Claim | None:
        stored = self.stored_claim(rel)
        return Claim(*stored) if stored is not None else None

    def fresh(self, rel: str, sig: Signature | None) -> bool:
        """Whether the file is as it was when its entry was stored."""
        known = self.files.get(rel)
        if known is None or sig is None or known[0] != sig:
            return False
        return not racy(max(sig[3], sig[4]), self.written_ns)  # not changed too close

    def _trusted_as_stored(self, rel: str) -> bool:
        known = self.files.get(rel)
        return known is not None and self.fresh(rel, known[0])

    def confirm(self, rel: str, sig: Signature, digest: str) -> bool:
        """Whether the stored entry is that of a file with this signature and digest (then
        it counts as verified)."""
        if self.files.get(rel) != (sig, digest):
            return False
        self._verified.add(rel)
        return True

    def put(self, rel: str, entry: Entry) -> None:
        """Record a verified entry."""
        sig, digest, claim = entry
        self._verified.add(rel)
        if self.files.get(rel) == (sig, digest):
            return  # the same bytes under the same code: the same claim
        blob = pickle.dumps(claim, protocol=pickle.HIGHEST_PROTOCOL) \
            if claim is not None else None
        self._apply(rel, (sig, digest, blob))
        self._pending[rel] = (sig, digest, blob)
        self.changed = True

    def save(self, live: Iterable[str]) -> None:
        """Write what changed, keeping only the files in `live`."""
        # An entry this process did not verify stays only if it could be trusted when it
        # was loaded: written again now, it would be judged against a later time.
        keep = {rel for rel in live if rel in self._verified or self._trusted_as_stored(rel)}
        for rel in set(self.files) - keep:
            self._apply(rel, None)
            self._pending[rel] = None
            self.changed = True
        if self.index is None:
            self.index = build_index(
                {rel: (*known, self.stored_claim(rel)) for rel, known in self.files.items()})
            self.changed = True
        elif self.changed and len(self._delta) + len(self._pending) < MERGE_AT:
            self._delta = {**self._delta, **self._pending}
            self.file.save_delta({"entries": self._delta})
            self._pending, self.changed = {}, False
            return
        if self.changed:
            self.file.save({"files": self.files, "claims": self._claims, "index": self.index},
                           create=self.create)
            self._delta, self._pending, self.changed = {}, {}, False


def other_claims(
    root: Path,
    others: Sequence[str],
    signatures: Mapping[str, Signature | None],
    focus: Sequence[Claimant],
    read: Callable[[str], bytes],
) -> list[Claimant]:
    """The claims of the drivers `others` that could conflict with `focus`, for the
    cross-file rules of a check of a few files: from the store where the files are
    unchanged, from the files (and then into the store) where not. `read` is the one
    door (an OSError: the file is not a valid driver, as when it is loaded). A store that
    `check` made is kept current; none is made here."""
    store = ClaimsStore(root, create=False)
    out: list[Claimant] = []
    trusted: list[str] = []
    for rel in others:
        sig = signatures.get(rel)
        if store.fresh(rel, sig):
            trusted.append(rel)
            continue
        try:
            raw = read(rel)
        except OSError:
            continue
        digest = digest_bytes(raw)
        known = store.files.get(rel)
        if known is not None and known[1] == digest:
            stored = store.stored_claim(rel)
            claim = Claim(*stored) if stored is not None else None
        else:
            claim = claim_of(raw, rel)
            stored = _as_stored(claim)
        if sig is not None:
            store.put(rel, (sig, digest, stored))
        if claim is not None:
            out.append(claim)
    # The index follows every stored entry (the delta's too), so it is right for the
    # trusted ones; the files read again are candidates anyway.
    if store.index is not None:
        wanted = related(store.index, focus)
        trusted = [rel for rel in trusted if rel in wanted]
    out += [c for rel in trusted for c in [store.claim(rel)] if c is not None]
    store.save(signatures)
    return out
