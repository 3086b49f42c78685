"""Discovery of driver units (checker/discover/), on real trees of each build shape."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import tree_shapes
from collect_fixtures import History
from ruamel.yaml import YAML

from checker.collect.gitrepo import open_repo
from checker.core.errors import CheckerError
from checker.core.paths import PathSpec
from checker.discover.discover import Discovery, discover
from checker.discover.model import Skipped, Unit
from checker.discover.naming import resolve_ids
from checker.discover.rules import DiscoverRules

ENTRY = [r"^\s*module_init\s*\(", r"^\s*module_[a-z0-9_]+_driver\s*\(",
         r"^\s*DT_INST_FOREACH_STATUS_OKAY\s*\(",
         r"^(?:static\s+)?(?:const\s+)?struct\s+file_operations\s+\w+\s*=\s*\{"]
NAMES = [r'MODULE_DESCRIPTION\(\s*"((?:[^"\\\n]|\\.)+)"']


def rules(**extra: object) -> DiscoverRules:
    section: dict[str, object] = {"entry_points": ENTRY, "names": NAMES,
                                  "kconfig": {"top": ["Kconfig"], "env": {}}, **extra}
    return DiscoverRules.from_policy({"discover": section})


RULES = rules(subsystem_core_dependents=0)


def run(path: Path, sha: str, dirs: list[str], use: DiscoverRules = RULES,
        existing: dict[str, PathSpec] | None = None, paths: tuple[str, ...] = ()
        ) -> Discovery:
    repo = open_repo(path)
    try:
        return discover(repo, sha, dirs, use, existing, paths)
    finally:
        repo.close()


@pytest.fixture(scope="module")
def kbuild(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("kbuild") / "linux"
    return path, tree_shapes.build_kbuild(path)


def test_kbuild_units_are_what_kconfig_symbols_build(kbuild: tuple[Path, str]) -> None:
    found = run(*kbuild, ["drivers"])
    got = {u.id: (u.name, u.name_from, u.include, u.kconfig, u.granularity)
           for u in found.units}
    assert got == {
        "net/ne": ("NE2000 ISA support", "kconfig", ("drivers/net/ne.c",), ("NE2000",),
                   "files"),
        "net/ne2k-pci": ("NE2000 PCI support", "kconfig", ("drivers/net/ne2k-pci.c",),
                         ("NE2K_PCI",), "files"),
        # the composite acme.o with the option that adds debug.o; its directory holds
        # other symbols' objects, so the unit is its files (and the header of its stem)
        "net/acme": ("Acme adapters", "kconfig",
                     ("drivers/net/acme/debug.c", "drivers/net/acme/hw.c",
                      "drivers/net/acme/main.c"), ("ACME", "ACME_DEBUG"), "files"),
        # no prompt, nothing selects it, an entry point: enabled by default
        # no MAINTAINERS section is its own (ACME DRIVERS claims acme too): the path
        "net/hidden": ("hidden (drivers/net/acme/hidden.c)", "path",
                       ("drivers/net/acme/hidden.c",), ("ACME_HIDDEN",), "files"),
        # one symbol, two modules with an entry point each: two units; rc-common goes
        # with the first
        "rc/rc-a": ("A remote", "source", ("drivers/rc/rc-a.c", "drivers/rc/rc-common.c"),
                    ("RC_MAP",), "files"),
        "rc/rc-b": ("B remote", "source", ("drivers/rc/rc-b.c",), ("RC_MAP",), "files"),
    }
    assert [(s.path, s.reason, s.detail) for s in found.skipped] == [
        ("drivers/base/core.c", "always-built", "built whenever its directory is "
         "(drivers/base/Makefile:1 gives it no Kconfig symbol)"),
        ("drivers/base/proc.c", "gated-outside", "CONFIG_PROC_FS is defined in fs/Kconfig, "
         "outside drivers/"),
        ("drivers/net/acme/helper.c", "hidden", "CONFIG_ACME_HELPER has no prompt, nothing "
         "selects it and no file of it has an entry point"),
        ("drivers/net/ghost.c", "unknown-symbol", "CONFIG_NOWHERE: no Kconfig file of the "
         "tree defines it"),
        ("drivers/net/lib8390.c", "library", "CONFIG_LIB8390 has no prompt and is selected by "
         "NE2000, NE2K_PCI"),
        ("drivers/net/unbuilt", "not-built", "drivers/net/Makefile names nothing in it"),
    ]


def test_every_file_below_the_directories_is_accounted_for(kbuild: tuple[Path, str]
                                                           ) -> None:
    found = run(*kbuild, ["drivers"])
    below = {p for p in tree_shapes.KBUILD if p.startswith("drivers/")}
    assert set(found.files) == below
    assert found.files["drivers/net/lib8390.c"] == "library"
    assert found.files["drivers/net/lib8390.h"] == "not-source"
    assert found.files["drivers/net/README"] == "not-source"
    assert found.files["drivers/net/Makefile"] == "build-file"
    assert found.files["drivers/net/unbuilt/old.c"] == "not-built"
    assert found.files["drivers/net/acme/main.c"] == "unit:net/acme"


def test_a_symbol_many_units_depend_on_is_a_subsystem_core(kbuild: tuple[Path, str]) -> None:
    # NETDEVICES gates no object of its own here; RC_MAP's units depend on nothing.
    # With a threshold of 1, ACME (which ACME_DEBUG, an option, depends on) stays: only
    # units' symbols count, and ACME_DEBUG builds no unit of its own.
    found = run(*kbuild, ["drivers"], rules(subsystem_core_dependents=1))
    assert "net/acme" in {u.id for u in found.units}


def test_kconfig_is_read_with_its_menus_ifs_selects_and_help(kbuild: tuple[Path, str]
                                                            ) -> None:
    found = run(*kbuild, ["drivers"])
    assert found.kconfig is not None and found.kconfig.engine == "kconfiglib"
    ne = found.kconfig.symbols["NE2000"]
    assert (ne.type, ne.prompt, ne.help.strip(), ne.selects, ne.depends, ne.menu) == (
        "tristate", "NE2000 ISA support", "The NE2000 card.", ("LIB8390",),
        ("NETDEVICES",), ("Device Drivers",))
    assert found.kconfig.symbols["LIB8390"].selected_by == ("NE2000", "NE2K_PCI")
    # arch/$(SRCARCH)/Kconfig with SRCARCH unset: read as empty, with a warning
    assert "Kconfig: arch/Kconfig: sourced but not in the tree: read as empty" in \
        found.warnings


def test_a_directory_of_chips_gives_one_unit_per_chip_and_ids_below_the_root(
        tmp_path: Path) -> None:
    old, new = tree_shapes.build_make_variables(tmp_path / "fw")
    found = run(tmp_path / "fw", new, ["src/drivers"], rules(units="kconfig"))
    assert {u.id: (u.include, u.kconfig, u.name) for u in found.units} == {
        "i2c/a": (("src/drivers/i2c/chips/a/",), ("CHIP_A",), "Chip A"),
        "i2c/b": (("src/drivers/i2c/chips/b/",), ("CHIP_B",), "Chip B"),
        # no registration construct: a user-visible symbol that builds it
        "i2c/tpm": (("src/drivers/i2c/tpm/",), ("DRIVERS_I2C_TPM",), "I2C TPM"),
        # every source of src/drivers/uart is its own: the directory
        "uart/uart": (("src/drivers/uart/",), ("DRIVERS_UART_8250",), "8250 UART"),
    }
    # the same drivers at the revision whose build files were named Makefile.inc
    before = run(tmp_path / "fw", old, ["src/drivers"], rules(units="kconfig"))
    assert [(u.id, u.include) for u in before.units] == [
        (u.id, u.include) for u in found.units]


def test_make_defs_with_conditional_source_lists(tmp_path: Path) -> None:
    sha = tree_shapes.build(tmp_path / "rtos", tree_shapes.MAKE_DEFS)
    found = run(tmp_path / "rtos", sha, ["drivers"])
    assert {u.id: (u.include, u.kconfig) for u in found.units} == {
        "sensors/bmp180": (("drivers/sensors/bmp180.c",), ("SENSORS_BMP180",)),
        "sensors/lm75_uorb": (("drivers/sensors/lm75_uorb.c",), ("SENSORS_LM75",)),
        "sensors/sensor": (("drivers/sensors/sensor.c",), ("SENSORS",)),
    }
    assert Counter(s.reason for s in found.skipped) == {"library": 1, "always-built": 1}
    # `$APPSDIR/Kconfig` names a place outside the tree: read as empty, with a warning
    assert any("$APPSDIR/Kconfig" in w for w in found.warnings)


def test_cmake_sources_ifdef_and_symbols_enabled_by_default(tmp_path: Path) -> None:
    sha = tree_shapes.build(tmp_path / "rtos", tree_shapes.CMAKE)
    found = run(tmp_path / "rtos", sha, ["drivers"])
    assert {u.id: (u.include, u.kconfig, u.name_from) for u in found.units} == {
        "i2c/i2c_common": (("drivers/i2c/i2c_common.c",), ("I2C",), "kconfig"),
        # no prompt, default y, registered by a file-scope macro: a unit
        "i2c/i2c_nrfx": (("drivers/i2c/i2c_nrfx.c",), ("I2C_NRFX",), "path"),
        "i2c/i2c_shell": (("drivers/i2c/i2c_shell.c",), ("I2C_SHELL",), "kconfig"),
    }


def test_meson_markers(tmp_path: Path) -> None:
    sha = tree_shapes.build(tmp_path / "pmd", tree_shapes.MESON)
    use = DiscoverRules.from_policy({"discover": {
        "units": "markers", "unit_markers": [{"file": "meson.build",
                                              "contains": r"^\s*sources\s*\+?=\s*files"}],
        "entry_points": [r"^\s*RTE_PMD_REGISTER_\w+\s*\("], "names": []}})
    found = run(tmp_path / "pmd", sha, ["drivers"], use)
    assert {u.id: (u.include, u.granularity) for u in found.units} == {
        "net/ixq": (("drivers/net/ixq/",), "directory"),
        "net/tap": (("drivers/net/tap/",), "directory"),
    }


def test_a_path_given_by_name_is_one_unit(kbuild: tuple[Path, str]) -> None:
    found = run(*kbuild, [], paths=("drivers/net/acme",))
    assert [(u.id, u.include, u.kconfig) for u in found.units] == [
        ("net/acme", ("drivers/net/acme/",), ("ACME", "ACME_HIDDEN", "ACME_HELPER"))]


def test_existing_files_cover_and_take_ids(kbuild: tuple[Path, str]) -> None:
    found = run(*kbuild, ["drivers"], existing={
        "net/ne2k-pci": PathSpec(["drivers/net/ne2k-pci.c"]),
        "net/ne": PathSpec(["drivers/other/"]),
    })
    ids = {u.id for u in found.units}
    assert "net/ne2k-pci" not in ids
    assert Skipped("drivers/net/ne2k-pci.c", "already-covered", "net/ne2k-pci") in found.skipped
    # net/ne is taken by a file for other paths: no parent directory to add below the
    # subsystem, so the Kconfig symbol is appended
    assert "net/ne-ne2000" in ids


def test_error_no_such_directory(kbuild: tuple[Path, str]) -> None:
    with pytest.raises(CheckerError) as info:
        run(*kbuild, ["drivers/nope"])
    assert str(info.value) == (f"--discover drivers/nope: no such directory in the tree at "
                               f"{kbuild[1][:12]}")


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
    assert only_crypto.units == []
    assert [(s.path, s.reason) for s in only_crypto.skipped] == [("drivers/crypto/qat",
                                                             "built-elsewhere")]


def test_module_directories_are_units_and_the_driver_directory_is_not_one(
        tmp_path: Path) -> None:
    """A tree whose drivers are directories with a Makefile each (RIOT's shape, kept
    back from development): the Makefile of drivers/ itself compiles nothing, so it is
    walked through, not one unit swallowing every driver; drivers that register with
    no macro are units when the policy does not require an entry point; a directory of
    headers alone is no unit."""
    sha = tree_shapes.build(tmp_path / "riot", tree_shapes.MODULE_DIRS)
    use = DiscoverRules.from_policy({"discover": {
        "units": "markers", "unit_markers": [{"file": "Makefile"}],
        "build_files": ["Makefile.*", "Makefile"], "require_entry_point": False,
        "entry_points": [r"[^\s\S]"], "names": []}})
    found = run(tmp_path / "riot", sha, ["drivers"], use)
    assert {u.id: u.include for u in found.units} == {
        "at86rf2xx/at86rf2xx": ("drivers/at86rf2xx/",),
        "bmx280/bmx280": ("drivers/bmx280/",),
        "saul/saul": ("drivers/saul/",),
    }
    assert Skipped("drivers/include/net", "not-a-driver", "only header files",
                   ("drivers/include/net/eth.h", "drivers/include/net/netdev.h")) \
        in found.skipped
    # without the key, a marker-mode unit needs an entry point (the bundled profiles)
    strict = DiscoverRules.from_policy({"discover": {
        "units": "markers", "unit_markers": [{"file": "Makefile"}],
        "build_files": ["Makefile.*", "Makefile"], "entry_points": [r"[^\s\S]"],
        "names": []}})
    assert run(tmp_path / "riot", sha, ["drivers"], strict).units == []
