"""checker.load.codecache: generated code compiled once per user, never loaded unverified."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.load import codecache

SOURCE = "def answer():\n    return 42\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("DRIVER_POLICY_NO_CACHE", raising=False)
    return tmp_path / "driver-policy" / "code"


def run(code: object) -> object:
    namespace: dict[str, object] = {}
    exec(code, namespace)  # type: ignore[arg-type]
    return namespace["answer"]()  # type: ignore[operator]


def only_file(directory: Path) -> Path:
    files = list(directory.iterdir())
    assert len(files) == 1
    return files[0]


def test_the_second_compile_is_the_stored_one(home: Path) -> None:
    first = codecache.compiled(SOURCE, "test")
    stored = only_file(home)
    assert stored.name.startswith("test-") and stored.name.endswith(".code")
    before = stored.stat().st_mtime_ns
    second = codecache.compiled(SOURCE, "test")
    assert second == first and run(second) == 42
    assert stored.stat().st_mtime_ns == before  # read, not written again


def test_another_source_is_another_entry(home: Path) -> None:
    codecache.compiled(SOURCE, "test")
    other = codecache.compiled(SOURCE.replace("42", "43"), "test")
    assert run(other) == 43
    assert len(list(home.iterdir())) == 2


def test_a_file_not_written_by_this_user_is_never_loaded(home: Path) -> None:
    codecache.compiled(SOURCE, "test")
    stored = only_file(home)
    # a planted entry: the same key, code that does something else, an invalid tag
    planted = compile("def answer():\n    return 'planted'\n", "<x>", "exec")
    import marshal

    blob = stored.read_bytes()
    key = blob[32:64]
    stored.write_bytes(b"\0" * 32 + key + marshal.dumps(planted))
    assert run(codecache.compiled(SOURCE, "test")) == 42
    assert stored.read_bytes()[:32] != b"\0" * 32  # replaced by a verified entry


def test_a_damaged_entry_is_compiled_again(home: Path) -> None:
    codecache.compiled(SOURCE, "test")
    stored = only_file(home)
    stored.write_bytes(stored.read_bytes()[:40])
    assert run(codecache.compiled(SOURCE, "test")) == 42


def test_a_link_in_its_place_is_a_miss(home: Path, tmp_path: Path) -> None:
    codecache.compiled(SOURCE, "test")
    stored = only_file(home)
    target = tmp_path / "elsewhere"
    target.write_bytes(stored.read_bytes())
    stored.unlink()
    stored.symlink_to(target)
    assert run(codecache.compiled(SOURCE, "test")) == 42


def test_no_cache_writes_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIVER_POLICY_NO_CACHE", "1")
    assert run(codecache.compiled(SOURCE, "test")) == 42
    assert not home.exists()


def test_an_unwritable_cache_costs_time_not_an_error(
        home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert run(codecache.compiled(SOURCE, "test")) == 42


def test_only_the_newest_entries_are_kept(home: Path) -> None:
    for n in range(codecache.KEEP + 3):
        codecache.compiled(SOURCE.replace("42", str(n)), "test")
        newest = max(home.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        os.utime(newest, ns=(n * 10**9, n * 10**9))  # ordered even on a coarse clock
    assert len(list(home.iterdir())) == codecache.KEEP
