"""The claims store's base as columns: what a one-file `validate` needs of 9,800 entries
without making 9,800 objects of each kind.

A base (checker.validate.claims) is a few strings, byte strings and arrays, which
unpickle at the speed of a copy: the sorted paths joined by NUL (no file name holds
one); the stat signatures marshalled in chunks of CHUNK entries, so that the
signatures a listing took are compared with them a chunk at a time and only a chunk
that differs is read entry by entry; the digests; each claim pickled on its own (only
the candidates' are unpickled); and the index of the claims by path, lower-case id and
the fixed prefix of each include, as one sorted column of keys (tagged by table) with
the entries each key names. Entries are numbered by their position among the sorted
paths. A malformed base is a ValueError, TypeError, KeyError or IndexError (then the
store counts as missing)."""

from __future__ import annotations

import bisect
import marshal
import pickle
from array import array
from collections.abc import Iterable, Mapping
from itertools import accumulate, chain
from typing import Any

from checker.load.layout import Signature
from checker.validate.crossfile import Claimant, fixed_prefix

CHUNK = 64  # signatures compared at once
_MARSHAL = 2  # no references: equal lists marshal to equal bytes
# tables of the index, by the first character of a key
PATH, IDENT, PREFIX = "p\0", "i\0", "x\0"

StoredClaim = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]


def index_keys(claim: StoredClaim) -> list[str]:
    """The index keys of a claim: its path, its lower-case id and the fixed prefix of
    each include."""
    ident, _file, path, include, _exclude = claim
    return [PATH + path.rstrip("/"), IDENT + ident.lower(),
            *dict.fromkeys(PREFIX + fixed_prefix(pattern) for pattern in include)]


def encode(files: Mapping[str, tuple[Signature, str]],
           claims: Mapping[str, bytes | None]) -> dict[str, Any]:
    """The base of `files` (rel -> (signature, digest)) and their pickled claims."""
    rels = sorted(files)
    sigs = [files[rel][0] for rel in rels]
    blobs = [claims.get(rel) or b"" for rel in rels]
    postings: dict[str, list[int]] = {}
    for number, blob in enumerate(blobs):
        if blob:
            for key in index_keys(pickle.loads(blob)):
                postings.setdefault(key, []).append(number)
    keys = sorted(postings)
    posted = [postings[key] for key in keys]
    times = [max(sig[3], sig[4]) for sig in sigs]
    return {
        "rels": "\0".join(rels), "count": len(rels),
        "sigs": [marshal.dumps(sigs[at:at + CHUNK], _MARSHAL)
                 for at in range(0, len(sigs), CHUNK)],
        "newest": [max(times[at:at + CHUNK]) for at in range(0, len(times), CHUNK)],
        "digests": "\0".join(files[rel][1] for rel in rels),
        "claims": b"".join(blobs), "claim_at": _packed([0, *accumulate(map(len, blobs))]),
        "keys": "".join(keys), "key_at": _packed([0, *accumulate(map(len, keys))]),
        "post_at": _packed([0, *accumulate(map(len, posted))]),
        "postings": _packed(list(chain.from_iterable(posted))),
    }


class _Keys:
    """The sorted index keys, one string sliced by offsets (a sequence for bisect)."""

    def __init__(self, text: str, at: array[int]) -> None:
        self.text, self.at = text, at

    def __len__(self) -> int:
        return len(self.at) - 1

    def __getitem__(self, number: int) -> str:
        return self.text[self.at[number]:self.at[number + 1]]


class ClaimTable:
    """A decoded base (see the module docstring)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        count, rels = data["count"], data["rels"]
        if not (isinstance(count, int) and isinstance(rels, str)):
            raise ValueError("a malformed claims base")
        self.rels: list[str] = rels.split("\0") if count else []
        self._sigs: list[bytes] = data["sigs"]
        self._newest: list[int] = data["newest"]
        self._digests: str = data["digests"]
        self._claims: bytes = data["claims"]
        self._claim_at = _longs(data["claim_at"])
        self._keys = _Keys(data["keys"], _longs(data["key_at"]))
        self._post_at, self._postings = _longs(data["post_at"]), _longs(data["postings"])
        chunks = (count + CHUNK - 1) // CHUNK
        self._split: list[str] | None = None
        self._decoded: dict[int, list[Signature | None]] = {}
        if not (len(self.rels) == count
                and len(self._claim_at) == count + 1 and len(self._sigs) == chunks
                and len(self._newest) == chunks
                and len(self._post_at) == len(self._keys.at)
                and all(isinstance(chunk, bytes) for chunk in self._sigs)
                and isinstance(self._digests, str) and isinstance(self._claims, bytes)):
            raise ValueError("a malformed claims base")

    def position(self, rel: str) -> int | None:
        at = bisect.bisect_left(self.rels, rel)
        return at if at < len(self.rels) and self.rels[at] == rel else None

    def signatures(self, chunk: int) -> list[Signature | None]:
        found = self._decoded.get(chunk)
        if found is None:
            found = marshal.loads(self._sigs[chunk])
            if not isinstance(found, list):
                raise ValueError("a malformed claims base")
            self._decoded[chunk] = found
        return found

    def entry(self, number: int) -> tuple[Signature, str]:
        sig = self.signatures(number // CHUNK)[number % CHUNK]
        if sig is None:
            raise ValueError("a malformed claims base")
        return sig, self.digests()[number]

    def digests(self) -> list[str]:
        if self._split is None:
            self._split = self._digests.split("\0") if self.rels else []
            if len(self._split) != len(self.rels):
                raise ValueError("a malformed claims base")
        return self._split

    def blob(self, number: int) -> bytes | None:
        return self._claims[self._claim_at[number]:self._claim_at[number + 1]] or None

    def changed(self, listed: Mapping[str, Signature | None]) -> set[int]:
        """The entries whose file a listing (rel -> its signature, None: vanished) did
        not find as stored: changed, vanished or missing from it. A chunk whose marshal
        is the stored one holds equal signatures (marshal reads back what it wrote: equal
        bytes, equal values); any other is compared entry by entry."""
        current = list(map(listed.get, self.rels))
        out: set[int] = set()
        for chunk, stored in enumerate(self._sigs):
            start = chunk * CHUNK
            part = current[start:start + CHUNK]
            if marshal.dumps(part, _MARSHAL) != stored:
                out.update(start + offset for offset, (old, new)
                           in enumerate(zip(self.signatures(chunk), part, strict=True))
                           if old != new)
        return out

    def racy(self, limit: int) -> set[int]:
        """The entries whose file changed at `limit` or later (by mtime or ctime)."""
        out: set[int] = set()
        for chunk, newest in enumerate(self._newest):
            if newest >= limit:
                out.update(chunk * CHUNK + offset
                           for offset, sig in enumerate(self.signatures(chunk))
                           if sig is not None and max(sig[3], sig[4]) >= limit)
        return out

    def entries(self) -> Iterable[tuple[str, Signature, str, bytes | None]]:
        digests = self.digests()
        for chunk in range(len(self._sigs)):
            for offset, sig in enumerate(self.signatures(chunk)):
                number = chunk * CHUNK + offset
                if sig is None:
                    raise ValueError("a malformed claims base")
                yield self.rels[number], sig, digests[number], self.blob(number)

    def _named(self, key: str) -> range:
        at = bisect.bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            return range(self._post_at[at], self._post_at[at + 1])
        return range(0)

    def related(self, claims: Iterable[Claimant]) -> set[int]:
        """The entries whose claims could conflict with `claims`: the same path or
        lower-case id, or an include whose fixed prefix is an ancestor or a descendant of
        one of theirs (a superset of those that do, never missing one)."""
        found: list[int] = []
        postings, keys = self._postings, self._keys
        for claim in claims:
            named = [PATH + claim.path.rstrip("/"), IDENT + claim.id.lower()]
            for pattern in claim.include:
                prefix = fixed_prefix(pattern)
                parts = prefix.split("/") if prefix else []
                named += (PREFIX + "/".join(parts[:n]) for n in range(len(parts) + 1))
                below = PREFIX + (prefix + "/" if prefix else "")
                start = bisect.bisect_left(keys, below)
                for at in range(start, len(keys)):  # descendants
                    if not keys[at].startswith(below):
                        break
                    found += postings[self._post_at[at]:self._post_at[at + 1]]
            for key in named:
                found += (postings[at] for at in self._named(key))
        return set(found)


def _packed(numbers: list[int]) -> tuple[str, bytes]:
    """Offsets and entry numbers, in 4 bytes each where they fit (a smaller file to read
    and authenticate), else 8."""
    kind = "i" if max(numbers, default=0) < 2**31 and array("i").itemsize == 4 else "q"
    return kind, array(kind, numbers).tobytes()


def _longs(data: tuple[str, bytes]) -> array[int]:
    kind, packed = data
    if kind not in ("i", "q") or not isinstance(packed, bytes):
        raise TypeError("a malformed claims base")
    out = array(kind)
    out.frombytes(packed)
    return out
