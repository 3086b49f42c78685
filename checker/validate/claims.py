"""The claims store: other drivers' claims (id, paths) kept between runs, indexed by
path, id and prefix, so that a check of a few files judges them against the rest
without reading every driver file."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from checker.load.cache import MERGE_AT, RACY_NS, ClaimsFile, digest_bytes, racy
from checker.load.layout import Signature
from checker.validate.claimtable import ClaimTable, StoredClaim, encode
from checker.validate.crossfile import Claim, Claimant

# rel -> (stat signature, digest of the bytes, (id, file, path, include, exclude) or None
# for a file that is not a valid driver)
Entry = tuple[Signature, str, "StoredClaim | None"]


def claim_of(raw: bytes, rel: str) -> Claim | None:
    """The claim of a driver file's bytes; None unless it parses and validates."""
    from checker.load.document import parse_document
    from checker.validate.driver import validate_driver

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


DeltaEntry = tuple[Signature, str, "bytes | None"]
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, EOFError,
              pickle.UnpicklingError)


class ClaimsStore:
    """The persistent claims of every driver file (see the module docstring).

    On disk: a base of columns (checker.validate.claimtable: every file's signature and
    digest, each claim pickled on its own, the index of the claims), so that loading it
    makes no object per entry and only the candidates' claims are unpickled; and a
    delta of recent changes (rewriting a few entries does not rewrite them all), folded
    into the base once it grows. In memory, the base as loaded and the entries that
    differ from it (the delta's, then this process's)."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        self.root = root
        self.create = create  # whether save() may make the base (else only replace it)
        self.file = ClaimsFile(root)
        base, delta = self.file.load()
        self.written_ns = self.file.loaded_ns
        self.table: ClaimTable | None = None
        if base is not None:
            try:
                self.table = ClaimTable(base)
            except _MALFORMED:
                self.table = None
        entries = delta.get("entries") if delta is not None and self.table is not None else None
        self._delta: dict[str, DeltaEntry | None] = entries if isinstance(entries, dict) else {}
        self._over: dict[str, DeltaEntry | None] = dict(self._delta)  # differs from the base
        self._pending: dict[str, DeltaEntry | None] = {}  # this process's changes
        self._base: dict[str, tuple[Signature, str]] | None = None  # the table's, as a map
        self.changed = False
        self._verified: set[str] = set()  # entries put by this process

    def entry(self, rel: str) -> tuple[Signature, str] | None:
        """The stored signature and digest of a file; None when it has none."""
        if rel in self._over:
            found = self._over[rel]
            return None if found is None else (found[0], found[1])
        if self._base is not None:
            return self._base.get(rel)
        number = self.table.position(rel) if self.table is not None else None
        return self.table.entry(number) if self.table is not None and number is not None \
            else None

    def _blob(self, rel: str) -> bytes | None:
        if rel in self._over:
            found = self._over[rel]
            return None if found is None else found[2]
        number = self.table.position(rel) if self.table is not None else None
        return self.table.blob(number) if self.table is not None and number is not None \
            else None

    def _base_map(self) -> dict[str, tuple[Signature, str]]:
        """The base's entries as one map (made once: for a caller that asks about every
        file)."""
        if self._base is None:
            self._base = {rel: (sig, digest) for rel, sig, digest, _blob
                          in (self.table.entries() if self.table is not None else ())}
        return self._base

    @property
    def files(self) -> dict[str, tuple[Signature, str]]:
        """Every stored file's signature and digest."""
        out = {rel: known for rel, known in self._base_map().items() if rel not in self._over}
        out.update((rel, (found[0], found[1])) for rel, found in self._over.items()
                   if found is not None)
        return out

    def stored_claim(self, rel: str) -> StoredClaim | None:
        blob = self._blob(rel)
        return pickle.loads(blob) if blob is not None else None

    def claim(self, rel: str) -> Claim | None:
        stored = self.stored_claim(rel)
        return Claim(*stored) if stored is not None else None

    def fresh(self, rel: str, sig: Signature | None) -> bool:
        """Whether the file is as it was when its entry was stored."""
        known = self.entry(rel)
        if known is None or sig is None or known[0] != sig:
            return False
        return not racy(max(sig[3], sig[4]), self.written_ns)  # not changed too close

    def fresh_among(self, rels: Iterable[str],
                    signatures: Mapping[str, Signature | None]) -> list[str]:
        """Those of `rels` that are `fresh`, compared a chunk of the base at a time (a
        one-file `validate` asks about every other driver of the repository)."""
        good: set[str] = set()
        if self.table is not None:
            table = self.table
            bad = table.changed(signatures) | table.racy(self.written_ns - RACY_NS)
            good.update(table.rels)
            good.difference_update(table.rels[number] for number in bad)
        good.difference_update(self._over)
        good.update(rel for rel in self._over if self.fresh(rel, signatures.get(rel)))
        return [rel for rel in rels if rel in good]

    def related(self, claims: Iterable[Claimant]) -> set[str]:
        """The stored files whose claims could conflict with `claims`: those the base's
        index names, and every entry changed since the base (they are few)."""
        found = {self.table.rels[number] for number in self.table.related(claims)} \
            if self.table is not None else set()
        return found.union(self._over)

    def _trusted_as_stored(self, rel: str) -> bool:
        known = self.entry(rel)
        return known is not None and self.fresh(rel, known[0])

    def confirm(self, rel: str, sig: Signature, digest: str) -> bool:
        """Whether the stored entry is that of a file with this signature and digest (then
        it counts as verified)."""
        self._base_map()  # a check asks about every file
        if self.entry(rel) != (sig, digest):
            return False
        self._verified.add(rel)
        return True

    def put(self, rel: str, entry: Entry) -> None:
        """Record a verified entry."""
        sig, digest, claim = entry
        self._verified.add(rel)
        if self.entry(rel) == (sig, digest):
            return  # the same bytes under the same code: the same claim
        blob = pickle.dumps(claim, protocol=pickle.HIGHEST_PROTOCOL) \
            if claim is not None else None
        self._over[rel] = self._pending[rel] = (sig, digest, blob)
        self.changed = True

    def save(self, live: Iterable[str], trusted: Iterable[str] = ()) -> None:
        """Write what changed, keeping only the files in `live`; `trusted` are entries the
        caller found fresh (not to be judged again)."""
        # An entry this process did not verify stays only if it could be trusted when it
        # was loaded: written again now, it would be judged against a later time.
        known = self._verified.union(trusted)
        alive = live if isinstance(live, (set, dict)) else set(live)
        # (kept: listed, and verified, trusted or trusted as stored)
        stored = [rel for rel in (self.table.rels if self.table is not None else ())
                  if rel not in self._over and (rel not in known or rel not in alive)]
        stored += [rel for rel, found in self._over.items()
                   if found is not None and (rel not in known or rel not in alive)]
        for rel in stored:
            if rel not in alive or not self._trusted_as_stored(rel):
                self._over[rel] = self._pending[rel] = None
                self.changed = True
        if self.table is None:
            self.changed = True  # no base: write one
        elif self.changed and len(self._delta) + len(self._pending) < MERGE_AT:
            self._delta = {**self._delta, **self._pending}
            self.file.save_delta({"entries": self._delta})
            self._pending, self.changed = {}, False
            return
        if self.changed:
            blobs = {rel: blob for rel, _sig, _digest, blob
                     in (self.table.entries() if self.table is not None else ())
                     if rel not in self._over}
            blobs.update((rel, found[2]) for rel, found in self._over.items()
                         if found is not None)
            self.file.save(encode(self.files, blobs), create=self.create)
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
    trusted = set(store.fresh_among(others, signatures))
    for rel in others:
        if rel in trusted:
            continue
        sig = signatures.get(rel)
        try:
            raw = read(rel)
        except OSError:
            continue
        digest = digest_bytes(raw)
        known = store.entry(rel)
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
    # The index follows the base, every entry changed since is a candidate, and the
    # files read again are in `out` already.
    out += [c for rel in sorted(store.related(focus)) if rel in trusted
            for c in [store.claim(rel)] if c is not None]
    store.save(signatures, trusted)
    return out
