"""The one door for repository files: reading without following links, and atomic writes.

Every read of a file that a pull request can change (driver files, policies, fixtures,
templates, cards, generated schema files, cache files) goes through `read_file`:

- the file itself must not be a symbolic link (it is opened with O_NOFOLLOW), and when
  the repository root is given, no directory between the root and the file may be one
  either (each is opened with O_NOFOLLOW relative to the one above): a link could lead
  out of the repository, to `.git/config`, `/dev/zero` or another user's file;
- it must be a regular file (`fstat`, after a non-blocking open, so a FIFO cannot block
  the process), and no larger than the caller's limit, checked before reading;
- every failure is a FileAccessError (a CheckerError: exit 1) naming the file.

For tests only, the environment variable DRIVER_POLICY_TEST_PAUSE_WRITE (seconds) makes
every durable write pause halfway through writing its temporary file, so that a test can
kill the process at that point and check that the target still holds its old bytes
(tests/test_faults.py). It is read on every write and does nothing when unset.
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.core.environment import PAUSE_WRITE, pause_seconds
from checker.core.errors import CheckerError

PAUSE_ENV = PAUSE_WRITE
_UMASK_LOCK = _thread.allocate_lock()  # threading.Lock, without importing threading
# The largest repository file read: evidence and policies have their own, smaller limit
# (checker.load.document.MAX_BYTES); templates, cards and cache files are bounded by this one.
MAX_FILE_BYTES = 64 * 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileAccessError(CheckerError):
    """A repository file that cannot be read or written safely; names the file."""

    def __init__(self, display: str, message: str) -> None:
        super().__init__(f"{display}: {message}")
        self.display = display
        self.reason = message


def describe(exc: OSError) -> str:
    """An OSError as a short reason (no path: the caller names the file)."""
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link (repository files are never read through links)"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror or str(exc)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _split(rel: str) -> list[str]:
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(rel)
    return parts


class _Openat2:
    """Linux's openat2(2) with RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH: the kernel refuses
    a link in any component (and any way out of the directory) in one call, where the
    walk below opens and closes every directory. Used only once a process has read many
    files (ctypes costs an import), and only to succeed: any failure, a link included,
    takes the walk, which gives the reason. Not available: the walk, always."""

    NUMBER = 437  # the same on every architecture with the generic syscall table
    RESOLVE = 0x04 | 0x08  # RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH
    AFTER = 64  # reads before it is set up

    def __init__(self) -> None:
        self.reads = 0
        self.call: Any = None
        self.usable = sys.platform == "linux" and os.uname().machine in ("x86_64", "aarch64")

    def open(self, directory: int, rel: str) -> int | None:
        self.reads += 1
        if not self.usable or self.reads < self.AFTER:
            return None
        if self.call is None:
            self._set_up()
        fd: int = self.call(self.NUMBER, directory, os.fsencode(rel), self.how, self.size)
        if fd >= 0:
            return fd
        import ctypes

        if ctypes.get_errno() in (errno.ENOSYS, errno.EPERM, errno.E2BIG, errno.EINVAL):
            self.usable = False  # not this kernel, or not allowed here
        return None

    def _set_up(self) -> None:
        import ctypes

        class OpenHow(ctypes.Structure):
            _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                        ("resolve", ctypes.c_uint64)]

        call = ctypes.CDLL(None, use_errno=True).syscall
        call.restype = ctypes.c_long
        self.how = ctypes.byref(OpenHow(os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, 0,
                                        self.RESOLVE))
        self.size = ctypes.sizeof(OpenHow)
        self.call = call


_OPENAT2 = _Openat2()


def _open_below(root: Path, rel: str) -> int:
    """Open root/rel for reading without following a link in any component below root."""
    parts = _split(rel)
    directory = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        if len(parts) > 1:
            fd = _OPENAT2.open(directory, rel)
            if fd is not None:
                return fd
        for part in parts[:-1]:
            try:
                inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC,
                                dir_fd=directory)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    st = os.stat(part, dir_fd=directory, follow_symlinks=False)
                    if stat.S_ISLNK(st.st_mode):
                        raise OSError(errno.ELOOP, "link") from None
                raise
            os.close(directory)
            directory = inner
        return os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC,
                       dir_fd=directory)
    finally:
        os.close(directory)


def _relative_below(root: Path, path: Path) -> str | None:
    top, full = os.fspath(root), os.fspath(path)
    if isinstance(root, Path) and isinstance(path, Path) and full.startswith(top + os.sep):
        rel = full[len(top) + 1 :].replace(os.sep, "/")  # what relative_to gives, cheaper
    else:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            return None
    try:
        _split(rel)
    except ValueError:
        return None
    return rel


def read_file(path: Path, display: str | None = None, *, root: Path | None = None,
              limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file that is not a symbolic link (nor, below `root`, is any
    directory on its way), at most `limit` bytes; a FileAccessError otherwise."""
    shown = display if display is not None else str(path)
    rel = _relative_below(root, path) if root is not None else None
    return _read(path, root, rel, shown, limit)


def read_below(root: Path, rel: str, display: str | None = None, *,
               limit: int = MAX_FILE_BYTES) -> bytes:
    """read_file(root / rel, display, root=root), for a path given relative to `root`
    (a listed one): the same checks, without making a Path of it and taking it apart
    again (which cost about as much as the read, three files a driver)."""
    try:
        _split(rel)  # what _relative_below requires of the relative path it finds
    except ValueError:
        return read_file(root / rel, display, root=root, limit=limit)
    path = os.path.join(root, rel)  # str(root / rel), for this relative path
    return _read(path, root, rel, display if display is not None else path, limit)


def _read(path: Path | str, root: Path | None, rel: str | None, shown: str,
          limit: int) -> bytes:
    try:
        if rel is not None and root is not None:
            fd = _open_below(root, rel)
        else:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except OSError as exc:
        raise FileAccessError(shown, f"cannot read file: {describe(exc)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileAccessError(shown, f"cannot read file: it is {_kind(st.st_mode)}, "
                                  "not a regular file")
        if st.st_size > limit:
            raise FileAccessError(shown, f"file is {st.st_size} bytes; the limit is {limit} "
                                  "bytes")
        chunks = []
        size = 0
        # read to the end, but never more than the limit (the file may grow); the first
        # read asks for the size fstat gave and one byte more: a buffer of the limit's
        # size would be allocated (and mapped) for every small file
        want = st.st_size + 1
        while True:
            chunk = os.read(fd, min(want, limit + 1 - size))
            want = 1 << 16
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileAccessError(shown, f"file is over {limit} bytes; the limit is "
                                      f"{limit} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise FileAccessError(shown, f"cannot read file: {describe(exc)}") from None
    finally:
        os.close(fd)


def read_text(path: Path, display: str | None = None, *, root: Path | None = None,
              limit: int = MAX_FILE_BYTES) -> str:
    """read_file, decoded as UTF-8 (a FileAccessError when it is not)."""
    shown = display if display is not None else str(path)
    data = read_file(path, shown, root=root, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileAccessError(shown, f"file is not valid UTF-8 (byte {exc.start})") from None


def read_optional(path: Path, display: str | None = None, *, root: Path | None = None,
                  limit: int = MAX_FILE_BYTES) -> bytes | None:
    """read_file, or None when nothing is at `path` (a link or a FIFO there is an error)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return None
        raise FileAccessError(display or str(path), f"cannot read file: {describe(exc)}") \
            from None
    return read_file(path, display, root=root, limit=limit)


def is_regular(path: Path) -> bool:
    """True for a regular file that is not a link (never follows one, never raises)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_if_regular(root: Path, rel: str) -> bytes | None:
    """The bytes of root/rel when it is a regular file that can be read, else None (a
    generated file that is missing, a link or unreadable is written again, not an error)."""
    if not is_regular(root / rel):
        return None
    try:
        return read_file(root / rel, rel, root=root)
    except (OSError, FileAccessError):
        return None


def walk_files(root: Path, top: str, display: str | None = None) -> Iterator[str]:
    """Repository-relative paths of every entry (files, links, FIFOs: not directories)
    under root/top, sorted per directory; links to directories are not followed. A
    directory that cannot be listed is a FileAccessError: skipping it would make a
    command say ok about files it never saw (and `render` delete their cards)."""
    return (rel for rel, _entry in scan_files(root, top))


def scan_files(root: Path, top: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """`walk_files` with each entry's directory entry, whose `stat(follow_symlinks=False)`
    costs no path lookup from the root (a warm `check` stats every file it lists)."""
    for prefix, files in _directories(root, top):
        for entry in sorted(files, key=_name):
            rel = prefix + entry.name
            _refuse_non_utf8(rel)
            yield rel, entry


def stat_files(root: Path, top: str, suffixes: tuple[str, ...]
               ) -> list[tuple[str, tuple[int, int, int, int, int] | None]]:
    """`scan_files` restricted to names ending in `suffixes`, each with its stat
    signature (mode, inode, size, mtime ns, ctime ns; None when it vanished meanwhile),
    unsorted. The same walk and the same refusals in the same order, with no generator
    and no check per file: every warm `check` and one-file `validate` lists the whole
    repository (9,800 files for Linux), where those cost more than the stat calls."""
    out: list[tuple[str, tuple[int, int, int, int, int] | None]] = []
    for prefix, files in _directories(root, top):
        if not _is_utf8(prefix + "/".join(entry.name for entry in files)):
            for entry in sorted(files, key=_name):  # the first, as scan_files finds it
                _refuse_non_utf8(prefix + entry.name)
        for entry in files:
            name = entry.name
            if name.endswith(suffixes):
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    out.append((prefix + name, None))
                    continue
                out.append((prefix + name, (st.st_mode, st.st_ino, st.st_size,
                                            st.st_mtime_ns, st.st_ctime_ns)))
    return out


def _directories(root: Path, top: str) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
    """Every directory under root/top, depth first (a directory's files before its
    subdirectories, these by name): its repository-relative prefix ("drivers/net/") and
    its entries that are not directories (files, links, FIFOs), unsorted. Links to
    directories are not followed out of the repository. A directory that cannot be
    listed is a FileAccessError."""
    base = str(root)
    skip = len(base) + 1
    start = os.path.join(base, top)
    if os.path.islink(start) or not os.path.isdir(start):
        return
    pending = [start]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            where = exc.filename[skip:] if isinstance(exc.filename, str) else top
            raise FileAccessError(where.replace(os.sep, "/"),
                                  f"cannot list directory: {describe(exc)}") from None
        files: list[os.DirEntry[str]] = []
        dirs: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # as os.walk: a link to a directory is one
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        yield directory[skip:].replace(os.sep, "/") + "/", files
        if dirs:
            pending += [e.path for e in sorted(dirs, key=_name, reverse=True)
                        if not e.is_symlink()]


def _refuse_non_utf8(rel: str) -> None:
    if not _is_utf8(rel):
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise FileAccessError(shown, "file name is not valid UTF-8; rename the file")


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def write_error(display: str, exc: OSError) -> FileAccessError:
    return FileAccessError(display, f"cannot write file: {describe(exc)}")

def write_atomic(path: Path, data: bytes, *, durable: bool = True,
                 display: str | None = None) -> None:
    """Readers see the old bytes or the new bytes, never a partial file.

    With `display` (the file's name as the user knows it), a failure (disk full, a
    read-only directory, a file where a directory should be) is a FileAccessError naming
    it; without, the OSError is raised as it is (the cache ignores its own failures).

    `durable` is for files people commit: the data reaches the disk before the rename,
    and the file keeps its mode (a new one gets what an ordinary write would give it,
    not the temporary file's private 0600). A cache may skip that: a crash then leaves
    an unreadable cache, which is ignored, and its files stay private.
    """
    if display is None:
        _write_atomic(path, data, durable)
        return
    try:
        _write_atomic(path, data, durable)
    except OSError as exc:
        if exc.errno == errno.EEXIST or isinstance(exc, (NotADirectoryError, FileExistsError)):
            raise FileAccessError(display, "cannot write file: a directory on its way is a "
                                  "file") from None
        raise write_error(display, exc) from None


def _write_atomic(path: Path, data: bytes, durable: bool) -> None:
    import tempfile  # here: a one-file `validate` usually writes nothing

    for attempt in range(3):  # another process may remove the empty directory meanwhile
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                       dir=path.parent)
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        with os.fdopen(fd, "wb") as handle:
            if durable:
                write_durably(handle, data)
                os.chmod(tmp, mode_for(path))
            else:
                handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_durably(handle: Any, data: bytes) -> None:
    """Write, flush and fsync; with the test hook set, pause halfway (see the module)."""
    pause = pause_seconds()
    if pause:
        handle.write(data[: len(data) // 2])
        handle.flush()
        time.sleep(pause)
        data = data[len(data) // 2 :]
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def mode_for(path: Path) -> int:
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
