"""Atomic file writes: a temporary file in the same directory, then rename.

For tests only, the environment variable DRIVER_POLICY_TEST_PAUSE_WRITE (seconds) makes
every durable write pause halfway through writing its temporary file, so that a test can
kill the process at that point and check that the target still holds its old bytes
(tests/test_faults.py). It is read on every write and does nothing when unset.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
import time
from pathlib import Path

PAUSE_ENV = "DRIVER_POLICY_TEST_PAUSE_WRITE"
_UMASK_LOCK = threading.Lock()


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Readers see the old bytes or the new bytes, never a partial file.

    `durable` is for files people commit: the data reaches the disk before the rename,
    and the file keeps its mode (a new one gets what an ordinary write would give it,
    not the temporary file's private 0600). A cache may skip that: a crash then leaves
    an unreadable cache, which is ignored, and its files stay private.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if durable:
                pause = os.environ.get(PAUSE_ENV)
                if pause:
                    handle.write(data[: len(data) // 2])
                    handle.flush()
                    time.sleep(float(pause))
                    data = data[len(data) // 2 :]
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                os.chmod(tmp, _mode_for(path))
            else:
                handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced (not followed if it is a link), or the mode a
    new file gets from open() under the process's umask."""
    try:
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        pass
    with _UMASK_LOCK:  # the umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask
