"""Cross-file rules for a check of a few files: the claims store and its index give what
a check of every file gives, whatever happened to the store or the files since."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT

import checker.core.errors
import checker.load.cache
import checker.validate.claims
import checker.validate.crossfile
from checker.check.pipeline import run_check
from checker.validate.claims import ClaimsStore
from checker.validate.claimtable import ClaimTable, encode
from checker.validate.crossfile import Claim
from checker.validate.workspace import load_workspace

TODAY = date(2026, 11, 21)
SRPT = "drivers/infiniband/srpt.yaml"
Found = list[tuple[int, int, str, str]]


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled once the store is written after them
    (on a real tree they are seconds old; here they are milliseconds old)."""
    monkeypatch.setattr(checker.load.cache, "RACY_NS", 0)


def write_driver(repo: Path, rel: str, like: str, path: str, include: list[str]) -> None:
    """A driver file made from `like` with its own `path` and include list."""
    text = (repo / like).read_text()
    start, end = text.index("\npath: "), text.index("\n  exclude:")
    items = "".join(f"\n    - {item}" for item in include)
    (repo / rel).write_text(f"{text[:start]}\npath: {path}\npaths:\n  include:{items}{text[end:]}")


def conflicted(repo: Path) -> None:
    """Every kind of cross-file problem: copies (one class of claims), a claim over a
    whole directory of others (an ancestor prefix), a driver with two patterns inside
    another's directory, two drivers with one path. (Ids that differ only in case cannot
    happen: file names are lower case.)"""
    for number in range(3):
        write_driver(repo, f"drivers/infiniband/srpt-copy-{number}.yaml", SRPT,
                     f"drivers/infiniband/ulp/srpt-{number}", ["drivers/infiniband/ulp/srpt/"])
    write_driver(repo, "drivers/infiniband/ulp-all.yaml", SRPT, "drivers/infiniband/ulp",
                 ["drivers/infiniband/ulp/"])
    write_driver(repo, "drivers/infiniband/ipoib-parts.yaml", SRPT, "drivers/infiniband/parts",
                 ["drivers/infiniband/ulp/ipoib/ipoib_main.c",
                  "drivers/infiniband/ulp/ipoib/ipoib_cm.c"])
    write_driver(repo, "drivers/infiniband/iser-twin.yaml", SRPT, "drivers/infiniband/ulp/iser",
                 ["drivers/infiniband/ulp/iser-twin/"])


def drivers(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.glob("drivers/*/*.y*ml"))


def cross(problems: list[checker.core.errors.Problem], rel: str) -> Found:
    return [(p.line, p.col, p.field, p.message) for p in problems
            if p.rule == "cross-file" and p.path == rel]


def one_file(repo: Path, rel: str) -> Found:
    return cross(load_workspace(repo, [rel]).problems, rel)


def assert_agrees(repo: Path) -> None:
    """`validate FILE` of each driver reports what a check of every file reports for it."""
    full = run_check(repo, TODAY, use_cache=False).problems
    every = {rel: cross(full, rel) for rel in drivers(repo)}
    assert {rel: one_file(repo, rel) for rel in drivers(repo)} == every


def stored_bytes(repo: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((repo / ".driver-policy-cache").glob("*.claims*"))]


def store_path(repo: Path) -> Path:
    (found,) = (repo / ".driver-policy-cache").glob("*.claims")
    return found


def test_every_rule_agrees_without_a_store(repo: Path) -> None:
    conflicted(repo)
    full = run_check(repo, TODAY, use_cache=False).problems
    assert {rel for rel in drivers(repo) if cross(full, rel)} == {
        *(f"drivers/infiniband/srpt-copy-{n}.yaml" for n in range(3)), SRPT,
        "drivers/infiniband/ulp-all.yaml", "drivers/infiniband/ipoib.yaml",
        "drivers/infiniband/iser.yaml", "drivers/infiniband/ipoib-parts.yaml",
        "drivers/infiniband/iser-twin.yaml",
    }
    assert_agrees(repo)


def test_every_rule_agrees_through_the_index(
    repo: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    conflicted(repo)
    run_check(repo, TODAY)  # writes the store
    expected = {rel: cross(run_check(repo, TODAY, use_cache=False).problems, rel)
                for rel in drivers(repo)}

    def no_parse(raw: bytes, rel: str) -> Claim | None:
        raise AssertionError(f"{rel} was parsed: its stored claim is current")

    monkeypatch.setattr(checker.validate.claims, "claim_of", no_parse)
    assert {rel: one_file(repo, rel) for rel in drivers(repo)} == expected


def test_the_message_names_the_first_overlapping_pattern_of_each_side(repo: Path) -> None:
    conflicted(repo)
    assert one_file(repo, "drivers/infiniband/ipoib.yaml") == [(
        9, 7, "paths.include[1]",
        "'drivers/infiniband/ulp/ipoib/' overlaps the claims of 2 other drivers: "
        "drivers/infiniband/ipoib-parts.yaml ('drivers/infiniband/ulp/ipoib/ipoib_main.c'), "
        "drivers/infiniband/ulp-all.yaml ('drivers/infiniband/ulp/'); "
        "exclude one from the other")]


def test_files_changed_added_and_removed_since_the_store_was_written(
    repo: Path, settled: None
) -> None:
    conflicted(repo)
    run_check(repo, TODAY)
    before = stored_bytes(repo)
    # now claims srpt's directory too
    write_driver(repo, "drivers/net/smc-tcp-ulp.yaml", "drivers/net/smc-tcp-ulp.yaml",
                 "net/smc/af_smc.c", ["drivers/infiniband/ulp/srpt/"])
    # no longer a copy
    write_driver(repo, "drivers/infiniband/srpt-copy-0.yaml", SRPT,
                 "drivers/infiniband/ulp/srpt-0", ["drivers/infiniband/ulp/elsewhere/"])
    (repo / "drivers/infiniband/srpt-copy-1.yaml").unlink()
    write_driver(repo, "drivers/infiniband/srpt-new.yaml", SRPT,
                 "drivers/infiniband/ulp/srpt", ["drivers/infiniband/ulp/srpt/x.c"])
    assert [m for *_, m in one_file(repo, SRPT)] == [
        "'drivers/infiniband/ulp/srpt' is also the path of infiniband/srpt-new "
        "(drivers/infiniband/srpt-new.yaml)",
        "'drivers/infiniband/ulp/srpt/' overlaps the claims of 4 other drivers: "
        "drivers/infiniband/srpt-copy-2.yaml, drivers/infiniband/srpt-new.yaml "
        "('drivers/infiniband/ulp/srpt/x.c'), drivers/infiniband/ulp-all.yaml "
        "('drivers/infiniband/ulp/'), drivers/net/smc-tcp-ulp.yaml; "
        "exclude one from the other"]
    assert stored_bytes(repo) != before  # what was read again is kept (in the delta)
    assert_agrees(repo)


def test_a_file_changed_within_the_same_size_and_time_is_read_again(
    repo: Path, settled: None
) -> None:
    import os

    conflicted(repo)
    run_check(repo, TODAY)
    path = repo / "drivers/net/smc-tcp-ulp.yaml"
    before = path.stat()
    path.write_text(path.read_text().replace("- net/smc/af_smc.c\n", "- drivers/infini*/\n"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert any("drivers/net/smc-tcp-ulp.yaml" in m for *_, m in one_file(repo, SRPT))


def test_changes_in_any_chunk_of_a_large_store_are_seen(
    repo: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the first chunk of signatures (checker.validate.claimtable.CHUNK): a file
    edited in place (same size and time), one removed and one added are each noticed,
    and nothing else is read again."""
    import os

    from checker.validate.claimtable import CHUNK

    for number in range(2 * CHUNK + 10):
        write_driver(repo, f"drivers/infiniband/zz-{number:03}.yaml", SRPT,
                     f"zz/d{number:03}", [f"zz/d{number:03}/"])
    run_check(repo, TODAY)
    read: list[str] = []
    real = checker.validate.claims.claim_of

    def counted(raw: bytes, rel: str) -> Claim | None:
        read.append(rel)
        return real(raw, rel)

    far, gone, new = (f"drivers/infiniband/zz-{2 * CHUNK + 5:03}.yaml",  # past two chunks
                      f"drivers/infiniband/zz-{CHUNK + 1:03}.yaml",  # past the first
                      "drivers/infiniband/zz-new.yaml")
    before = (repo / far).stat()
    (repo / far).write_text((repo / far).read_text().replace(
        f"\n    - zz/d{2 * CHUNK + 5:03}/\n", "\n    - drivers/\n"))
    os.utime(repo / far, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (repo / far).stat().st_size == before.st_size
    (repo / gone).unlink()
    write_driver(repo, new, SRPT, "zz/new", ["drivers/infiniband/ulp/"])
    # the store dated after the changes (a clock that went back): only the signatures
    # can tell, not their times
    later = time.time_ns() + 100 * 10**9
    for path in (repo / ".driver-policy-cache").glob("*.claims*"):
        os.utime(path, ns=(later, later))
    monkeypatch.setattr(checker.validate.claims, "claim_of", counted)
    found = [m for *_, m in one_file(repo, SRPT)]
    monkeypatch.undo()
    assert sorted(read) == [far, new]
    assert any(far in m for m in found) and any(new in m for m in found)
    assert not any(gone in m for m in found)
    assert cross(run_check(repo, TODAY, use_cache=False).problems, SRPT) == one_file(repo, SRPT)


@pytest.mark.parametrize("damage", ["missing", "garbage", "planted"])
def test_a_missing_or_damaged_store_is_rebuilt_from_the_files(
    repo: Path, settled: None, damage: str
) -> None:
    conflicted(repo)
    run_check(repo, TODAY)
    store = store_path(repo)
    marker = repo / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (marker.touch, ())  # type: ignore[return-value]

    if damage == "missing":
        store.unlink()
    elif damage == "garbage":
        store.write_bytes(b"not a pickle")
    else:
        payload = pickle.dumps({"format": checker.load.cache.FORMAT, "data": Exploit()})
        store.write_bytes(b"\0" * checker.load.cache.TAG_BYTES + payload)
    assert_agrees(repo)
    assert not marker.exists()
    if damage == "missing":  # validate makes no file; the next check does
        assert not list((repo / ".driver-policy-cache").glob("*.claims"))
        run_check(repo, TODAY)
    assert checker.load.cache._read(store_path(repo)) is not None  # written again, whole


def test_no_cache_means_no_store(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conflicted(repo)
    monkeypatch.setenv("DRIVER_POLICY_NO_CACHE", "1")
    assert one_file(repo, SRPT)
    assert not (repo / ".driver-policy-cache").exists()


def claim(file: str, path: str, *include: str) -> Claim:
    return Claim(file.removeprefix("drivers/").removesuffix(".yaml"), file, path, include, ())


def table_of(stored: list[Claim]) -> ClaimTable:
    """The base of a store holding `stored` (signatures and digests made up)."""
    files = {c.file: ((0o100644, n, 1, 0, 0), f"d{n}") for n, c in enumerate(stored)}
    return ClaimTable(encode(files, {c.file: pickle.dumps(c[:5]) for c in stored}))


def related(table: ClaimTable, claims: list[Claim]) -> set[str]:
    return {table.rels[number] for number in table.related(claims)}


def test_the_index_finds_ancestors_descendants_paths_and_ids_only() -> None:
    stored = [
        claim("drivers/a/top.yaml", "p/top", "drivers/"),
        claim("drivers/a/net.yaml", "p/net", "drivers/net/"),
        claim("drivers/a/deep.yaml", "p/deep", "drivers/net/eth/x/*.c"),
        claim("drivers/a/glob.yaml", "p/glob", "*/net/a.c"),
        claim("drivers/a/sibling.yaml", "p/sibling", "drivers/network/"),
        claim("drivers/a/other.yaml", "p/eth", "sound/"),
        claim("drivers/a/ETH.yaml", "p/other", "fs/"),
        claim("drivers/a/twin.yaml", "p/twin", "drivers/net/", "drivers/net/eth/x/y.c"),
    ]
    table = table_of(stored)
    assert related(table, [claim("drivers/a/eth.yaml", "p/eth", "drivers/net/eth/")]) == {
        "drivers/a/top.yaml", "drivers/a/net.yaml", "drivers/a/deep.yaml",
        "drivers/a/glob.yaml", "drivers/a/other.yaml", "drivers/a/ETH.yaml",
        "drivers/a/twin.yaml"}
    assert related(table, [claim("drivers/a/any.yaml", "p/any", "**/*.c")]) == {
        c.file for c in stored}
    assert related(table, [claim("drivers/a/x.yaml", "p/x", "drivers/network/a.c")]) == {
        "drivers/a/top.yaml", "drivers/a/sibling.yaml", "drivers/a/glob.yaml"}
    assert related(table_of([]), [claim("drivers/a/x.yaml", "p/x", "drivers/")]) == set()


def test_the_table_finds_what_changed_a_chunk_at_a_time() -> None:
    """Signatures are compared a chunk at a time: a change, a vanished file and a file
    missing from the listing are found in any chunk, and only they."""
    rels = [f"drivers/a/d{n:03}.yaml" for n in range(150)]  # three chunks, the last short
    files = {rel: ((0o100644, n, 1, 10 * n, 10 * n + 5), f"d{n}") for n, rel in enumerate(rels)}
    table = ClaimTable(encode(files, {}))
    listed: dict[str, tuple[int, int, int, int, int] | None] = {
        rel: files[rel][0] for rel in rels}
    assert table.changed(listed) == set() and table.rels == rels
    listed[rels[3]] = (0o100644, 3, 2, 30, 35)  # its size
    listed[rels[70]] = None  # vanished while listed
    del listed[rels[149]]
    listed["drivers/a/new.yaml"] = (0o100644, 999, 1, 0, 0)  # not the table's to find
    assert table.changed(listed) == {3, 70, 149}
    assert table.racy(1475) == {147, 148, 149} and table.racy(1496) == set()
    assert table.entry(64) == ((0o100644, 64, 1, 640, 645), "d64")
    assert table.position(rels[100]) == 100 and table.position("drivers/a/d.yaml") is None
    assert table.blob(5) is None


@pytest.mark.parametrize("damage", ["count", "chunks", "rels", "offsets"])
def test_a_malformed_base_counts_as_no_store(tmp_path: Path, damage: str) -> None:
    old = 100 * checker.load.cache.RACY_NS
    store = ClaimsStore(tmp_path)
    store.put("drivers/a/b.yaml", ((0o100644, 1, 1, old, old), "x", None))
    store.save(["drivers/a/b.yaml"])
    assert store.file.path is not None
    data = checker.load.cache._read(store.file.path)
    assert data is not None and ClaimsStore(tmp_path).table is not None
    data.update({"count": {"count": 2, "chunks": 1, "rels": 1, "offsets": 1}[damage],
                 **{"count": {}, "chunks": {"sigs": []}, "rels": {"rels": b"x"},
                    "offsets": {"claim_at": "x"}}[damage]})
    checker.load.cache._write(store.file.path, data)
    assert ClaimsStore(tmp_path).table is None and ClaimsStore(tmp_path).files == {}


def test_the_rules_import_no_pipeline() -> None:
    """repository -> pipeline -> render -> repository was an import circle."""
    code = "import sys, checker.validate.workspace; print(sorted(m for m in sys.modules if m in " \
           "('checker.check.pipeline', 'checker.render.cards')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_a_stored_claim_stands_only_for_the_same_signature_long_before_the_store(
    tmp_path: Path,
) -> None:
    store = ClaimsStore(tmp_path)
    store.written_ns = 100 * checker.load.cache.RACY_NS
    sig = (0o100644, 7, 120, 50 * checker.load.cache.RACY_NS, 50 * checker.load.cache.RACY_NS)
    store.put("drivers/a/b.yaml", (sig, "digest", None))
    assert store.fresh("drivers/a/b.yaml", sig)
    assert not store.fresh("drivers/a/c.yaml", sig)
    assert not store.fresh("drivers/a/b.yaml", None)  # vanished while listed
    for changed in ((0o100644, 7, 121, *sig[3:]), (0o100644, 8, *sig[2:]),
                    (0o10644, *sig[1:]), (*sig[:3], sig[3] + 1, sig[4]),
                    (*sig[:4], sig[4] + 1)):
        assert not store.fresh("drivers/a/b.yaml", changed)
    racy = (*sig[:3], 99 * checker.load.cache.RACY_NS, 99 * checker.load.cache.RACY_NS)
    store.put("drivers/a/b.yaml", (racy, "digest", None))
    assert not store.fresh("drivers/a/b.yaml", racy)


def test_an_entry_too_recent_to_trust_is_not_carried_into_a_later_store(
    tmp_path: Path,
) -> None:
    """Written again later unverified, it would be judged against the later time and
    trusted for a file that changed twice within one tick of the clock."""
    now = time.time_ns()
    recent = (0o100644, 7, 120, now, now)
    old = (0o100644, 8, 120, now - 100 * checker.load.cache.RACY_NS,
           now - 100 * checker.load.cache.RACY_NS)
    first = ClaimsStore(tmp_path)
    first.put("drivers/a/recent.yaml", (recent, "digest", None))
    first.put("drivers/a/old.yaml", (old, "digest", None))
    first.save(["drivers/a/recent.yaml", "drivers/a/old.yaml"])
    second = ClaimsStore(tmp_path)
    assert set(second.files) == {"drivers/a/recent.yaml", "drivers/a/old.yaml"}
    assert not second.fresh("drivers/a/recent.yaml", recent)
    second.put("drivers/a/new.yaml", (old, "digest", None))
    second.save(["drivers/a/recent.yaml", "drivers/a/old.yaml", "drivers/a/new.yaml"])
    assert set(ClaimsStore(tmp_path).files) == {"drivers/a/old.yaml", "drivers/a/new.yaml"}


def test_the_index_follows_every_change_since_the_base(tmp_path: Path) -> None:
    old = 100 * checker.load.cache.RACY_NS

    def sig(number: int) -> tuple[int, int, int, int, int]:
        return (0o100644, number, 100, old, old)

    claims = {
        "drivers/a/one.yaml": claim("drivers/a/one.yaml", "p/one", "drivers/net/", "fs/"),
        "drivers/a/two.yaml": claim("drivers/a/two.yaml", "p/one", "drivers/net/"),
        "drivers/a/three.yaml": claim("drivers/a/three.yaml", "p/three", "sound/x.c"),
    }
    store = ClaimsStore(tmp_path)
    for number, (rel, c) in enumerate(claims.items()):
        store.put(rel, (sig(number), f"d{number}", c[:5]))
    store.save(claims)
    store = ClaimsStore(tmp_path)
    moved = claim("drivers/a/two.yaml", "p/two", "sound/", "drivers/net/eth/")
    store.put("drivers/a/two.yaml", (sig(10), "d10", moved[:5]))  # a claim that changed
    store.put("drivers/a/one.yaml", (sig(11), "d11", None))  # no longer valid
    store.put("drivers/a/four.yaml", (sig(12), "d12", claims["drivers/a/three.yaml"][:5]))
    store.save(["drivers/a/two.yaml", "drivers/a/one.yaml", "drivers/a/four.yaml"])  # 3 gone
    expected = {"drivers/a/one.yaml": (sig(11), "d11"), "drivers/a/two.yaml": (sig(10), "d10"),
                "drivers/a/four.yaml": (sig(12), "d12")}
    for loaded in (store, ClaimsStore(tmp_path)):
        assert loaded.files == expected
        assert loaded.stored_claim("drivers/a/two.yaml") == moved[:5]
        assert loaded.claim("drivers/a/one.yaml") is None
        assert loaded.claim("drivers/a/three.yaml") is None
        # the base's index still names three and one; the changed entries are all
        # candidates (three's and one's claims are gone: nothing to judge against)
        assert loaded.related([claim("drivers/a/x.yaml", "p/x", "fs/")]) >= {
            "drivers/a/two.yaml", "drivers/a/four.yaml"}
    base = ClaimTable(encode(expected, {rel: pickle.dumps(c) for rel, c in [
        ("drivers/a/two.yaml", moved[:5]), ("drivers/a/four.yaml",
                                           claims["drivers/a/three.yaml"][:5])]}))
    assert related(base, [claim("drivers/a/x.yaml", "p/x", "drivers/")]) == {
        "drivers/a/two.yaml"}


def test_a_few_changes_go_to_the_delta_and_many_fold_into_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = 100 * checker.load.cache.RACY_NS
    rels = [f"drivers/a/d{n}.yaml" for n in range(4)]
    store = ClaimsStore(tmp_path)
    for n, rel in enumerate(rels):
        store.put(rel, ((0o100644, n, 1, old, old), "x", claim(rel, f"p/{n}", "fs/")[:5]))
    store.save(rels)
    base = store.file.path
    assert base is not None and store.file.delta_path is not None
    written = base.read_bytes()
    store = ClaimsStore(tmp_path)
    moved = claim(rels[0], "p/0", "sound/")
    store.put(rels[0], ((0o100644, 0, 2, old, old), "y", moved[:5]))
    store.save(rels)
    assert base.read_bytes() == written and store.file.delta_path.is_file()
    loaded = ClaimsStore(tmp_path)
    assert loaded.claim(rels[0]) == moved
    assert rels[0] in loaded.related([claim("drivers/b/s.yaml", "p/s", "sound/x/")])
    assert loaded.table is not None and related(
        loaded.table, [claim("drivers/b/s.yaml", "p/s", "sound/x/")]) == set()
    monkeypatch.setattr(checker.validate.claims, "MERGE_AT", 2)
    loaded.put(rels[1], ((0o100644, 1, 2, old, old), "z", None))
    loaded.save(rels)
    assert base.read_bytes() != written and not store.file.delta_path.exists()
    assert set(ClaimsStore(tmp_path).files) == set(rels)
    assert ClaimsStore(tmp_path).claim(rels[1]) is None
    folded = ClaimsStore(tmp_path).table
    assert folded is not None and related(
        folded, [claim("drivers/b/s.yaml", "p/s", "sound/x/")]) == {rels[0]}
    assert rels[0] not in related(folded, [claim("drivers/b/f.yaml", "p/f", "fs/")])
