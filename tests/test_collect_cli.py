"""`driver-policy collect` and `new` end to end: files written, errors reported."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import GIT_ENV, POLICY, History, git, lines
from ruamel.yaml import YAML

from checker.collect.driverfile import split_segments
from checker.core.progress import Progress

DEVICE_C = """\
static const struct pci_device_id foo_ids[] = {
\t{ PCI_VDEVICE(ACME, 0x0001) },
\t{ PCI_VDEVICE(ACME, 0x0002) },
\t{ }
};
MODULE_DEVICE_TABLE(pci, foo_ids);
"""

DRIVER = """\
# A driver file as a person writes it.
schema: 1
name: Foo
subsystem: misc
category: misc
path: drivers/misc/foo
paths:
  include:
    - drivers/misc/foo/
  exclude: []
granularity: directory
kconfig: []   # filled by collect
summary: >-
  The foo driver.
deployment: low
maintainers_status: unknown   # from MAINTAINERS
upstream: []

# Signals come from collect.
signals: null

sources: []
"""


def build_kernel(path: Path) -> str:
    h = History(path)
    h.commit("2023-01-10", "initial", {
        "MAINTAINERS": "FOO DRIVER\nM:\tA <a@example.org>\nS:\tOdd fixes\nF:\tdrivers/misc/foo/\n",
        "drivers/misc/Makefile": "obj-$(CONFIG_FOO) += foo/\n",
        "drivers/misc/Kconfig": "config FOO\n\ttristate \"foo\"\n\tdepends on PCI\n",
        "drivers/misc/foo/main.c": lines(30) + DEVICE_C,
        "drivers/misc/bar.c": lines(10),
    })
    for i, day in enumerate(["2023-06-01", "2024-02-01", "2024-09-01", "2025-01-05"]):
        h.commit(day, f"foo: fix {i}", {"drivers/misc/foo/main.c": lines(30 + i) + DEVICE_C})
    return h.build()


def make_policy_repo(root: Path) -> Path:
    (root / "policies").mkdir(parents=True)
    YAML().dump(POLICY, root / "policies" / "default.yaml")
    (root / "drivers" / "misc").mkdir(parents=True)
    (root / "drivers" / "misc" / "foo.yaml").write_text(DRIVER)
    return root


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("kernel") / "linux"
    return path, build_kernel(path)


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return make_policy_repo(tmp_path / "policy")


def test_collect_fills_signals_and_a_second_run_changes_nothing(
        kernel: tuple[Path, str], policy: Path, cli: Callable[..., Any]) -> None:
    path, sha = kernel
    target = policy / "drivers" / "misc" / "foo.yaml"
    run = cli("-C", str(policy), "collect", "--kernel", str(path))
    assert run.code == 0, run.err
    assert run.err == ""  # not a terminal: no progress bar
    assert run.out.startswith(f"collect: 1 drivers at {sha[:12]} (window 2024-01-05..2025-01-05)"
                              ": 1 updated, 0 unchanged;")
    text = target.read_text()
    data = YAML(typ="safe").load(text)
    signals = data["signals"]
    assert signals["kernel_rev"] == sha
    assert (signals["commits"], signals["files"], signals["device_ids"]) == (3, 1, 2)
    assert signals["maintainers_entry"] == "FOO DRIVER"
    assert signals["depends_on_broken"] is False
    assert data["kconfig"] == ["FOO"]
    assert data["maintainers_status"] == "Odd Fixes"
    assert "maintainers_status: Odd Fixes   # from MAINTAINERS\n" in text
    assert "kconfig: [FOO]   # filled by collect\n" in text
    before = {s.key: s.lines for s in split_segments(DRIVER)}
    after = {s.key: s.lines for s in split_segments(text)}
    for key in before:
        if key not in ("signals", "kconfig", "maintainers_status"):
            assert after[key] == before[key]
    again = cli("-C", str(policy), "collect", "--kernel", str(path), "-j", "1")
    assert again.code == 0
    assert ": 0 updated, 1 unchanged;" in again.out
    assert target.read_text() == text


def test_dry_run_writes_nothing(kernel: tuple[Path, str], policy: Path,
                                cli: Callable[..., Any]) -> None:
    run = cli("-C", str(policy), "collect", "--kernel", str(kernel[0]), "--dry-run")
    assert run.code == 0
    assert "would update drivers/misc/foo.yaml" in run.out
    assert (policy / "drivers" / "misc" / "foo.yaml").read_text() == DRIVER


def test_error_not_a_repository(tmp_path: Path, policy: Path, cli: Callable[..., Any]) -> None:
    run = cli("-C", str(policy), "collect", "--kernel", str(tmp_path))
    assert run.code == 1
    assert run.err == (f"driver-policy collect: --kernel {tmp_path}: not a git repository "
                       "(fatal: not a git repository (or any of the parent directories): "
                       ".git)\n")


def test_error_rev_does_not_resolve(kernel: tuple[Path, str], policy: Path,
                                    cli: Callable[..., Any]) -> None:
    run = cli("-C", str(policy), "collect", "--kernel", str(kernel[0]), "--rev", "v9.9")
    assert run.code == 1
    assert run.err == (f"driver-policy collect: --rev v9.9: does not name a commit in "
                       f"{kernel[0]} (git: fatal: Needed a single revision)\n")


@pytest.mark.parametrize("command", ["collect", "new"])
def test_error_rev_beginning_with_dash(kernel: tuple[Path, str], policy: Path,
                                       cli: Callable[..., Any], command: str) -> None:
    extra = ["drivers/misc/bar.c"] if command == "new" else []
    run = cli("-C", str(policy), command, "--kernel", str(kernel[0]), "--rev=--output=/tmp/x",
              *extra)
    assert run.code == 2
    assert run.err == (f"driver-policy {command}: usage error: --rev '--output=/tmp/x': a "
                       "revision cannot be empty or begin with '-'\n")


def test_error_unknown_driver_id(kernel: tuple[Path, str], policy: Path,
                                 cli: Callable[..., Any]) -> None:
    run = cli("-C", str(policy), "collect", "--kernel", str(kernel[0]), "misc/nope")
    assert run.code == 2
    assert "no driver file for misc/nope" in run.err


def test_error_shallow_clone_that_cuts_the_window(
        kernel: tuple[Path, str], policy: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=2", f"file://{kernel[0]}", str(shallow))
    run = cli("-C", str(policy), "collect", "--kernel", str(shallow))
    assert run.code == 1
    assert run.err == (
        f"driver-policy collect: --kernel {shallow}: shallow clone: its history stops at "
        "2024-09-01, but the window starts on 2024-01-05; deepen it to cover the window: "
        f"git -C {shallow} fetch --shallow-since=2024-01-04 (or --unshallow, which also "
        "gives first_commit)\n")


def test_shallow_clone_covering_the_window_leaves_first_commit_unknown(
        kernel: tuple[Path, str], policy: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--shallow-since=2023-05-01", f"file://{kernel[0]}",
        str(shallow))
    run = cli("-C", str(policy), "collect", "--kernel", str(shallow))
    assert run.code == 0, run.err
    assert "warning: shallow clone (history stops at 2023-06-01)" in run.err
    data = YAML(typ="safe").load((policy / "drivers" / "misc" / "foo.yaml").read_text())
    assert data["signals"]["first_commit"] is None
    assert data["signals"]["commits"] == 3


def test_error_missing_objects(tmp_path: Path, policy: Path, cli: Callable[..., Any]) -> None:
    repo = tmp_path / "damaged"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "drivers" / "misc" / "foo").mkdir(parents=True)
    (repo / "drivers" / "misc" / "foo" / "main.c").write_text(lines(5))
    git(repo, "add", ".")
    subprocess.run(["git", "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "x"],
                   cwd=repo, env=GIT_ENV, check=True)
    blob = git(repo, "rev-parse", "HEAD:drivers/misc/foo/main.c").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    run = cli("-C", str(policy), "collect", "--kernel", str(repo), "-j", "1")
    assert run.code == 1
    assert "missing from the repository" in run.err or "objects are missing" in run.err
    assert "Traceback" not in run.err


def test_bad_driver_file_is_reported_and_the_others_collected(
        kernel: tuple[Path, str], policy: Path, cli: Callable[..., Any]) -> None:
    (policy / "drivers" / "misc" / "broken.yaml").write_text("schema: 1\n")
    run = cli("-C", str(policy), "collect", "--kernel", str(kernel[0]))
    assert run.code == 1
    assert run.err == ("drivers/misc/broken.yaml: no `paths:` mapping (collect needs "
                       "paths.include)\n")
    assert "1 updated" in run.out


def test_progress_is_drawn_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Terminal()
    for stream in (quiet, loud):
        progress = Progress("collect", unit="commit", stream=stream)
        progress(1500)
        assert progress.count == 1500
        progress.close()
    assert quiet.getvalue() == ""
    assert "collect: " in loud.getvalue() and "1500 commit" in loud.getvalue()


def test_new_scaffolds_from_the_kernel(kernel: tuple[Path, str], policy: Path,
                                       cli: Callable[..., Any]) -> None:
    path, sha = kernel
    covered = cli("-C", str(policy), "new", "--kernel", str(path), "drivers/misc/foo/")
    assert (covered.code, covered.err) == (
        1, "driver-policy new: drivers/misc/foo: already-covered: already claimed by "
        "drivers/misc/foo.yaml; refusing to scaffold it again (edit that file, or run "
        "collect)\n")
    (policy / "drivers" / "misc" / "foo.yaml").unlink()
    run = cli("-C", str(policy), "new", "--kernel", str(path), "drivers/misc/foo/",
              "--id", "misc/foo2")
    assert run.code == 0, run.err
    target = policy / "drivers" / "misc" / "foo2.yaml"
    data = YAML(typ="safe").load(target.read_text())
    assert data["paths"] == {"include": ["drivers/misc/foo/"], "exclude": []}
    assert data["hardware"] == {"kind": "hardware", "sold_new": "unknown", "last_sold": None}
    assert data["deployment"] == "unknown"
    assert data["replacement"]["status"] == "unknown"
    assert data["maintainers_status"] == "Odd Fixes"
    assert data["kconfig"] == ["FOO"]
    assert data["granularity"] == "directory"
    assert data["signals"]["kernel_rev"] == sha
    assert "verdict" not in data
    assert data["status"] == "draft"
    # a scaffold is a draft: `check` lists what is left and does not fail on it
    (policy / "policies" / "default.yaml").write_bytes(
        (Path(__file__).parent.parent / "policies" / "default.yaml").read_bytes())
    check = cli("-C", str(policy), "check", "drivers/misc/foo2.yaml",
                "--list-drafts")
    assert check.code == 0, check.out
    assert "drivers/misc/foo2.yaml:6:9: status: misc/foo2: draft, no verdict published" \
        in check.out
    assert ("to finish: summary: TODO; sources: none; category: guessed; "
            "verdict: not recorded\n") in check.out
    again = cli("-C", str(policy), "new", "--kernel", str(path), "drivers/misc/foo",
                "--id", "misc/foo2")
    assert again.code == 1
    assert again.err == ("driver-policy new: drivers/misc/foo2.yaml already exists; refusing "
                         "to overwrite it (edit it, or run collect)\n")


def test_new_single_file_software_driver(kernel: tuple[Path, str], policy: Path,
                                         cli: Callable[..., Any]) -> None:
    run = cli("-C", str(policy), "new", "--kernel", str(kernel[0]), "drivers/misc/bar.c")
    assert run.code == 0, run.err
    data = YAML(typ="safe").load((policy / "drivers" / "misc" / "bar.yaml").read_text())
    assert data["paths"]["include"] == ["drivers/misc/bar.c"]
    assert data["granularity"] == "files"
    assert data["hardware"]["kind"] == "unknown"
    assert data["maintainers_status"] == "unknown"


def test_error_new_path_not_in_the_tree(kernel: tuple[Path, str], policy: Path,
                                        cli: Callable[..., Any]) -> None:
    run = cli("-C", str(policy), "new", "--kernel", str(kernel[0]), "drivers/misc/nope")
    assert run.code == 1
    assert run.err.startswith("driver-policy new: drivers/misc/nope: no such file or directory "
                              "in the tree at ")


def test_collect_and_new_json(kernel: tuple[Path, str], policy: Path,
                              cli: Callable[..., Any]) -> None:
    import json

    path, sha = kernel
    run = cli("-C", str(policy), "collect", "--kernel", str(path), "--dry-run",
              "--format", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["kernel_rev"] == sha and data["dry_run"] is True
    assert data["changed"] == ["drivers/misc/foo.yaml"] and data["unchanged"] == 0
    assert data["window"] == {"start": "2024-01-05", "end": "2025-01-05"}
    new = cli("-C", str(policy), "new", "--kernel", str(path), "drivers/misc/bar.c",
              "--format", "json")
    assert new.code == 0, new.err
    data = json.loads(new.out)
    assert (data["dry_run"], data["kernel_rev"], data["problems"]) == (False, sha, [])
    assert [w | {"files": 0, "commits": 0} for w in data["written"]] == [{
        "id": "misc/bar", "file": "drivers/misc/bar.yaml", "status": "draft",
        "files": 0, "commits": 0,
    }]


def build_busy_kernel(path: Path) -> str:
    """Four drivers, sixty commits over three years: edits, a sweep, renames, a merge."""
    names = ("alpha", "beta", "gamma", "delta")
    h = History(path)
    h.commit("2022-01-03", "initial", {
        "MAINTAINERS": "".join(f"{n.upper()} DRIVER\nM:\tA <a@example.org>\nS:\tMaintained\n"
                               f"F:\tdrivers/misc/{n}/\n\n" for n in names),
        **{f"drivers/misc/{n}/main.c": lines(20 + i, n) for i, n in enumerate(names)},
        **{f"drivers/misc/{n}/util.c": lines(5, n + "u") for n in names},
    })
    for step in range(56):
        name = names[step % 4]
        day = f"{2022 + step // 20}-{1 + step % 12:02d}-{5 + step % 20:02d}"
        author = ("Bob B", "bob@example.org") if step % 3 else ("Cy C", "cy@example.org")
        if step == 20:
            h.commit(day, "treewide: sweep", {f"drivers/misc/{n}/util.c": lines(6, n + "u")
                                              for n in names})
        elif step == 30:
            h.commit(day, "beta: rename util.c", {}, renames=[
                ("drivers/misc/beta/util.c", "drivers/misc/beta/helpers.c")])
        elif step == 40:
            h.commit(day, "gamma: topic", {"drivers/misc/gamma/main.c": lines(70, "gamma")},
                     branch="topic", start_from="main")
            h.commit(day, "Merge branch 'topic'", {}, merge="topic")
        else:
            h.commit(day, f"{name}: fix {step}",
                     {f"drivers/misc/{name}/main.c": lines(20 + step, name)}, author=author)
    return h.build()


def test_collect_writes_the_same_bytes_for_any_jobs(
        tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import checker.collect.runner as runner

    kernel = tmp_path / "linux"
    build_busy_kernel(kernel)
    monkeypatch.setattr(runner, "RUN_SIZE", 3)  # many runs of commits, spread over processes
    written: dict[str, dict[str, bytes]] = {}
    for jobs in ("1", "2"):
        root = make_policy_repo(tmp_path / f"policy-j{jobs}")
        (root / "drivers" / "misc" / "foo.yaml").unlink()
        for name in ("alpha", "beta", "gamma", "delta"):
            (root / "drivers" / "misc" / f"{name}.yaml").write_text(
                DRIVER.replace("foo", name).replace("Foo", name.title()))
        result = cli("-C", str(root), "collect", "--kernel", str(kernel), "--jobs", jobs)
        assert result.code == 0, result.err
        assert ": 4 updated, 0 unchanged;" in result.out
        written[jobs] = {p.relative_to(root).as_posix(): p.read_bytes()
                         for p in sorted(root.rglob("*")) if p.is_file()}
    assert written["1"] == written["2"]
    signals = YAML(typ="safe").load(written["1"]["drivers/misc/beta.yaml"])["signals"]
    assert signals["commits"] >= 5  # in the window; more runs of commits before it
