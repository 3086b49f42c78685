"""Discovery of driver units in a Kbuild-shaped tree (checker/collect/discover.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from collect_fixtures import History
from discover_fixtures import build_kbuild_kernel
from ruamel.yaml import YAML

from checker.collect.discover import discover
from checker.collect.discover_rules import DiscoverRules
from checker.collect.finder import Skipped, Unit
from checker.collect.gitrepo import open_repo
from checker.collect.naming import resolve_ids
from checker.core.errors import CheckerError
from checker.core.paths import PathSpec

RULES = DiscoverRules.from_policy({
    "collect": {"source_extensions": [".c", ".h", ".S", ".rs"]},
    "discover": {
        "makefiles": ["Makefile", "Kbuild"],
        "unit_markers": [],
        "entry_points": [r"^\s*module_init\s*\(", r"^\s*module_[a-z0-9_]+_driver\s*\("],
        "names": [r'MODULE_DESCRIPTION\(\s*"((?:[^"\\\n]|\\.)+)"'],
    },
})


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("kbuild") / "linux"
    return path, build_kbuild_kernel(path)


def run(kernel: tuple[Path, str], dirs: list[str], existing: dict[str, PathSpec] | None = None,
        ) -> tuple[list[Unit], list[Skipped]]:
    repo = open_repo(kernel[0])
    try:
        return discover(repo, kernel[1], dirs, RULES, existing)
    finally:
        repo.close()


def test_units_of_a_kbuild_tree(kernel: tuple[Path, str]) -> None:
    units, skipped = run(kernel, ["drivers/net"])
    got = {u.id: (u.name, u.name_from, u.include, u.kconfig, u.granularity) for u in units}
    assert got == {
        # the same default id net/ne: the clash rule prefixes the parent directory
        "net/8390-ne": ("NE2000 ISA support", "kconfig", ("drivers/net/8390/ne.c",),
                        ("NE2000",), "files"),
        "net/isa-ne": ("Old ISA NE clone", "kconfig", ("drivers/net/isa/ne.c",),
                       ("ISA_NE",), "files"),
        # a directory whose every gate names ACME_A is one unit; no prompt, no
        # MODULE_DESCRIPTION: the specific MAINTAINERS section names it
        "net/a": ("ACME A DRIVER", "maintainers", ("drivers/net/acme/a/",), ("ACME_A",),
                  "directory"),
        # only the broad NETWORKING DRIVERS section claims it (not specific): the path
        "net/b": ("b (drivers/net/acme/b.c)", "path", ("drivers/net/acme/b.c",),
                  ("ACME_B",), "files"),
        # composite object with a build-phase prefix in the gate
        "net/foo": ("Foo network adapter", "source",
                    ("drivers/net/foo_hw.c", "drivers/net/foo_main.c"), ("FOO",), "files"),
        # mixed-case symbol kept as the tree spells it
        "net/mux": ("PCA954x muxes", "kconfig", ("drivers/net/mux.c",), ("I2C_MUX_PCA954x",),
                    "files"),
    }
    assert {u.id: u.renamed_from for u in units if u.renamed_from} == {
        "net/8390-ne": "net/ne", "net/isa-ne": "net/ne"}
    assert skipped == [Skipped("drivers/net/8390/lib8390.c", "not-a-driver",
                               "no entry point in its sources")]


def test_a_unit_directory_given_to_discover_is_one_unit(kernel: tuple[Path, str]) -> None:
    units, skipped = run(kernel, ["drivers/net/acme/a"])
    assert [(u.id, u.include, u.kconfig, u.granularity) for u in units] == [
        ("net/a", ("drivers/net/acme/a/",), ("ACME_A",), "directory")]
    assert skipped == []


def test_fallback_without_makefile(kernel: tuple[Path, str]) -> None:
    units, skipped = run(kernel, ["drivers/misc"])
    assert [(u.id, u.include, u.granularity) for u in units] == [
        ("misc/plain", ("drivers/misc/plain/",), "directory")]
    assert skipped == [Skipped("drivers/misc/helpers", "not-a-driver",
                               "no entry point in its sources")]


def test_existing_files_cover_and_take_ids(kernel: tuple[Path, str]) -> None:
    units, skipped = run(kernel, ["drivers/net"], {
        "net/mux": PathSpec(["drivers/net/mux.c"]),
        "net/foo": PathSpec(["drivers/other/"]),
    })
    ids = {u.id for u in units}
    assert "net/mux" not in ids
    assert Skipped("drivers/net/mux.c", "already-covered", "net/mux") in skipped
    # net/foo is taken by a file for other paths: no parent directory to add, so the
    # Kconfig symbol is appended
    assert "net/foo-foo" in ids


def test_error_no_such_directory(kernel: tuple[Path, str]) -> None:
    with pytest.raises(CheckerError) as info:
        run(kernel, ["drivers/nope"])
    assert str(info.value) == (f"--discover drivers/nope: no such directory in the tree at "
                               f"{kernel[1][:12]}")


def test_clash_rule_is_deterministic() -> None:
    def unit(path: str) -> Unit:
        return Unit("net/ne", "x", "path", path, (path,), (), "files")

    one = resolve_ids([unit("drivers/net/a/ne.c"), unit("drivers/net/b/ne.c")], set())
    two = resolve_ids([unit("drivers/net/b/ne.c"), unit("drivers/net/a/ne.c")], set())
    assert sorted(u.id for u in one) == sorted(u.id for u in two) == ["net/a-ne", "net/b-ne"]
    same = resolve_ids([unit("drivers/net/ne.c"), unit("drivers/net/ne.c")], set())
    assert sorted(u.id for u in same) == ["net/ne", "net/ne-2"]


def test_error_policy_without_discover_section() -> None:
    with pytest.raises(CheckerError, match="no `discover:` section"):
        DiscoverRules.from_policy({"collect": {}})


def test_error_discover_pattern_with_look_around_is_refused() -> None:
    with pytest.raises(CheckerError) as caught:
        DiscoverRules.from_policy({"discover": {"entry_points": [r"^REGISTER_(?!ALIAS)\w+\("]}})
    assert str(caught.value) == (
        r"policy: discover.entry_points: '^REGISTER_(?!ALIAS)\\w+\\(' cannot be run in "
        "linear time (RE2 refuses it: invalid perl operator: (?!); back-references and "
        "look-around are not allowed")


def test_discover_patterns_run_in_linear_time() -> None:
    # `^(.+)+Z` backtracks exponentially in Python's `re` on a line without Z; in RE2 it
    # is one linear scan, so this returns at once instead of hanging the test run
    rules = DiscoverRules.from_policy({"discover": {"entry_points": ["^(.+)+Z"],
                                                    "names": ["^(a+)+b"]}})
    text = "a" * 5000 + "\n" + "b" * 40
    assert not rules.has_entry_point(text)
    assert rules.has_entry_point(text + "\nxZ")
    assert rules.name_in(text) is None


MESON_RULES = DiscoverRules.from_policy(YAML(typ="safe").load(
    (Path(__file__).resolve().parent.parent / "checker/skeleton/profiles/dpdk.yaml").read_text()))


@pytest.fixture(scope="module")
def meson(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    # DPDK's shape: drivers/common/qat/meson.build compiles crypto/qat and compress/qat,
    # which hold no meson.build of their own
    h = History(tmp_path_factory.mktemp("meson") / "dpdk")
    h.commit("2024-01-01", "initial", {
        "MAINTAINERS": "Intel QuickAssist\nM: A <a@example.org>\nF: drivers/common/qat/\n"
                       "F: drivers/crypto/qat/\nF: drivers/compress/qat/\n",
        "drivers/common/qat/meson.build": (
            "qat_crypto_path = 'crypto/qat'\nqat_crypto_relpath = '../../' + qat_crypto_path\n"
            "qat_compress_path = 'compress/qat'\nqat_crypto_asym_path = 'crypto/qat/asym'\n"
            "escape_path = '../../../etc'\nmissing_path = 'crypto/none'\n"
            "sources += files('qat_device.c')\n"),
        "drivers/common/qat/qat_device.c": "RTE_PMD_REGISTER_PCI(qat, drv);\n",
        "drivers/crypto/qat/qat_sym.c": "RTE_PMD_REGISTER_CRYPTO_DRIVER(a, b, c);\n",
        "drivers/crypto/qat/asym/qat_asym.c": "int x;\n",
        "drivers/compress/qat/qat_comp.c": "int y;\n",
        "drivers/net/e1000/meson.build": "sources = files('e1000.c')\n",
        "drivers/net/e1000/e1000.c": "RTE_PMD_REGISTER_PCI(e1000, drv);\n",
    })
    return h.path, h.build()


def test_a_build_file_that_compiles_other_directories_makes_one_unit(
        meson: tuple[Path, str]) -> None:
    repo = open_repo(meson[0])
    try:
        units, skipped = discover(repo, meson[1], ["drivers"], MESON_RULES)
        only_crypto = discover(repo, meson[1], ["drivers/crypto"], MESON_RULES)
    finally:
        repo.close()
    got = {u.id: (u.name, u.name_from, u.include) for u in units}
    assert got == {
        "common/qat": ("Intel QuickAssist", "maintainers",
                       ("drivers/common/qat/", "drivers/compress/qat/", "drivers/crypto/qat/")),
        "net/e1000": ("e1000 (drivers/net/e1000)", "path", ("drivers/net/e1000/",)),
    }
    assert "drivers/crypto/qat/asym/qat_asym.c" in units[0].files
    part_of = ("built-elsewhere", "part of the unit drivers/common/qat (its build file "
                                  "compiles it)")
    assert [(s.path, s.reason, s.detail) for s in skipped] == [
        ("drivers/compress/qat", *part_of), ("drivers/crypto/qat", *part_of)]
    # discovering only the adopted directory's parent names the unit it belongs to
    assert only_crypto[0] == []
    assert [(s.path, s.reason) for s in only_crypto[1]] == [("drivers/crypto/qat",
                                                             "built-elsewhere")]
