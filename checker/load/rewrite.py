"""Read-modify-write of repository files: an edit replaces a file only while the file
still holds the bytes the edit was made from, and a new file is created only where
nothing is. `record`, `collect` and `new` write driver files through here, so a command
that finishes in the meantime (a `collect` while `record` runs) is never silently undone.

`replace_if_unchanged(path, data, expected)`:

1. the new bytes go to a temporary file beside the target, flushed to disk, with the
   target's mode (the test hook DRIVER_POLICY_TEST_PAUSE_WRITE pauses here);
2. the lock of the target's directory is taken: an exclusive `flock` on the directory
   itself (no lock file is left behind), which every driver-policy process editing a
   file in that directory takes, held for one read and one rename;
3. the target is read again through the one door (checker.load.fsutil.read_file); if it
   no longer holds `expected`, the temporary file is removed and FileChanged raised;
4. the temporary file is renamed over the target, and the lock released.

`create_new` does the same with a hard link in place of the rename, which fails if
anything appeared at the target meanwhile. Callers keep the file's own line endings
(the edits splice text; they never re-serialise a file). A writer that takes no lock
(an editor) changing the file between steps 3 and 4 is not detected.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from checker.load.fsutil import (
    FileAccessError,
    mode_for,
    read_optional,
    write_durably,
    write_error,
)

EXISTS = "already exists; not overwritten"
LOCK_WAIT = 30.0  # seconds a writer waits for another one's lock before giving up
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileChanged(FileAccessError):
    """The file no longer holds the bytes an edit was made from; nothing was written."""


@contextlib.contextmanager
def directory_lock(directory: Path, display: str) -> Iterator[None]:
    """Hold the exclusive lock of `directory` (see the module): a FileAccessError naming
    `display` when the directory cannot be opened or another process keeps the lock
    longer than LOCK_WAIT."""
    try:
        fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        raise write_error(display, exc) from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise write_error(display, exc) from None
                if time.monotonic() > deadline:
                    raise FileAccessError(display, "cannot write file: another process has "
                                          f"held its directory's lock for {LOCK_WAIT:g} s") \
                        from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # releases the lock


def _temporary(path: Path, data: bytes, display: str) -> str:
    """A flushed temporary file beside `path` holding `data`, with `path`'s mode."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(display, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write_durably(handle, data)
        os.chmod(tmp, mode_for(path))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_error(display, exc) from None
        raise
    return tmp


def replace_if_unchanged(path: Path, data: bytes, expected: bytes | None, *, display: str,
                         root: Path | None = None) -> bool:
    """Replace `path` with `data` if it still holds `expected` (see the module); False
    when it already holds `data`. `expected` None: whatever it holds (still atomic)."""
    current = read_optional(path, display, root=root)
    if current == data:
        return False
    if expected is not None and current != expected:
        raise FileChanged(display, "changed since it was read; not written")
    tmp = _temporary(path, data, display)
    try:
        with directory_lock(path.parent, display):
            if expected is not None and read_optional(path, display, root=root) != expected:
                raise FileChanged(display, "changed since it was read; not written")
            os.replace(tmp, path)
    except OSError as exc:
        raise write_error(display, exc) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return True


def create_new(path: Path, data: bytes, *, display: str) -> None:
    """Create `path` holding `data`; a FileAccessError, nothing written, when anything
    (a file, a link, a directory) is at `path` already or appears there meanwhile."""
    tmp = _temporary(path, data, display)
    try:
        with directory_lock(path.parent, display):
            os.link(tmp, path)  # never replaces: fails if anything is there
    except FileExistsError:
        raise FileAccessError(display, EXISTS) from None
    except OSError as exc:
        raise write_error(display, exc) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
