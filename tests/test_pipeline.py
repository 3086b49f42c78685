"""The cached, parallel check pipeline: same answers as the plain path, never stale."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, Run

import checker.check.driver
import checker.check.pipeline
import checker.load.cache
import checker.render.cards
import checker.render.chart
import checker.render.templates
from checker.check.pipeline import run_check
from checker.cli.commands.check import gather
from checker.load.cache import digest_bytes
from checker.load.layout import signature

TODAY = date(2026, 11, 21)


def damage(repo: Path) -> None:
    """A repository with one problem of each kind a check reports."""
    ipoib = repo / "drivers/infiniband/ipoib.yaml"
    ipoib.write_text(ipoib.read_text().replace("deployment: medium", "deployment: low"))
    iser = repo / "drivers/infiniband/iser.yaml"
    iser.write_text(iser.read_text().replace("  files: 7", "  files: -7"))
    clash = repo / "drivers/infiniband/ipoib-copy.yaml"
    clash.write_text((repo / "drivers/infiniband/srpt.yaml").read_text())
    srpt = repo / "drivers/infiniband/srpt.yaml"
    srpt.write_text(srpt.read_text() + (
        "  override:\n    verdict: keep-annotate\n    reason: Test.\n"
        "    by: T <t@example.org>\n    until: 2026-01-01\n"))


def test_full_check_reports_what_the_per_file_check_reports(repo: Path) -> None:
    damage(repo)
    full = run_check(repo, TODAY, use_cache=False).problems
    files = [p.relative_to(repo).as_posix() for p in sorted(repo.glob("drivers/*/*.yaml"))]
    files += [p.relative_to(repo).as_posix() for p in sorted(repo.glob("policies/**/*.yaml"))]
    per_file, _, _ = gather(repo, TODAY, files)
    generated = {"cards", "generated"}
    assert [p for p in full if p.rule not in generated] == per_file
    rules = {p.rule for p in full}
    assert {"schema", "verdict", "cross-file", "cards"} <= rules


def test_parallel_equals_serial(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damage(repo)
    serial = run_check(repo, TODAY, use_cache=False, jobs=1)
    monkeypatch.setattr(checker.check.driver, "PARALLEL_FROM", 1)
    parallel = run_check(repo, TODAY, use_cache=False, jobs=2)
    assert parallel == serial


def test_warm_run_equals_cold_run(repo: Path) -> None:
    damage(repo)
    cold = run_check(repo, TODAY)
    assert (repo / ".driver-policy-cache").is_dir()
    assert run_check(repo, TODAY) == cold
    # override expiry is re-judged on every run, even when nothing else changed
    later = run_check(repo, date(2025, 1, 1))
    assert len([p for p in later.problems if p.rule != "date"]) == len(cold.problems) - 1
    # and evidence dated after that day is reported (the run is not reused for it)
    assert any(p.rule == "date" for p in later.problems)


def _verdict_problem(repo: Path) -> list[str]:
    return [p.message for p in run_check(repo, TODAY).problems if p.rule == "verdict"]


def test_cache_sees_a_changed_file_of_the_same_size_and_time(repo: Path) -> None:
    path = repo / "drivers/infiniband/ipoib.yaml"
    assert _verdict_problem(repo) == []
    before = path.stat()
    path.write_text(path.read_text().replace("deployment: medium", "deployment: low   "))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert any("recorded keep but the policy computes keep-annotate" in m
               for m in _verdict_problem(repo))


@pytest.mark.parametrize("stored_run", [False, True], ids=["cold", "run-stored"])
def test_a_file_changed_during_the_run_is_cached_as_it_was_checked(
    repo: Path, monkeypatch: pytest.MonkeyPatch, stored_run: bool
) -> None:
    """A driver file edited after the run listed it, before a worker read it: the result
    is that of the bytes the worker read, and it is cached (and the run recorded) under
    their digest, never the listed file's. Put back as it was, the file is clean again."""
    iser = repo / "drivers/infiniband/iser.yaml"
    original = iser.read_bytes()
    if stored_run:  # a stored run of other bytes: the files are hashed, then checked
        assert run_check(repo, TODAY).problems == []
        original += b"# edited\n"
        iser.write_bytes(original)
    broken = original.replace(b"  files: 7", b"  files: -7")
    assert broken != original
    real = checker.check.driver.process_driver

    def edit_first(rel: str) -> checker.check.driver.Checked:
        if rel.endswith("iser.yaml"):
            iser.write_bytes(broken)
        return real(rel)

    monkeypatch.setattr(checker.check.driver, "process_driver", edit_first)
    during = run_check(repo, TODAY, jobs=1)
    assert [p.path for p in during.problems if p.rule == "schema"] == \
        ["drivers/infiniband/iser.yaml"]
    cache = checker.check.pipeline.open_cache(repo)
    assert cache.get("drivers/infiniband/iser.yaml", digest_bytes(original)) is None
    cached = cache.get("drivers/infiniband/iser.yaml", digest_bytes(broken))
    assert [p.rule for p in cached.problems] == ["schema"]
    monkeypatch.setattr(checker.check.driver, "process_driver", real)
    assert run_check(repo, TODAY) == during
    iser.write_bytes(original)
    restored = run_check(repo, TODAY)
    assert [p.rule for p in restored.problems if p.path.startswith("drivers/")] == []
    assert restored == run_check(repo, TODAY, use_cache=False)


def test_a_cold_run_reads_each_driver_file_and_card_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no stored run to find, the main process hashes no driver file, card or chart
    a worker reads anyway (only the indexes); the next run finds every digest remembered
    by its stat signature and reuses the run."""
    hashed: list[str] = []
    real = checker.load.cache.Cache.digest

    def count(self: checker.load.cache.Cache, rel: str, *rest: object) -> str | None:
        hashed.append(rel)
        return real(self, rel, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(checker.load.cache.Cache, "digest", count)
    cold = run_check(repo, TODAY)
    assert not [rel for rel in hashed if rel.startswith("drivers/")]
    cards = [p.relative_to(repo).as_posix() for p in (repo / "cards").rglob("*.*")]
    assert sorted(rel for rel in hashed if rel.startswith("cards/")) == \
        sorted(rel for rel in cards if rel.endswith("README.md"))
    monkeypatch.setattr(checker.load.cache, "RACY_NS", 0)  # the test's files count as settled
    cache = checker.check.pipeline.open_cache(repo)
    for path in [*(repo / "drivers").rglob("*.yaml"), *(repo / "cards").rglob("*.*")]:
        rel = path.relative_to(repo).as_posix()
        assert cache.known(rel, signature(os.lstat(path))) == digest_bytes(path.read_bytes())
    os.utime(repo / "drivers/infiniband/ipoib.yaml")  # the stat shortcut misses: hashed
    hashed.clear()
    assert run_check(repo, TODAY) == cold
    assert "drivers/infiniband/ipoib.yaml" in hashed


def test_cache_sees_a_policy_change(repo: Path) -> None:
    assert _verdict_problem(repo) == []
    policy = repo / "policies/default.yaml"
    policy.write_text(policy.read_text().replace("  keep: 7\n", "  keep: 9\n"))
    assert any("infiniband/ipoib: recorded keep but the policy computes keep-annotate" in m
               for m in _verdict_problem(repo))


def test_cache_sees_a_template_change(repo: Path) -> None:
    assert run_check(repo, TODAY).problems == []
    template = repo / "templates/card.md.j2"
    template.write_text(template.read_text() + "Changed.\n")
    checker.render.templates.environment.cache_clear()  # as a new process would start
    assert {p.rule for p in run_check(repo, TODAY).problems} == {"cards"}


def test_cache_sees_a_new_package_version(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_check(repo, TODAY)
    old = checker.load.cache.Cache(repo, []).salt
    monkeypatch.setattr(checker.load.cache, "__version__", "99.0")
    assert checker.load.cache.Cache(repo, []).salt != old


def test_no_cache_writes_nothing(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "check", "--no-cache", "--today", "2026-11-21")
    assert result.code == 0, result.out
    assert not (repo / ".driver-policy-cache").exists()


def test_a_corrupt_cache_is_ignored(repo: Path) -> None:
    run_check(repo, TODAY)
    states = [p for p in (repo / ".driver-policy-cache").glob("*.*") if p.is_file()]
    assert states  # the test must damage something
    for state in states:
        state.write_bytes(b"not a pickle")
    assert run_check(repo, TODAY).problems == []


def test_two_checks_at_once_share_the_cache(repo: Path) -> None:
    damage(repo)
    argv = [sys.executable, "-m", "checker", "-C", str(repo), "check", "--today", "2026-11-21",
            "--jobs", "1"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
            for _ in range(3)]
    outputs = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [1, 1, 1]
    assert outputs[0] == outputs[1] == outputs[2]
    again = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)
    assert again.stdout == outputs[0]


def test_a_planted_cache_file_is_never_unpickled(repo: Path) -> None:
    """A pull request can add files under .driver-policy-cache/: without this user's key
    they are ignored, so a malicious pickle never runs."""
    import pickle

    run_check(repo, TODAY)
    marker = repo / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (marker.touch, ())  # type: ignore[return-value]

    for path in (repo / ".driver-policy-cache").glob("*.*"):
        if path.is_file():
            payload = pickle.dumps({"format": checker.load.cache.FORMAT, "data": Exploit()})
            path.write_bytes(b"\0" * checker.load.cache.TAG_BYTES + payload)
    assert run_check(repo, TODAY).problems == []
    assert not marker.exists()


def copies(repo: Path, n: int) -> list[str]:
    """N copies of srpt.yaml with their own `path` but the same include (one bad merge)."""
    text = (repo / "drivers/infiniband/srpt.yaml").read_text()
    rels = []
    for number in range(n):
        rel = f"drivers/infiniband/srpt-copy-{number:02d}.yaml"
        (repo / rel).write_text(
            text.replace("path: drivers/infiniband/ulp/srpt\n",
                         f"path: drivers/infiniband/ulp/srpt-{number:02d}\n"))
        rels.append(rel)
    return rels


def test_copies_give_one_problem_per_file_naming_the_others(repo: Path) -> None:
    rels = copies(repo, 7)
    found = [p for p in run_check(repo, TODAY, use_cache=False).problems
             if p.rule == "cross-file"]
    assert [p.path for p in found] == sorted([*rels, "drivers/infiniband/srpt.yaml"])
    first = found[0]
    assert (first.line, first.col, first.field) == (9, 7, "paths.include[1]")
    pattern = "'drivers/infiniband/ulp/srpt/'"
    assert first.message == (
        f"{pattern} overlaps the claims of 7 other drivers: "
        + ", ".join(f"drivers/infiniband/srpt-copy-{n:02d}.yaml" for n in range(1, 6))
        + " and 2 more; exclude one from the other"
    )
    last = found[-1]
    assert last.path == "drivers/infiniband/srpt.yaml"
    assert last.message.startswith(
        f"{pattern} overlaps the claims of 7 other drivers: "
        "drivers/infiniband/srpt-copy-00.yaml, ")


def test_two_copies_keep_the_one_to_one_message(repo: Path) -> None:
    copies(repo, 1)
    found = [p for p in run_check(repo, TODAY, use_cache=False).problems
             if p.rule == "cross-file"]
    assert [(p.path, p.message) for p in found] == [
        ("drivers/infiniband/srpt-copy-00.yaml",
         "'drivers/infiniband/ulp/srpt/' overlaps 'drivers/infiniband/ulp/srpt/' claimed by "
         "infiniband/srpt; exclude one from the other"),
        ("drivers/infiniband/srpt.yaml",
         "'drivers/infiniband/ulp/srpt/' overlaps 'drivers/infiniband/ulp/srpt/' claimed by "
         "infiniband/srpt-copy-00; exclude one from the other"),
    ]


def test_copies_are_located_without_parsing_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies(repo, 3)
    expected = run_check(repo, TODAY, use_cache=False).problems

    def no_second_parse(*_args: object) -> tuple[int, int]:
        raise AssertionError("a cross-file problem was located by parsing its file again")

    monkeypatch.setattr(checker.check.pipeline, "_locate", no_second_parse)
    assert run_check(repo, TODAY, use_cache=False).problems == expected


def test_duplicate_paths_give_one_problem_per_file(repo: Path) -> None:
    text = (repo / "drivers/infiniband/srpt.yaml").read_text()
    for number in range(3):
        (repo / f"drivers/infiniband/srpt-twin-{number}.yaml").write_text(
            text.replace("drivers/infiniband/ulp/srpt/", f"drivers/infiniband/ulp/twin{number}/"))
    found = [p for p in run_check(repo, TODAY, use_cache=False).problems
             if p.rule == "cross-file" and p.field == "path"]
    assert len(found) == 4
    assert found[0].message == (
        "'drivers/infiniband/ulp/srpt' is also the path of 3 other drivers: "
        "infiniband/srpt-twin-1 (drivers/infiniband/srpt-twin-1.yaml), "
        "infiniband/srpt-twin-2 (drivers/infiniband/srpt-twin-2.yaml), "
        "infiniband/srpt (drivers/infiniband/srpt.yaml)"
    )


def card_problems(repo: Path) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in run_check(repo, TODAY, use_cache=False).problems
            if p.rule == "cards"]


def test_sealed_cards_are_not_rendered_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> str:
        raise AssertionError("a card with a valid seal was rendered")

    monkeypatch.setattr(checker.render.cards, "render_card", refuse)
    monkeypatch.setattr(checker.render.chart, "render_chart", refuse)
    assert card_problems(repo) == []


def test_a_hand_edited_card_breaks_its_seal(repo: Path) -> None:
    card = repo / "cards/infiniband/iser.md"
    card.write_text(card.read_text().replace("iSER", "iSER (edited)", 1))
    chart = repo / "cards/infiniband/iser.svg"
    chart.write_bytes(chart.read_bytes().replace(b"</svg>", b"<g/></svg>"))
    assert card_problems(repo) == [
        ("cards/infiniband/iser.md", "card is stale; run: driver-policy render"),
        ("cards/infiniband/iser.svg", "chart is stale; run: driver-policy render"),
    ]


def kind_of_card(rel: str) -> str:
    if rel.endswith("README.md"):
        return "card index"
    return "chart" if rel.endswith(".svg") else "card"


def test_a_seal_covers_the_templates_and_the_policy(repo: Path) -> None:
    # cards, charts and the index pages all carry seals of the templates and the policy
    generated = sorted(p.relative_to(repo).as_posix() for p in repo.glob("cards/**/*.*"))
    everything_stale = [(rel, f"{kind_of_card(rel)} is stale; run: driver-policy render")
                        for rel in generated]
    template = repo / "templates/card.md.j2"
    original = template.read_text()
    template.write_text(original + "{# a comment: no card changes but its seal #}\n")
    assert card_problems(repo) == everything_stale
    template.write_text(original)
    assert card_problems(repo) == []
    policy = repo / "policies/default.yaml"
    policy.write_text(policy.read_text() + "# a comment\n")
    assert card_problems(repo) == everything_stale


def test_a_warm_run_hashes_and_parses_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing changed since the last run (by every file's stat signature): its result,
    the expired override and its position included, stands without reading a file."""
    monkeypatch.setattr(checker.load.cache, "RACY_NS", 0)  # the test's files count as settled
    damage(repo)
    cold = run_check(repo, TODAY)
    assert any("expired" in p.message for p in cold.problems)
    run_check(repo, TODAY)  # written again if the first run was too close to the files

    def fail(*_args: object) -> None:
        raise AssertionError("a warm run read a file")

    monkeypatch.setattr(checker.load.cache.Cache, "digest", fail)
    monkeypatch.setattr(checker.check.pipeline, "_locate", fail)
    assert run_check(repo, TODAY) == cold


def test_a_warm_run_sees_a_file_added_removed_or_touched(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checker.load.cache, "RACY_NS", 0)
    assert run_check(repo, TODAY).problems == []
    run_check(repo, TODAY)
    card = next((repo / "cards").rglob("*.md"))
    card.unlink()
    assert [p.rule for p in run_check(repo, TODAY).problems] == ["cards"]
    (repo / "cards/stray.md").write_text("stray\n")
    assert {p.message for p in run_check(repo, TODAY).problems if "stray" in p.path}
    os.utime(repo / "drivers/infiniband/ipoib.yaml")  # same bytes: the same result
    assert len(run_check(repo, TODAY).problems) == 2
