"""The one door for repository files: the same answer whichever way a file is opened.

read_file opens a file below the root by walking its directories (each opened without
following a link) or, once a process has read many files, with Linux's openat2 (links
refused by the kernel). Both must give the same bytes and the same refusals.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.load import fsutil
from checker.load.fsutil import FileAccessError, read_file


@pytest.fixture(params=["walk", "openat2"])
def door(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    opener = fsutil._Openat2()
    if request.param == "walk":
        opener.usable = False
    else:
        if not opener.usable:
            pytest.skip("openat2 is not used on this platform")
        opener.AFTER = 0
    monkeypatch.setattr(fsutil, "_OPENAT2", opener)
    return str(request.param)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "drivers" / "net").mkdir(parents=True)
    (root / "drivers" / "net" / "e1000.yaml").write_bytes(b"name: e1000\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.yaml").write_bytes(b"secret\n")
    return root


def test_a_nested_file_is_read_whole(door: str, tree: Path) -> None:
    path = tree / "drivers" / "net" / "e1000.yaml"
    assert read_file(path, "drivers/net/e1000.yaml", root=tree) == b"name: e1000\n"


def test_a_file_larger_than_its_first_read_is_read_whole(door: str, tree: Path) -> None:
    path = tree / "drivers" / "net" / "big.yaml"
    data = bytes(range(256)) * 1000  # more than one read of 64 KiB after the first
    path.write_bytes(data)
    assert read_file(path, "drivers/net/big.yaml", root=tree) == data


def test_error_a_linked_directory_on_the_way_is_not_followed(door: str, tree: Path) -> None:
    (tree / "drivers" / "evil").symlink_to(tree.parent / "outside")
    with pytest.raises(FileAccessError) as caught:
        read_file(tree / "drivers" / "evil" / "secret.yaml", "drivers/evil/secret.yaml",
                  root=tree)
    assert str(caught.value) == ("drivers/evil/secret.yaml: cannot read file: it is a "
                                 "symbolic link (repository files are never read through links)")


def test_error_a_linked_file_is_not_followed(door: str, tree: Path) -> None:
    (tree / "drivers" / "net" / "evil.yaml").symlink_to(tree.parent / "outside" / "secret.yaml")
    with pytest.raises(FileAccessError) as caught:
        read_file(tree / "drivers" / "net" / "evil.yaml", "drivers/net/evil.yaml", root=tree)
    assert "symbolic link" in str(caught.value)


def test_error_a_fifo_is_refused_without_blocking(door: str, tree: Path) -> None:
    os.mkfifo(tree / "drivers" / "net" / "pipe.yaml")
    with pytest.raises(FileAccessError) as caught:
        read_file(tree / "drivers" / "net" / "pipe.yaml", "drivers/net/pipe.yaml", root=tree)
    assert str(caught.value) == ("drivers/net/pipe.yaml: cannot read file: it is a FIFO, "
                                 "not a regular file")


def test_error_a_missing_file(door: str, tree: Path) -> None:
    with pytest.raises(FileAccessError) as caught:
        read_file(tree / "drivers" / "net" / "gone.yaml", "drivers/net/gone.yaml", root=tree)
    assert str(caught.value) == ("drivers/net/gone.yaml: cannot read file: No such file or "
                                 "directory")


def test_error_a_file_over_the_limit(door: str, tree: Path) -> None:
    with pytest.raises(FileAccessError) as caught:
        read_file(tree / "drivers" / "net" / "e1000.yaml", "drivers/net/e1000.yaml",
                  root=tree, limit=4)
    assert str(caught.value) == ("drivers/net/e1000.yaml: file is 12 bytes; the limit is 4 "
                                 "bytes")


def outcome(read: Callable[[], bytes]) -> bytes | str:
    try:
        return read()
    except FileAccessError as exc:
        return f"refused: {exc}"


@pytest.mark.parametrize("rel", [
    "drivers/net/e1000.yaml", "drivers/net/evil.yaml", "drivers/evil/secret.yaml",
    "drivers/net/pipe.yaml", "drivers/net/gone.yaml", "drivers/net", "drivers//net/e1000.yaml",
    "./drivers/net/e1000.yaml", "drivers/../drivers/net/e1000.yaml", "../outside/secret.yaml",
    "drivers/net/e1000.yaml/", "",
])
@pytest.mark.parametrize("display", ["shown", None])
def test_read_below_reads_and_refuses_what_read_file_does(
    door: str, tree: Path, rel: str, display: str | None
) -> None:
    """`read_below(root, rel)` is `read_file(root / rel, root=root)`, message for message."""
    from checker.load.fsutil import read_below

    (tree / "drivers" / "net" / "evil.yaml").symlink_to(tree.parent / "outside" / "secret.yaml")
    (tree / "drivers" / "evil").symlink_to(tree.parent / "outside")
    os.mkfifo(tree / "drivers" / "net" / "pipe.yaml")
    for limit in (4, 1000):
        expected = outcome(functools.partial(read_file, tree / rel, display, root=tree,
                                             limit=limit))
        assert outcome(functools.partial(read_below, tree, rel, display, limit=limit)) == expected


def test_openat2_is_used_after_many_reads(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opener = fsutil._Openat2()
    if not opener.usable:
        pytest.skip("openat2 is not used on this platform")
    monkeypatch.setattr(fsutil, "_OPENAT2", opener)
    path = tree / "drivers" / "net" / "e1000.yaml"
    for _ in range(opener.AFTER + 1):
        assert read_file(path, "drivers/net/e1000.yaml", root=tree) == b"name: e1000\n"
    assert opener.call is not None
    if not opener.usable:
        pytest.skip("this kernel refuses openat2 (before Linux 5.6, or filtered)")


def _scanned(root: Path, top: str, suffixes: tuple[str, ...]) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for rel, entry in fsutil.scan_files(root, top):
        if rel.endswith(suffixes):
            st = entry.stat(follow_symlinks=False)
            out.append((rel, (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns,
                              st.st_ctime_ns)))
    return out


def test_stat_files_lists_what_scan_files_lists(tree: Path, tmp_path: Path) -> None:
    drivers = tree / "drivers"
    (drivers / "net" / "deep" / "er").mkdir(parents=True)
    (drivers / "net" / "deep" / "er" / "x.yaml").write_bytes(b"a: 1\n")
    (drivers / "net" / "notes.txt").write_bytes(b"not listed\n")
    (drivers / "link.yaml").symlink_to(drivers / "net" / "e1000.yaml")  # listed, not read
    (drivers / "outside").symlink_to(tmp_path / "outside")  # a directory: not entered
    os.mkfifo(drivers / "pipe.yaml")
    listed = fsutil.stat_files(tree, "drivers", (".yaml",))
    assert sorted(listed) == sorted(_scanned(tree, "drivers", (".yaml",)))
    assert sorted(rel for rel, _ in listed) == [
        "drivers/link.yaml", "drivers/net/deep/er/x.yaml", "drivers/net/e1000.yaml",
        "drivers/pipe.yaml"]
    assert fsutil.stat_files(tree, "missing", (".yaml",)) == []


def test_error_stat_files_refuses_a_name_that_is_not_utf8(tree: Path) -> None:
    bad = os.fsencode(tree / "drivers" / "net") + b"/b\xffd.txt"
    with open(bad, "wb"):
        pass
    with pytest.raises(FileAccessError) as raised:
        fsutil.stat_files(tree, "drivers", (".yaml",))
    assert (raised.value.display, raised.value.reason) == (
        "drivers/net/b\\xffd.txt", "file name is not valid UTF-8; rename the file")
    with pytest.raises(FileAccessError) as scanned:
        list(fsutil.scan_files(tree, "drivers"))
    assert scanned.value.display == raised.value.display
