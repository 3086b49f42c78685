"""A content-addressed cache of per-file results, safe to share between processes.

Results are keyed by the file's path and the digest of its bytes, under a *salt* that
covers everything else a result depends on: the policy and template bytes, the package
version and the checker's own source files. A cached result is therefore never stale:
any change to its inputs changes its key. Digests of unchanged files are remembered by
their stat signature, as git's index does; a file modified within the timestamp
granularity of the last save ("racy") is always hashed again.

The state is one pickle file per salt, replaced atomically (temporary file + rename):
two runs at once each read a complete state and the last to finish wins; at worst a
result is computed twice. `--no-cache` (or DRIVER_POLICY_NO_CACHE=1) bypasses it all.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from checker import __version__
from checker.fsutil import write_atomic

CACHE_DIR = ".driver-policy-cache"
FORMAT = 1
RACY_NS = 2_000_000_000  # file times this close to the save are not trusted


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def code_signature() -> str:
    """The checker's own sources (for development trees, where the version stays put)."""
    package = Path(__file__).resolve().parent
    parts = [__version__, str(FORMAT)]
    for directory, _dirs, files in sorted(os.walk(package)):
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(directory, name))
                parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return digest_bytes("\n".join(parts).encode())


class Cache:
    """Digests of files and results keyed by (path, digest), for one salt."""

    def __init__(self, root: Path, salt_inputs: Iterable[bytes], enabled: bool = True) -> None:
        self.enabled = enabled and os.environ.get("DRIVER_POLICY_NO_CACHE", "") in ("", "0")
        hasher = hashlib.blake2b(digest_size=16)
        hasher.update(code_signature().encode())
        for item in salt_inputs:
            hasher.update(len(item).to_bytes(8, "little"))
            hasher.update(item)
        self.salt = hasher.hexdigest()
        base = Path(os.environ.get("DRIVER_POLICY_CACHE_DIR") or root / CACHE_DIR)
        self.path = base / f"state-{self.salt}.pickle"
        self.stats: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self.results: dict[tuple[str, str], Any] = {}
        self.runs: dict[str, Any] = {}
        self._saved_ns = 0
        self._dirty = False
        if self.enabled:
            self._load()

    def _load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                state = pickle.load(handle)
            self._saved_ns = self.path.stat().st_mtime_ns
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                ValueError, TypeError):
            return  # no cache, or one from an incompatible version: start afresh
        if isinstance(state, dict) and state.get("format") == FORMAT:
            self.stats = state.get("stats", {})
            self.results = state.get("results", {})
            self.runs = state.get("runs", {})

    def digest(self, path: Path, rel: str) -> str | None:
        """The digest of a file's bytes; None when it cannot be read."""
        try:
            st = path.stat()
        except OSError:
            return None
        signature = _signature(st)
        known = self.stats.get(rel)
        if known is not None and known[0] == signature and \
                st.st_mtime_ns < self._saved_ns - RACY_NS:
            return known[1]
        try:
            digest = digest_bytes(path.read_bytes())
        except OSError:
            return None
        if self.enabled:
            self.stats[rel] = (signature, digest)
            self._dirty = True
        return digest

    def get(self, rel: str, digest: str) -> Any:
        return self.results.get((rel, digest)) if self.enabled else None

    def put(self, rel: str, digest: str, result: Any) -> None:
        if self.enabled:
            self.results[(rel, digest)] = result
            self._dirty = True

    def get_run(self, key: str) -> Any:
        return self.runs.get(key) if self.enabled else None

    def put_run(self, key: str, result: Any) -> None:
        if self.enabled:
            self.runs = {key: result}  # only the latest run is worth keeping
            self._dirty = True

    def save(self, live: set[str] | None = None) -> None:
        """Write the state atomically, dropping entries of files that no longer exist."""
        if not self.enabled or not self._dirty:
            return
        if live is not None:
            self.stats = {rel: v for rel, v in self.stats.items() if rel in live}
            self.results = {k: v for k, v in self.results.items()
                            if k[0] in live and self.stats.get(k[0], (None, None))[1] == k[1]}
        state = {"format": FORMAT, "stats": self.stats, "results": self.results,
                 "runs": self.runs}
        try:
            write_atomic(self.path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
            self._prune_other_salts()
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _prune_other_salts(self) -> None:
        for other in self.path.parent.glob("state-*.pickle"):
            if other != self.path:
                try:
                    other.unlink()
                except OSError:
                    pass
