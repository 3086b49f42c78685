"""The claims store: other drivers' claims (id, paths) kept between runs, indexed by
path, id and prefix, so that a check of a few files judges them against the rest
without reading every driver file."""

from __future__ import annotations

import bisect
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from checker.load.cache import MERGE_AT, RACY_NS, ClaimsFile, digest_bytes, racy
from checker.load.layout import Signature
from checker.validate.crossfile import Claim, Claimant, fixed_prefix

# rel -> (stat signature, digest of the bytes, (id, file, path, include, exclude) or None
# for a file that is not a valid driver)
StoredClaim = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]


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

    def fresh_among(self, rels: Iterable[str],
                    signatures: Mapping[str, Signature | None]) -> list[str]:
        """Those of `rels` that are `fresh` (one comprehension: a one-file `validate`
        asks about every other driver of the repository)."""
        files, limit = self.files, self.written_ns - RACY_NS
        return [rel for rel in rels
                if (known := files.get(rel)) is not None
                and (sig := signatures.get(rel)) is not None
                and known[0] == sig and sig[3] < limit and sig[4] < limit]

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

    def save(self, live: Iterable[str], trusted: Iterable[str] = ()) -> None:
        """Write what changed, keeping only the files in `live`; `trusted` are entries the
        caller found fresh (not to be judged again)."""
        # An entry this process did not verify stays only if it could be trusted when it
        # was loaded: written again now, it would be judged against a later time.
        known = self._verified.union(trusted)
        keep = {rel for rel in live if rel in known or self._trusted_as_stored(rel)}
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
    trusted = store.fresh_among(others, signatures)
    trusted_set = set(trusted)
    for rel in others:
        if rel in trusted_set:
            continue
        sig = signatures.get(rel)
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
    fresh = trusted
    if store.index is not None:
        wanted = related(store.index, focus)
        trusted = [rel for rel in trusted if rel in wanted]
    out += [c for rel in trusted for c in [store.claim(rel)] if c is not None]
    store.save(signatures, fresh)
    return out
