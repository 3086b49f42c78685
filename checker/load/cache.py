"""A content-addressed cache of per-file results, safe to share between processes.

Results are keyed by the file's path and the digest of its bytes, under a *salt* that
covers everything else a result depends on: the policy and template bytes, the package
version and the checker's own source files. A cached result is therefore never stale:
any change to its inputs changes its key. Digests of unchanged files are remembered by
their stat signature, as git's index does; a file modified within the timestamp
granularity of the last save ("racy") is always hashed again.

Each map (stat memo, results) is stored as a base file plus a small delta file of
recent changes, so changing one file rewrites a few entries, not thousands; the delta is
merged into the base once it grows. The last run's result is a third, small file, kept
with a digest of the stat signatures of every file the run listed: a run that finds
them all unchanged (and none changed too close to the record's write to tell) takes the
result without hashing a file. The claims store of checker.validate.claims is a fourth, keyed
by the checker's code alone (claims do not depend on the policy or the templates).
Every file is replaced atomically (temporary file + rename): runs at once each read
complete files and the last to finish wins; at worst a result is computed twice.
`--no-cache` (or DRIVER_POLICY_NO_CACHE=1) bypasses it all.

The cache directory sits in the repository, where a pull request could plant files,
and unpickling runs code. So every file carries an HMAC under a secret key kept outside
the repository (created once per user, mode 0600); a file that does not verify is
ignored and never unpickled.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import pickle
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from checker import __version__
from checker.core.environment import NO_CACHE, flag
from checker.core.errors import CheckerError
from checker.load.fsutil import read_file, read_optional, write_atomic

CACHE_DIR = ".driver-policy-cache"
FORMAT = 2
_SUFFIXES = ("stats", "stats-delta", "results", "results-delta", "run", "claims",
             "claims-delta", "policy")
_CODE_KEYED = ("claims", "claims-delta", "policy")  # salted by the code alone
_SALT_RE = re.compile(r"[0-9a-f]{32}")
RACY_NS = 2_000_000_000  # file times this close to the last save are not trusted
MERGE_AT = 256  # delta entries before the delta is folded into the base


def racy(changed_ns: int, written_ns: int) -> bool:
    """Whether a file changed at `changed_ns` (its mtime or ctime) may have changed again
    unseen after a cache file written at `written_ns` recorded its stat signature."""
    return changed_ns >= written_ns - RACY_NS


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def code_signature() -> str:
    """The checker's own sources (for development trees, where the version stays put)."""
    package = Path(__file__).resolve().parents[1]  # checker/, every stage's sources
    parts = [__version__, str(FORMAT)]
    for directory, _dirs, files in sorted(os.walk(package)):
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(directory, name))
                parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return digest_bytes("\n".join(parts).encode())


@functools.cache
def claims_salt() -> str:
    """The claims store's key: claims depend on the checker's code, not on the policy."""
    return digest_bytes(f"claims\0{code_signature()}".encode())


def cache_directory(root: Path) -> Path | None:
    """Where the cache of the repository at `root` lives; None when it is switched off
    (--no-cache, DRIVER_POLICY_NO_CACHE) or a link planted in the repository."""
    if flag(NO_CACHE):
        return None
    configured = os.environ.get("DRIVER_POLICY_CACHE_DIR")
    directory = Path(configured or root / CACHE_DIR)
    if not configured and directory.is_symlink():
        return None  # a link planted in the repository is not followed
    return directory


TAG_BYTES = 32
KEY_LIMIT = 4096  # the key file is 32 bytes; anything much larger is not one


@functools.cache
def secret_key() -> bytes:
    """The per-user key that authenticates cache files (never inside a repository)."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(home) / "driver-policy" / "cache-key"
    try:  # through the one door: a FIFO, a link or a device there is refused, never waited on
        found = read_optional(path, limit=KEY_LIMIT)
    except CheckerError:  # unusable, and not ours to replace: a key of this process
        return os.urandom(32)
    if found is not None and len(found) >= 32:
        return found
    import tempfile  # here: only the first run of a user makes a key

    key = os.urandom(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: a process
        # starting at the same moment sees no key or the complete key, never a part.
        fd, tmp = tempfile.mkstemp(prefix=".cache-key.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
            os.link(tmp, path)
        finally:
            os.unlink(tmp)
    except FileExistsError:  # another process made it first: use theirs
        with contextlib.suppress(CheckerError):
            theirs = read_file(path, limit=KEY_LIMIT)
            if len(theirs) >= 32:
                return theirs
    except OSError:
        pass  # no writable home: this process's key still protects what it writes
    return key


def tag(payload: bytes | memoryview) -> bytes:
    return hmac.new(secret_key(), payload, hashlib.sha256).digest()


def _read(path: Path) -> dict[Any, Any] | None:
    try:  # not through a link, not a FIFO: a planted one is a miss, never a hang
        blob = read_file(path)
    except CheckerError:
        return None
    payload = memoryview(blob)[TAG_BYTES:]  # not a copy (the claims store is megabytes)
    if len(blob) < TAG_BYTES or not hmac.compare_digest(blob[:TAG_BYTES], tag(payload)):
        return None  # not written by this user's driver-policy: never unpickle it
    try:
        state = pickle.loads(payload)
    except (
        EOFError,
        pickle.UnpicklingError,
        AttributeError,
        ImportError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
    ):
        return None  # from an incompatible version: start afresh
    if isinstance(state, dict) and state.get("format") == FORMAT:
        data = state.get("data")
        return data if isinstance(data, dict) else None
    return None


def _write(path: Path, data: dict[Any, Any]) -> None:
    payload = pickle.dumps({"format": FORMAT, "data": data}, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(path, tag(payload) + payload, durable=False)


class _Store:
    """One persistent map: a base file and a delta file of recent changes."""

    def __init__(self, base: Path, delta: Path, enabled: bool) -> None:
        self.base_path, self.delta_path = base, delta
        self.enabled = enabled
        self._data: dict[Any, Any] | None = None
        self._delta: dict[Any, Any] = {}
        self.loaded_ns = 0

    @property
    def data(self) -> dict[Any, Any]:
        if self._data is None:
            self._data = {}
            if self.enabled:
                for path in (self.base_path, self.delta_path):
                    found = _read(path)
                    if found is not None:
                        self._data.update(found)
                        with contextlib.suppress(OSError):
                            self.loaded_ns = max(self.loaded_ns, path.stat().st_mtime_ns)
        return self._data

    def put(self, key: Any, value: Any) -> None:
        self.data[key] = value
        self._delta[key] = value

    def replace(self, data: dict[Any, Any]) -> None:
        """Drop entries (files that no longer exist): the next save rewrites the base."""
        self._data = data
        self._delta = {None: None}  # forces a merge

    def save(self) -> None:
        if not self._delta:
            return
        previous = _read(self.delta_path) or {} if self.enabled else {}
        if len(previous) + len(self._delta) >= MERGE_AT or None in self._delta:
            _write(self.base_path, self.data)
            with contextlib.suppress(FileNotFoundError):
                self.delta_path.unlink()
        else:
            _write(self.delta_path, {**previous, **self._delta})
        self._delta = {}


class ClaimsFile:
    """The files of checker.validate.claims's claims store, a base and a small delta of recent
    changes (as _Store's): authenticated and format-checked like every cache file,
    replaced atomically; unreadable means empty."""

    def __init__(self, root: Path) -> None:
        directory = cache_directory(root)
        name = directory / claims_salt() if directory is not None else None
        self.path = Path(f"{name}.claims") if name is not None else None
        self.delta_path = Path(f"{name}.claims-delta") if name is not None else None
        self.loaded_ns = 0  # the earliest write time of the files loaded

    def load(self) -> tuple[dict[Any, Any] | None, dict[Any, Any] | None]:
        """The base and the delta (None: missing or damaged; a delta without its base
        is not used)."""
        if self.path is None or self.delta_path is None:
            return None, None
        base = _read(self.path)
        delta = _read(self.delta_path) if base is not None else None
        times = []
        for path, found in ((self.path, base), (self.delta_path, delta)):
            if found is not None:
                with contextlib.suppress(OSError):
                    times.append(path.stat().st_mtime_ns)
        self.loaded_ns = min(times, default=0)
        return base, delta

    def exists(self) -> bool:
        return self.path is not None and self.path.is_file()

    def save(self, data: dict[Any, Any], *, create: bool = True) -> None:
        """Replace the base and drop the delta (make the base too with `create`: `check`
        does; `validate`, which writes nothing new in a repository, only keeps an
        existing one current)."""
        if self.path is not None and (create or self.path.is_file()):
            with contextlib.suppress(OSError):  # a cache that cannot be written costs time
                _write(self.path, data)
                if self.delta_path is not None:
                    with contextlib.suppress(FileNotFoundError):
                        self.delta_path.unlink()

    def save_delta(self, data: dict[Any, Any]) -> None:
        if self.delta_path is not None and self.exists():
            with contextlib.suppress(OSError):
                _write(self.delta_path, data)


class LastValue:
    """One value kept between runs for the last input it was made from (the key: a
    digest of that input), under the checker's code: the validated default policy, which
    a one-file `validate` needs and would otherwise parse with libyaml and validate, every
    time (25 ms of 0.18 s). Authenticated like every cache file; written only where a
    cache directory exists (`validate` makes nothing new in a repository)."""

    def __init__(self, root: Path, suffix: str) -> None:
        directory = cache_directory(root)
        self.path = directory / f"{claims_salt()}.{suffix}" if directory is not None else None

    def get(self, key: str) -> Any:
        found = _read(self.path) if self.path is not None else None
        return found.get("value") if found is not None and found.get("key") == key else None

    def put(self, key: str, value: Any) -> None:
        if self.path is not None and self.path.parent.is_dir():
            # a cache that cannot be written (or a value that cannot be kept) costs time
            with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
                _write(self.path, {"key": key, "value": value})


class Cache:
    """Digests of files and results keyed by (path, digest), for one salt."""

    def __init__(self, root: Path, salt_inputs: Iterable[bytes], enabled: bool = True) -> None:
        self.enabled = enabled and not flag(NO_CACHE)
        hasher = hashlib.blake2b(digest_size=16)
        hasher.update(code_signature().encode())
        for item in salt_inputs:
            hasher.update(len(item).to_bytes(8, "little"))
            hasher.update(item)
        self.salt = hasher.hexdigest()
        self.root = str(root)
        configured = os.environ.get("DRIVER_POLICY_CACHE_DIR")
        self.directory = Path(configured or root / CACHE_DIR)
        if not configured and self.directory.is_symlink():
            self.enabled = False  # a link planted in the repository is not followed
        name = self.directory / self.salt
        self._stats = _Store(Path(f"{name}.stats"), Path(f"{name}.stats-delta"), self.enabled)
        self._results = _Store(Path(f"{name}.results"), Path(f"{name}.results-delta"), self.enabled)
        self.run_path = Path(f"{name}.run")
        self._run = _read(self.run_path) if self.enabled else None
        self._run_ns = 0
        if self._run is not None:
            with contextlib.suppress(OSError):
                self._run_ns = self.run_path.stat().st_mtime_ns
        self._run_dirty = False

    def digest(self, rel: str, listed: tuple[int, ...] | None = None) -> str | None:
        """The digest of a file's bytes; None when it cannot be read. `listed` is the
        file's stat signature as the caller's listing took it (checker.load.layout.signature:
        not following a link, whose reading fails anyway), saving a second stat."""
        path = os.path.join(self.root, rel)
        if listed is None:
            try:
                st = os.lstat(path)
            except OSError:
                return None
            listed = (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        known = self.known(rel, listed)
        if known is not None:
            return known
        try:  # the one door: a link, a FIFO or a device is never read (its reader says why)
            digest = digest_bytes(read_file(Path(path), rel, root=Path(self.root)))
        except CheckerError:
            return None
        self.remember(rel, listed, digest)
        return digest

    def known(self, rel: str, listed: tuple[int, ...] | None) -> str | None:
        """The digest remembered for a file with this stat signature, without reading it;
        None when there is none (or the file changed too close to the record to tell)."""
        known = self._stats.data.get(rel) if listed is not None else None
        if (
            known is not None
            and known[0] == listed
            and listed is not None
            and not racy(max(listed[3], listed[4]), self._stats.loaded_ns)
        ):
            return str(known[1])
        return None

    def remember(self, rel: str, listed: tuple[int, ...] | None, digest: str | None) -> None:
        """Record the digest of bytes read after the file was listed with signature
        `listed` (read before, they could be older than the signature says)."""
        if self.enabled and listed is not None and digest is not None \
                and self._stats.data.get(rel) != (listed, digest):
            self._stats.put(rel, (listed, digest))

    def has_run(self) -> bool:
        """Whether a run's result is stored (else no run key can find one: get_run)."""
        return self._run is not None and self._run.get("value") is not None

    def get(self, rel: str, digest: str) -> Any:
        return self._results.data.get((rel, digest)) if self.enabled else None

    def put(self, rel: str, digest: str, result: Any) -> None:
        if self.enabled:
            self._results.put((rel, digest), result)

    def get_run(self, key: str) -> Any:
        if self._run is not None and self._run.get("key") == key:
            return self._run.get("value")
        return None

    def run_by_stat(self, stat_key: str, newest_ns: int) -> Any:
        """The last run's result if it was recorded for files with these stat signatures
        (`stat_key`), none of them changed (at `newest_ns`) too close to the record's
        write to tell; None otherwise (then the files are hashed: get_run)."""
        if self._run is None or self._run.get("stat") != stat_key:
            return None
        if racy(newest_ns, self._run_ns):
            return None
        return self._run.get("value")

    def put_run(self, key: str, result: Any, stat_key: str = "", newest_ns: int = 0) -> None:
        """Record the run's result for its key (the digests of its inputs) and the stat
        signatures of its files when they were listed, before they were hashed."""
        if not self.enabled:
            return
        run = self._run
        same = run is not None and run.get("key") == key and run.get("value") is result
        if same and run is not None and run.get("stat") == stat_key \
                and not racy(newest_ns, self._run_ns):
            return  # the next run can take it by its stat key as it is
        if same and run is not None:
            # the same run, confirmed by hashing: written again for its new stat key, or
            # so that its write time moves past the files' (no longer racy)
            self._run = {**run, "stat": stat_key}
        else:
            self._run = {"key": key, "value": result, "stat": stat_key, "located": {}}
        self._run_dirty = True

    def run_located(self) -> dict[Any, Any]:
        """Positions of the problems the run reports (pipeline._memo_locate), kept with it."""
        if self._run is None:
            self._run = {"key": None, "value": None, "located": {}}
        located = self._run.setdefault("located", {})
        return located if isinstance(located, dict) else {}

    def run_changed(self) -> None:
        if self.enabled and self._run is not None and self._run.get("key") is not None:
            self._run_dirty = True

    @property
    def run_dirty(self) -> bool:
        return self._run_dirty

    def save(self, live: set[str] | None = None) -> None:
        """Write what changed, dropping entries of files that no longer exist.

        Keys that are not file paths (they start with "<") are kept.
        """
        if not self.enabled:
            return
        try:
            if live is not None and self._stats._data is not None and set(self._stats.data) - live:
                self._stats.replace({k: v for k, v in self._stats.data.items() if k in live})
            if (
                live is not None
                and self._results._data is not None
                and any(k[0] not in live and not k[0].startswith("<") for k in self._results.data)
            ):
                self._results.replace(
                    {
                        k: v
                        for k, v in self._results.data.items()
                        if k[0] in live or k[0].startswith("<")
                    }
                )
            self._stats.save()
            self._results.save()
            if self._run_dirty and self._run is not None:
                _write(self.run_path, self._run)
                self._run_dirty = False
                self._prune_other_salts()
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _prune_other_salts(self) -> None:
        """Remove this cache's own files of other salts (never anything else)."""
        for other in self.directory.glob("*.*"):
            salt, _, suffix = other.name.partition(".")
            keep = claims_salt() if suffix in _CODE_KEYED else self.salt
            if suffix in _SUFFIXES and _SALT_RE.fullmatch(salt) and salt != keep \
                    and other.is_file() and not other.is_symlink():
                with contextlib.suppress(OSError):
                    other.unlink()


T = TypeVar("T")


def memo(cache: Cache, name: str, inputs: object, compute: Callable[[], T]) -> T:
    """A whole-repository step, reused while its inputs are unchanged (most edits change
    no driver's claim or index row)."""
    if not cache.enabled:  # nothing to look up: the key (a pickle of every input) is not made
        return compute()
    import pickle

    key = digest_bytes(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
    found = cache.get(name, key)
    if found is None:
        found = compute()
        cache.put(name, key, found)
    return found  # type: ignore[no-any-return]
