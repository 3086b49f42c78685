"""Onboarding a tree: `init`, `new --discover`, drivers gone from the tree, bare repos."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import History, git, lines
from conftest import ROOT
from discover_fixtures import build_kbuild_kernel
from ruamel.yaml import YAML
from test_collect_cli import DRIVER, make_policy_repo

from checker.cli.commands.init import SKELETON
from checker.evaluate.engine import evaluate
from checker.validate.models import signals_model as _signals
from checker.validate.workspace import load_workspace


@pytest.fixture(scope="module")
def kbuild(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("kbuild") / "linux"
    return path, build_kbuild_kernel(path)


def test_init_creates_a_repository_that_check_accepts(tmp_path: Path,
                                                       cli: Callable[..., Any]) -> None:
    run = cli("init", str(tmp_path / "policy"))
    assert run.code == 0, run.err
    root = tmp_path / "policy"
    for rel in ("drivers", "policies/default.yaml", "templates/card.md.j2",
                "schema/driver.schema.json", ".pre-commit-config.yaml",
                ".github/workflows/driver-policy.yml", "README.md", "cards/README.md"):
        assert (root / rel).exists(), rel
    assert "driver-policy check" in (root / "README.md").read_text()
    # a pull request's review shows evidence and verdicts; the generated cards collapse
    assert "cards/** linguist-generated=true" in (root / ".gitattributes").read_text()
    assert "--discover drivers/" in (root / "README.md").read_text()
    # the checker is not on PyPI: the README installs it from the checkout init ran from
    assert f".venv/bin/pip install -q {ROOT} " in (root / "README.md").read_text()
    check = cli("-C", str(root), "check")
    assert check.code == 0, check.out + check.err
    again = cli("init", str(root))
    assert (again.code, again.err) == (
        2, f"driver-policy init: usage error: {root}: exists and is not an empty directory\n")


def test_init_picks_the_discover_rules_of_the_tree(tmp_path: Path,
                                                   cli: Callable[..., Any]) -> None:
    h = History(tmp_path / "dpdk")
    h.commit("2024-01-01", "initial", {"meson.build": "project('DPDK', 'c',\n",
                                       "drivers/meson.build": "subdirs = []\n",
                                       "drivers/net/x/meson.build": "sources = files('x.c')\n",
                                       "drivers/net/x/x.c": "RTE_PMD_REGISTER_PCI(x, d);\n"})
    h.build()
    run = cli("init", str(tmp_path / "policy"), "--kernel", str(tmp_path / "dpdk"))
    assert run.code == 0, run.err
    policy = YAML(typ="safe").load((tmp_path / "policy/policies/default.yaml").read_text())
    dpdk = YAML(typ="safe").load((SKELETON / "profiles" / "dpdk.yaml").read_text())
    assert policy["discover"] == dpdk["discover"]
    assert cli("-C", str(tmp_path / "policy"), "check").code == 0


def test_the_packaged_skeleton_is_this_repository_s_policy_and_templates() -> None:
    """One source: the package's skeleton links to this repository's own policy and
    templates, and the default policy's discover: rules are the Linux profile's."""
    repo = Path(__file__).resolve().parent.parent
    for name in ("policies", "templates"):
        assert (SKELETON / name).is_symlink(), name
        assert (SKELETON / name).resolve() == (repo / name).resolve()
    linux = YAML(typ="safe").load((SKELETON / "profiles" / "linux.yaml").read_text())
    policy = YAML(typ="safe").load((repo / "policies/default.yaml").read_text())
    assert linux["discover"] == policy["discover"]


def test_new_discover_dry_run_lists_units_and_skips(kbuild: tuple[Path, str], tmp_path: Path,
                                                    cli: Callable[..., Any]) -> None:
    assert cli("init", str(tmp_path / "p")).code == 0
    run = cli("-C", str(tmp_path / "p"), "new", "--kernel", str(kbuild[0]), "--discover",
              "drivers/net", "--dry-run")
    assert run.code == 0, run.err
    assert ("unit  net/8390-ne  drivers/net/8390/ne.c  [NE2000]  'NE2000 ISA support' "
            "(name from kconfig)  (id net/ne clashed)\n") in run.out
    assert ("skip  drivers/net/8390/lib8390.c  library: CONFIG_LIB8390 has no prompt and is "
            "selected by NE2000\n") in run.out
    assert run.out.splitlines()[-2].startswith(
        "new: 6 unit(s) would be written; 1 skipped (1 library); 2 id(s) changed by "
        "the clash rule (to choose one, scaffold that path alone with --id SUBSYSTEM/NAME)")
    assert run.out.splitlines()[-1] == (
        "files below the directories: 11 in a unit, 4 build-file, 1 library, 1 not-source")
    assert list((tmp_path / "p" / "drivers").rglob("*.yaml")) == []


def test_new_discover_writes_files_that_check_accepts(kbuild: tuple[Path, str],
                                                      tmp_path: Path,
                                                      cli: Callable[..., Any]) -> None:
    root = tmp_path / "p"
    assert cli("init", str(root)).code == 0
    run = cli("-C", str(root), "new", "--kernel", str(kbuild[0]), "--discover", "drivers/net",
              "drivers/misc", "--window-end", "2025-01-01")
    assert run.code == 0, run.err
    assert run.out.startswith("new: 7 unit(s) written; 2 skipped (2 library); 2 id(s) "
                              "changed by the clash rule")
    files = sorted(p.relative_to(root / "drivers").as_posix()
                   for p in (root / "drivers").rglob("*.yaml"))
    # directory units are named after the module their Makefile builds (acme_a.o)
    assert files == ["misc/thing.yaml", "net/8390-ne.yaml", "net/acme_a.yaml", "net/b.yaml",
                     "net/foo.yaml", "net/isa-ne.yaml", "net/mux.yaml"]
    a = YAML(typ="safe").load((root / "drivers/net/acme_a.yaml").read_text())
    assert (a["name"], a["kconfig"], a["maintainers_status"]) == (
        "ACME A DRIVER", ["ACME_A"], "Orphan")  # `#M:` line kept the section; Orphaned
    assert a["signals"]["commits"] == 2  # the initial commit and the 2024-02-01 fix
    mux = YAML(typ="safe").load((root / "drivers/net/mux.yaml").read_text())
    assert mux["kconfig"] == ["I2C_MUX_PCA954x"]
    plain = YAML(typ="safe").load((root / "drivers/misc/thing.yaml").read_text())
    # only THE REST claims it: a catch-all section is no status and no name
    assert (plain["maintainers_status"], plain["signals"]["maintainers_entry"]) == (
        "unknown", "THE REST")
    assert plain["name"] == "thing (drivers/misc/plain)"
    assert cli("-C", str(root), "render").code == 0
    check = cli("-C", str(root), "check", "--list-drafts")
    # scaffolds are drafts: listed with what is left to finish, and no failure
    assert check.code == 0, check.out
    notes = [line for line in check.out.splitlines() if ": " in line and ".yaml:" in line]
    assert notes and all("draft, no verdict published" in line for line in notes), check.out
    again = cli("-C", str(root), "new", "--kernel", str(kbuild[0]), "--discover", "drivers/net")
    assert again.code == 0
    assert again.out.startswith("new: 0 unit(s) written; 7 skipped (6 already-covered, 1 "
                                "library)")


def test_error_id_with_several_paths(kbuild: tuple[Path, str], tmp_path: Path,
                                     cli: Callable[..., Any]) -> None:
    assert cli("init", str(tmp_path / "p")).code == 0
    run = cli("-C", str(tmp_path / "p"), "new", "--kernel", str(kbuild[0]), "--id", "net/x",
              "drivers/net/mux.c", "drivers/net/isa/ne.c")
    assert (run.code, run.err) == (2, "driver-policy new: usage error: --id names one driver: "
                                      "give exactly one KERNEL_PATH with it, and no --discover\n")


def build_removed(path: Path) -> tuple[str, str]:
    h = History(path)
    h.commit("2023-01-10", "initial", {"drivers/misc/foo/main.c": lines(5),
                                       "drivers/misc/other.c": lines(3)})
    h.commit("2023-05-01", "foo: fix", {"drivers/misc/foo/main.c": lines(6)})
    h.commit("2024-03-01", "foo: remove the driver", {"drivers/misc/foo/main.c": None})
    h.commit("2024-06-01", "other: fix", {"drivers/misc/other.c": lines(4)})
    head = h.build()
    removal = git(path, "rev-list", "-n1", "--grep=remove the driver", "HEAD").strip()
    return head, removal


def test_collect_records_a_driver_gone_from_the_tree(tmp_path: Path,
                                                      cli: Callable[..., Any]) -> None:
    head, removal = build_removed(tmp_path / "linux")
    policy = make_policy_repo(tmp_path / "policy")
    refused = cli("-C", str(policy), "collect", "--kernel", str(tmp_path / "linux"))
    assert (refused.code, refused.err) == (1, (
        f"driver-policy collect: --kernel {tmp_path / 'linux'}: the tree at {head[:12]} holds "
        "none of the 1 drivers' paths: is it the tree this repository rules on? Nothing was "
        "written. (To record that drivers are gone from this tree, name them: collect "
        "--kernel PATH ID...)\n"))
    assert (policy / "drivers/misc/foo.yaml").read_text() == DRIVER
    run = cli("-C", str(policy), "collect", "--kernel", str(tmp_path / "linux"), "misc/foo")
    assert run.code == 0, run.err
    assert "1 not in the tree (present: false)" in run.out
    text = (policy / "drivers/misc/foo.yaml").read_text()
    assert f'  removed_in: {{commit: "{removal}", date: 2024-03-01}}\n' in text
    signals = YAML(typ="safe").load(text)["signals"]
    assert (signals["present"], signals["files"], signals["commits"]) == (False, 0, 1)
    # the upstream-removal rule reads it: a seed driver with these signals computes remove
    workspace = load_workspace(ROOT)
    assert workspace.policy is not None
    seed = next(d for d in workspace.drivers if d.id == "infiniband/ipoib")
    gone = replace(seed, signals=_signals(signals))
    verdict = evaluate(gone, workspace.policy)
    assert (verdict.value, verdict.rule) == ("remove", "removed-upstream")
    finding = next(f for f in verdict.findings if f.probe == "upstream_removal")
    assert finding.reason == (f"no file of its paths is in the tree at {head[:12]} "
                              f"(deleted by commit {removal[:12]} on 2024-03-01)")


def test_bare_repository_and_worktree_as_kernel(kbuild: tuple[Path, str], tmp_path: Path,
                                                cli: Callable[..., Any]) -> None:
    bare = tmp_path / "bare"
    git(tmp_path, "clone", "-q", "--bare", str(kbuild[0]), str(bare))
    (bare / "config").unlink()  # a mirror as some tools make it: gitpython guesses wrong
    make_policy_repo(tmp_path / "policy")
    worktree = tmp_path / "worktree"
    git(kbuild[0], "worktree", "add", "-q", "--detach", str(worktree), kbuild[1])
    for kernel in (bare, worktree, kbuild[0]):
        run = cli("-C", str(tmp_path / "policy"), "new", "--kernel", str(kernel),
                  "--dry-run", "drivers/net/mux.c")
        assert run.code == 0, run.err
        assert "unit  net/mux  drivers/net/mux.c  [I2C_MUX_PCA954x]" in run.out
    wrong = cli("-C", str(tmp_path / "policy"), "new", "--kernel", str(bare), "--rev", "v9",
                "drivers/net/mux.c")
    assert wrong.err.startswith(f"driver-policy new: --rev v9: does not name a commit in "
                                f"{bare} (git: fatal: ")


def test_error_discover_does_not_write_through_a_linked_subsystem(
        kbuild: tuple[Path, str], tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "p"
    assert cli("init", str(root)).code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "drivers" / "net").symlink_to(outside)
    run = cli("-C", str(root), "new", "--kernel", str(kbuild[0]), "--discover", "drivers/net")
    assert run.code == 1
    assert run.err.splitlines()[0] == ("driver-policy new: drivers/net/8390-ne.yaml: a link "
                                       "leaves the repository; refusing to write through it")
    assert len(run.err.splitlines()) == 6
    assert list(outside.iterdir()) == []


def test_a_dry_run_that_finds_nothing_says_why(kbuild: tuple[Path, str], tmp_path: Path,
                                               cli: Callable[..., Any]) -> None:
    root = tmp_path / "p"
    assert cli("init", str(root), "--no-git").code == 0
    policy = root / "policies/default.yaml"
    policy.write_text(policy.read_text().replace("build_files: [Makefile, Kbuild]",
                                                 "build_files: [GNUmakefile]"))
    run = cli("-C", str(root), "new", "--kernel", str(kbuild[0]), "--discover", "drivers/net",
              "--dry-run")
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1] == (
        "new: no build file below the directories matched discover.build_files (GNUmakefile): "
        "name the tree's build files there, or remove the policy's discover: section to "
        "learn them from the tree")


def test_init_learns_module_directories_and_new_finds_them(tmp_path: Path,
                                                           cli: Callable[..., Any]) -> None:
    """On a tree shaped like RIOT (a Makefile per driver directory, one in drivers/
    too, Kconfig gating nothing, no registration macro), `init` learned markers and
    `new` found 0 units (drivers/ swallowed everything and then needed an entry point)."""
    import tree_shapes

    kernel = tmp_path / "riot"
    tree_shapes.build(kernel, tree_shapes.MODULE_DIRS)
    root = tmp_path / "p"
    init = cli("init", str(root), "--no-git", "--kernel", str(kernel))
    assert init.code == 0, init.err
    assert "init: driver directories: drivers/\n" in init.out + init.err  # not tests/drivers
    assert "init: units: markers; 3 found before entry points" in init.out + init.err
    policy = (root / "policies/default.yaml").read_text()
    assert "require_entry_point: false" in policy and "module_init" not in policy
    run = cli("-C", str(root), "new", "--kernel", str(kernel), "--discover", "drivers",
              "--dry-run")
    assert run.code == 0, run.err
    assert [line.split()[1] for line in run.out.splitlines() if line.startswith("unit ")] \
        == ["at86rf2xx/at86rf2xx", "bmx280/bmx280", "saul/saul"]
