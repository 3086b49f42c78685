"""Compiled Python code generated at run time, kept between processes.

The schema pre-checks (checker.validate.fastcheck) are Python source generated from the
schemas and compiled: 17 ms of the 0.2 s a one-file `validate` takes, every process.
The code object is kept in the per-user cache (never in a repository, where a pull
request could plant a file), keyed by the digest of the source and the interpreter's
bytecode version, and authenticated like every cache file: a code object is code, so
a file that does not verify under this user's key is never loaded. One file per source;
the oldest go once there are more than KEEP (a developer's edits to a schema add one
each). `--no-cache` bypasses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType

from checker.core.environment import NO_CACHE, flag

_LIMIT = 16 << 20  # a cache file larger than this is not one of ours
KEEP = 32


def code_directory() -> Path | None:
    if flag(NO_CACHE):
        return None
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "driver-policy" / "code"


def compiled(source: str, label: str) -> CodeType:
    """`compile(source, f"<{label}>", "exec")`, from the cache when it holds this source."""
    key = hashlib.blake2b(MAGIC_NUMBER + source.encode(), digest_size=16).hexdigest()
    directory = code_directory()
    path = directory / f"{label}-{key}.code" if directory is not None else None
    if path is not None:
        found = _load(path, key)
        if found is not None:
            return found
    code = compile(source, f"<{label}>", "exec")
    if path is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written costs time
            _store(path, key, code)
    return code


def _load(path: Path, key: str) -> CodeType | None:
    import hmac

    from checker.core.errors import CheckerError
    from checker.load.cache import TAG_BYTES, tag
    from checker.load.fsutil import read_optional

    try:  # not through a link, not a FIFO: a planted one is a miss, never a hang
        blob = read_optional(path, limit=_LIMIT)
    except CheckerError:
        return None
    if blob is None or len(blob) < TAG_BYTES + 32:
        return None
    payload = blob[TAG_BYTES:]
    if not hmac.compare_digest(blob[:TAG_BYTES], tag(payload)) or payload[:32] != key.encode():
        return None  # not written by this user's driver-policy, or another source
    try:
        code = marshal.loads(payload[32:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _store(path: Path, key: str, code: CodeType) -> None:
    from checker.load.cache import tag
    from checker.load.fsutil import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = key.encode() + marshal.dumps(code)
    write_atomic(path, tag(payload) + payload, durable=False)
    _prune(path.parent)


def _prune(directory: Path) -> None:
    """Keep the KEEP newest entries."""
    entries = []
    with os.scandir(directory) as listing:
        for entry in listing:
            if entry.name.endswith(".code"):
                with contextlib.suppress(OSError):
                    entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    for _mtime, name in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(name)
