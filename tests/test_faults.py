"""Faults: processes killed mid-write, checks running at once, a damaged cache, collect's
round trip.

- `render` killed at any point leaves every card either old or new, never partial. The
  write path pauses halfway through each file when DRIVER_POLICY_TEST_PAUSE_WRITE is set
  (checker/load/fsutil.py, for tests only), so a test can kill it exactly there; other tests
  kill it, and `collect`, after varying delays without any hook.
- several `check` processes at once share the cache and print what an uncached check
  prints; a truncated, garbled or foreign cache file is ignored.
- collect's writer (checker/collect/write.py) keeps every byte that is not its own.

Processes are killed with SIGKILL: no handler, no cleanup, as in a crash. No test
asserts a time: the delays only spread the kill points over a run.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Run, env_count
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from strategies import driver_documents, to_yaml

from checker.load.fsutil import PAUSE_ENV, write_atomic

PYTHON = [sys.executable, "-m", "checker"]
LOOPS = env_count("FAULT_LOOPS", 1)  # more rounds (docs/security.md)
# Tests that start, kill and race real processes: `pytest -m slow` (CI runs them).
slow = pytest.mark.slow


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("DRIVER_POLICY_", "GIT_"))}
    out.update(extra)
    return out


def managed(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "cards").rglob("*")) if p.suffix in (".md", ".svg")}


def temporaries(root: Path) -> list[Path]:
    return sorted(root.rglob(".*.tmp"))


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


# -- write_atomic -------------------------------------------------------------------------


def test_write_atomic_killed_halfway_leaves_the_old_bytes(tmp_path: Path) -> None:
    target = tmp_path / "card.md"
    target.write_bytes(b"old\n" * 1000)
    code = ("import sys; from pathlib import Path; from checker.load.fsutil import write_atomic; "
            "write_atomic(Path(sys.argv[1]), b'new\\n' * 1000)")
    process = subprocess.Popen([sys.executable, "-c", code, str(target)], cwd=ROOT,
                               env=env(**{PAUSE_ENV: "30"}))
    while not temporaries(tmp_path):  # the temporary file appears, half written
        assert process.poll() is None
        time.sleep(0.005)
    while temporaries(tmp_path)[0].stat().st_size < 2000:
        time.sleep(0.005)
    kill(process)
    assert target.read_bytes() == b"old\n" * 1000
    [left] = temporaries(tmp_path)  # a crash leaves the hidden temporary, never the target
    assert left.name.startswith(".card.md.") and left.read_bytes() == b"new\n" * 500


def test_write_atomic_gives_new_files_the_usual_mode_and_keeps_old_modes(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.md", b"x")
        kept = tmp_path / "kept.md"
        kept.write_bytes(b"old")
        kept.chmod(0o604)
        write_atomic(kept, b"y")
        write_atomic(tmp_path / "cache.bin", b"z", durable=False)
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o640
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604
    assert stat.S_IMODE((tmp_path / "cache.bin").stat().st_mode) == 0o600  # a private cache
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.bin", "kept.md", "new.md"]


# -- render ---------------------------------------------------------------------------------


@pytest.fixture
def changed_cards(repo: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A repository whose every card is stale (the template changed): the cards before,
    and the cards a complete render writes (from a copy)."""
    before = managed(repo)
    template = repo / "templates/card.md.j2"
    template.write_text(template.read_text() + "\nRendered after a change.\n")
    index = repo / "templates/index.md.j2"
    index.write_text(index.read_text() + "\nIndexed after a change.\n")
    scratch = repo.parent / "reference"
    subprocess.run(["cp", "-r", str(repo), str(scratch)], check=True)
    done = subprocess.run([*PYTHON, "-C", str(scratch), "render"], cwd=ROOT, env=env(),
                          capture_output=True)
    assert done.returncode == 0, done.stderr
    after = managed(scratch)
    assert set(after) == set(before) and all(after[k] != before[k] for k in after
                                             if k.endswith(".md"))
    return before, after


def assert_old_or_new(root: Path, before: dict[str, bytes], after: dict[str, bytes]) -> int:
    """Every card holds its old or its new bytes; the number of new ones."""
    now = managed(root)
    assert set(now) == set(before)
    for rel, data in now.items():
        assert data in (before[rel], after[rel]), f"{rel} is neither old nor new"
    return sum(1 for rel, data in now.items() if data == after[rel] != before[rel])


def _restore(repo: Path, before: dict[str, bytes]) -> None:
    for leftover in temporaries(repo):
        leftover.unlink()
    for rel, data in before.items():
        (repo / rel).write_bytes(data)


def _counts_while_writing(repo: Path, before: dict[str, bytes], after: dict[str, bytes]
                          ) -> set[int]:
    """The numbers of new cards seen while a temporary file existed, in one whole render."""
    _restore(repo, before)
    process = subprocess.Popen([*PYTHON, "-C", str(repo), "render"], cwd=ROOT,
                               env=env(**{PAUSE_ENV: "0.3"}), stdout=subprocess.DEVNULL)
    seen: set[int] = set()
    while process.poll() is None:
        count = assert_old_or_new(repo, before, after)
        if temporaries(repo) and process.poll() is None:
            seen.add(count)
        time.sleep(0.005)
    assert process.returncode == 0
    return seen


@slow
def test_render_killed_while_writing_each_card_leaves_old_or_new(
    repo: Path, changed_cards: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    before, after = changed_cards
    # Several cards are written at once (each waits for the disk), so the count of new
    # ones moves in steps: the points are counts seen while a card was being written,
    # in one render watched to its end.
    seen = _counts_while_writing(repo, before, after)
    assert seen, "no card was seen being written"
    points = sorted(seen) if LOOPS > 1 else sorted({min(seen), max(seen)})
    for written in points:  # kill while writing, once at least `written` cards are new
        # Which cards are written together depends on the scheduler: a count seen once
        # may be passed over in the next render. It is tried again; after five renders
        # that passed it over, the largest count seen while writing in the last one is
        # the aim (still a kill while writing, late in the render).
        target, killed = written, False
        for attempt in range(10):
            _restore(repo, before)
            process = subprocess.Popen([*PYTHON, "-C", str(repo), "render"], cwd=ROOT,
                                       env=env(**{PAUSE_ENV: "0.3"}),
                                       stdout=subprocess.DEVNULL)
            largest = -1  # the most new cards seen while a temporary existed
            while process.poll() is None:
                new = assert_old_or_new(repo, before, after)
                if temporaries(repo):
                    largest = max(largest, new)
                    if new >= target:
                        break
                time.sleep(0.005)
            kill(process)
            new = assert_old_or_new(repo, before, after)  # whenever it was killed
            partial = temporaries(repo)
            if partial and new >= target:  # killed while writing (not just after)
                killed = True
                break
            if attempt >= 4 and largest >= 0:
                target = min(target, largest)
        assert killed, f"no render was killed while writing (aim: {written} cards new)"
        assert all(p.suffix == ".tmp" for p in partial)  # never a .md or .svg
    done = subprocess.run([*PYTHON, "-C", str(repo), "render"], cwd=ROOT, env=env(),
                          capture_output=True)
    assert done.returncode == 0
    assert managed(repo) == after
    check = subprocess.run([*PYTHON, "-C", str(repo), "render", "--check"], cwd=ROOT, env=env(),
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout  # the leftover temporary is not a card


@slow
def test_render_killed_after_varying_delays_leaves_old_or_new(
    repo: Path, changed_cards: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    before, after = changed_cards
    rng = random.Random(7)
    started = time.monotonic()
    subprocess.run([*PYTHON, "-C", str(repo), "render", "--check"], cwd=ROOT, env=env(),
                   capture_output=True)
    duration = time.monotonic() - started  # about what a render takes on this machine
    for _ in range(3 * LOOPS):
        for rel, data in before.items():
            (repo / rel).write_bytes(data)
        process = subprocess.Popen([*PYTHON, "-C", str(repo), "render"], cwd=ROOT, env=env(),
                                   stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.2) * duration)
        kill(process)
        assert_old_or_new(repo, before, after)


# -- collect --------------------------------------------------------------------------------


def collect_repos(tmp_path: Path, drivers: int) -> tuple[Path, Path]:
    from test_collect_cli import DRIVER, build_kernel, make_policy_repo

    kernel = tmp_path / "linux"
    build_kernel(kernel)
    policy = make_policy_repo(tmp_path / "policy")
    for number in range(drivers):
        text = DRIVER.replace("name: Foo", f"name: Foo {number}")
        (policy / "drivers/misc" / f"foo{number}.yaml").write_text(text)
    return kernel, policy


def driver_texts(policy: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((policy / "drivers").rglob("*.yaml"))}


@slow
def test_collect_killed_after_varying_delays_leaves_old_or_new(tmp_path: Path) -> None:
    kernel, policy = collect_repos(tmp_path, 40)
    before = driver_texts(policy)
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-r", str(policy), str(reference)], check=True)
    argv = [*PYTHON, "collect", "--kernel", str(kernel), "--window-end", "2025-01-05", "-j", "1"]
    started = time.monotonic()
    done = subprocess.run([*argv[:3], "-C", str(reference), *argv[3:]], cwd=ROOT, env=env(),
                          capture_output=True, text=True)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    after = driver_texts(reference)
    assert all(after[name] != before[name] for name in before)
    rng = random.Random(11)
    outcomes = set()
    for _ in range(4 * LOOPS):
        for name, data in before.items():
            (policy / "drivers/misc" / name).write_bytes(data)
        process = subprocess.Popen([*argv[:3], "-C", str(policy), *argv[3:]], cwd=ROOT,
                                   env=env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.1) * duration)
        kill(process)
        now = driver_texts(policy)
        assert set(now) == set(before)
        for name, data in now.items():
            assert data in (before[name], after[name]), f"{name} is neither old nor new"
        outcomes.add(sum(now[name] == after[name] for name in now))
    assert outcomes  # how many were new at each kill varies with the machine


# -- check: at once, and with a damaged cache ----------------------------------------------


def damage(repo: Path, rng: random.Random) -> None:
    """One or two edits a pull request might make."""
    ipoib = repo / "drivers/infiniband/ipoib.yaml"
    edits = [
        ("deployment: medium", "deployment: low"),
        ("deployment: medium", "deployment: lots"),
        ("  files: 12\n", "  files: -12\n"),
    ]
    old, new = rng.choice(edits)
    text = ipoib.read_text()
    if old in text:
        ipoib.write_text(text.replace(old, new, 1))
    if rng.random() < 0.5:
        (repo / "drivers/infiniband/copy.yaml").write_text(
            (repo / "drivers/infiniband/srpt.yaml").read_text())


def run_check(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PYTHON, "-C", str(repo), "check", "--today", "2026-11-21", *extra],
                          cwd=ROOT, env=env(), capture_output=True, text=True)


@slow
def test_checks_at_once_agree_with_an_uncached_check(repo: Path) -> None:
    rng = random.Random(3)
    for _ in range(2 * LOOPS):
        damage(repo, rng)
        expected = run_check(repo, "--no-cache")
        runs = [subprocess.Popen([*PYTHON, "-C", str(repo), "check", "--today", "2026-11-21",
                                  "--jobs", str(1 + n % 2)], cwd=ROOT, env=env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for n in range(4)]
        results = [(run.communicate(), run.returncode) for run in runs]
        for (out, err), code in results:
            assert (code, out, err) == (expected.returncode, expected.stdout, expected.stderr)
        again = run_check(repo)  # the cache the four left behind
        assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout)


def test_no_cache_lasts_one_command(
    repo: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --no-cache` run in a process that goes on (as here) leaves the cache on."""
    monkeypatch.delenv("DRIVER_POLICY_NO_CACHE", raising=False)
    assert cli("-C", str(repo), "check", "--no-cache", "--today", "2026-11-21").code == 0
    assert "DRIVER_POLICY_NO_CACHE" not in os.environ
    assert not (repo / ".driver-policy-cache").exists()
    assert cli("-C", str(repo), "check", "--today", "2026-11-21").code == 0
    assert (repo / ".driver-policy-cache").is_dir()


CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "header only": lambda data: data[:20],
    "empty": lambda data: b"",
    "garbage": lambda data: bytes(random.Random(len(data)).randrange(256) for _ in data),
    "flipped byte": lambda data: data[:-3] + bytes([data[-3] ^ 0xFF]) + data[-2:],
    "not a pickle": lambda data: b"not a pickle\n",
    "another format": lambda data: __import__("pickle").dumps({"format": 999, "data": {}}),
    "not a mapping": lambda data: __import__("pickle").dumps(["format", 2]),
}


# One corruption runs by default (a flipped byte: the HMAC must catch it); the others
# with the slow tests.
@pytest.mark.parametrize("corruption", [
    pytest.param(name, marks=() if name == "flipped byte" else slow) for name in CORRUPTIONS
])
def test_a_damaged_cache_is_ignored(repo: Path, corruption: str) -> None:
    rng = random.Random(5)
    damage(repo, rng)
    expected = run_check(repo, "--no-cache")
    assert run_check(repo).stdout == expected.stdout
    files = sorted(p for p in (repo / ".driver-policy-cache").rglob("*") if p.is_file())
    assert files, "the first run wrote a cache"
    for path in files:
        path.write_bytes(CORRUPTIONS[corruption](path.read_bytes()))
    damaged = run_check(repo)
    assert (damaged.returncode, damaged.stdout, damaged.stderr) == (
        expected.returncode, expected.stdout, expected.stderr)
    assert run_check(repo).stdout == expected.stdout  # and rewritten whole


def test_processes_started_at_once_share_one_complete_cache_key(tmp_path: Path) -> None:
    """The per-user key is made by whichever process comes first; the others read it
    whole (never a partly written file) and every process uses the same key."""
    code = "from checker.load.cache import secret_key; print(secret_key().hex())"
    for round_ in range(3 * LOOPS):
        home = tmp_path / f"cache-home-{round_}"
        runs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                                 env=env(XDG_CACHE_HOME=str(home)), stdout=subprocess.PIPE,
                                 text=True) for _ in range(6)]
        keys = {process.communicate()[0].strip() for process in runs}
        assert all(process.returncode == 0 for process in runs)
        key_file = home / "driver-policy/cache-key"
        assert keys == {key_file.read_bytes().hex()}
        assert len(key_file.read_bytes()) == 32
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [p.name for p in key_file.parent.iterdir()] == ["cache-key"]




@slow
@pytest.mark.parametrize("writer", ["editor", "locked"])
def test_record_never_undoes_a_write_that_lands_while_it_replaces(
    repo: Path, writer: str
) -> None:
    """Issue 23: record replaced the file with an edit of what it had read, undoing a
    collect that finished meanwhile (exit 0). Now the file is read again under the
    directory's lock just before the rename: record writes nothing and says so (exit 1).
    The write lands while record's temporary file is half written (the pause hook)."""
    from checker.load.rewrite import replace_if_unchanged

    iser = repo / "drivers/infiniband/iser.yaml"
    iser.write_text(iser.read_text().replace("\ndeployment: low\n", "\ndeployment: high\n"))
    theirs = iser.read_bytes().replace(b"\nsignals:", b"\n# collected meanwhile\nsignals:")
    process = subprocess.Popen(
        [sys.executable, "-m", "checker", "-C", str(repo), "record", "infiniband/iser"],
        cwd=ROOT, env=env(**{PAUSE_ENV: "3"}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        while not temporaries(repo / "drivers"):  # record is writing its temporary file
            assert process.poll() is None, process.communicate()
            time.sleep(0.005)
        if writer == "editor":  # takes no lock
            iser.write_bytes(theirs)
        else:  # collect's way: under the directory's lock
            assert replace_if_unchanged(iser, theirs, None, display="iser")
        out, err = process.communicate(timeout=120)
    finally:
        kill(process)
    assert process.returncode == 1, (out, err)
    assert err == ("driver-policy record: drivers/infiniband/iser.yaml: changed since record "
                   "read it; not written (run record again)\n")
    assert iser.read_bytes() == theirs
    assert temporaries(repo / "drivers") == []

@pytest.mark.parametrize("planted", ["fifo", "link", pytest.param("directory", marks=slow),
                                     pytest.param("short", marks=slow)])
def test_an_unusable_cache_key_file_neither_blocks_nor_is_used(
    repo: Path, tmp_path: Path, planted: str
) -> None:
    """Issue 23: a FIFO at the user cache's key file blocked check and render for ever.
    The key is read through the one door (no link, a regular file, a bounded size); an
    unusable one is left alone and this process uses a key of its own (a cold cache)."""
    key_file = tmp_path / "home/driver-policy/cache-key"
    key_file.parent.mkdir(parents=True)
    if planted == "fifo":
        os.mkfifo(key_file)
    elif planted == "link":
        (tmp_path / "elsewhere").write_bytes(b"k" * 32)
        key_file.symlink_to(tmp_path / "elsewhere")
    elif planted == "directory":
        key_file.mkdir()
    else:
        key_file.write_bytes(b"short")
    runs = [["check"], ["render", "--check"]] if planted == "fifo" else [["check"]]
    for args in runs:
        result = subprocess.run(  # the timeout only guards against the hang itself
            [sys.executable, "-m", "checker", "-C", str(repo), *args],
            env=env(XDG_CACHE_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT)),
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert os.path.lexists(key_file)
    if planted == "short":
        assert key_file.read_bytes() == b"short"

# -- collect's writer: every byte that is not its own is kept ------------------------------

SAFE = YAML(typ="safe", pure=False)
COMMENTS = ("# a comment\n", "\n", "  # indented\n", "    # deeper\n", "#\n")


def collected_file(doc: dict[str, Any], rng: random.Random, flow: int) -> str:
    """A driver file as a person may have written it: the document in some style, with
    comments and blank lines here and there, and every signal key present (collect
    always writes them all)."""
    from checker.collect.run import SIGNAL_KEYS

    if doc.get("signals") is not None:
        doc["signals"] = {key: doc["signals"].get(key) for key in SIGNAL_KEYS}
    lines = to_yaml(doc, flow_from=flow).splitlines(keepends=True)
    for _ in range(rng.randint(0, 6)):
        lines.insert(rng.randint(0, len(lines)), rng.choice(COMMENTS))
    return "".join(lines)


def write_back(text: str) -> str:
    """What collect writes when the kernel says exactly what the file says."""
    from checker.collect.driverfile import DriverFile
    from checker.collect.write import render

    data = SAFE.load(text)
    signals = data.get("signals")
    return render(DriverFile(Path("drivers/infiniband/x.yaml"), "infiniband/x", text),
                  signals, data.get("kconfig"), data.get("maintainers_status"))


ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@ROUND_TRIP
@given(driver_documents(), st.randoms(use_true_random=False), st.sampled_from((1, 2, 3, 99)))
def test_collect_keeps_every_segment_but_its_own(
    doc: dict[str, Any], rng: random.Random, flow: int
) -> None:
    """Values unchanged: every top-level segment other than `signals` is byte for byte
    what it was (comments, quoting, blank lines, key order), and the values read back."""
    from checker.collect.driverfile import split_segments

    text = collected_file(doc, rng, flow)
    written = write_back(text)
    assert SAFE.load(written) == SAFE.load(text)
    old = {s.key: s.lines for s in split_segments(text)}
    new = {s.key: s.lines for s in split_segments(written)}
    assert list(new) == list(old)
    for key, lines in old.items():
        if key != "signals":
            assert new[key] == lines, key


def test_collect_keeps_the_seed_files_byte_for_byte() -> None:
    """The real driver files: written back with their own values, nothing changes."""
    from checker.collect.run import SIGNAL_KEYS

    for path in sorted((ROOT / "drivers").rglob("*.yaml")):
        text = path.read_text()
        data = SAFE.load(text)
        signals = data.get("signals")
        if signals is not None and set(signals) != set(SIGNAL_KEYS):
            continue  # encoded from a seed card, not written by collect: restyled on purpose
        assert write_back(text) == text, path


SIGNALS_WITH_COMMENT = (ROOT / "tests/examples/valid/full.yaml").read_text().replace(
    '    - {month: "2025-11"', '    # the busy month\n    - {month: "2025-11"')


@ROUND_TRIP
@example(doc=None, rng=random.Random(0))
@given(driver_documents(), st.randoms(use_true_random=False))
def test_collect_writes_identical_bytes_when_nothing_changed(
    doc: dict[str, Any] | None, rng: random.Random
) -> None:
    """A file in collect's own style, with comments and blank lines added anywhere (the
    signals block included): written back with its own values, not one byte changes."""
    if doc is None:
        text = SIGNALS_WITH_COMMENT
    else:
        lines = write_back(collected_file(doc, rng, 99)).splitlines(keepends=True)
        for _ in range(rng.randint(1, 4)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(COMMENTS))
        text = "".join(lines)
    assert write_back(text) == text


def test_a_second_collect_changes_no_byte() -> None:
    text = SIGNALS_WITH_COMMENT.replace("  files: 3\n", "  files: 3\n\n")
    once = write_back(text)
    assert write_back(once) == once
