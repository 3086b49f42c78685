"""Discover rules learned from a tree; profiles by match; `init` and `new` that use them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import History, git, lines
from ruamel.yaml import YAML

from checker.collect.gitrepo import open_repo, resolve
from checker.discover.constructs import constructs, pattern
from checker.discover.learn import learn, render_section
from checker.discover.profiles import load_profiles, matching
from checker.discover.rules import DiscoverRules


def firmware_tree() -> dict[str, str]:
    """A tree no profile knows: drivers register with REGISTER_DEVICE(x);, a library
    exports with EXPORT_FN(x);, in src/drivers with Makefile.mk files."""
    files = {
        "Kconfig": 'mainmenu "Firmware"\nsource "src/drivers/Kconfig"\n',
        "src/drivers/Kconfig": 'menu "Drivers"\n',
        "src/drivers/Makefile.mk": "",
        "configs/board_defconfig": "CONFIG_DEV_0=y\n",
    }
    subdirs = []
    for n in range(8):
        d = f"src/drivers/dev{n}"
        subdirs.append(f"dev{n}")
        files["src/drivers/Kconfig"] += (f'config DEV_{n}\n\tbool "Device {n}"\n'
                                         f"\tselect LIB_{n % 2}\n\n")
        files[f"{d}/Makefile.mk"] = f"ramstage-$(CONFIG_DEV_{n}) += dev{n}.c\n"
        files[f"{d}/dev{n}.c"] = (lines(4) + f"static struct chip_ops dev{n}_ops = {{\n}};\n"
                                  f'DEVICE_NAME("Device number {n} driver");\n'
                                  f"REGISTER_DEVICE(dev{n}_ops);\n")
    for n in range(2):
        files["src/drivers/Kconfig"] += f"config LIB_{n}\n\tbool\n\n"
        files[f"src/drivers/lib{n}/Makefile.mk"] = f"ramstage-$(CONFIG_LIB_{n}) += lib.c\n"
        files[f"src/drivers/lib{n}/lib.c"] = lines(3) + "EXPORT_FN(helper);\n"
        subdirs.append(f"lib{n}")
    files["src/drivers/Kconfig"] += "endmenu\n"
    files["src/drivers/Makefile.mk"] = "subdirs-y += " + " ".join(subdirs) + "\n"
    return files


@pytest.fixture(scope="module")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fw") / "fw"
    h = History(path)
    h.commit("2024-01-01", "initial", firmware_tree())
    h.build()
    return path


def test_constructs_at_file_scope() -> None:
    text = ("static const struct pci_driver d =\n{\n};\nmodule_pci_driver(d);\n"
            'MODULE_DESCRIPTION("A driver");\nint\nfoo(int x)\n{\n\tcall(x);\n}\n'
            "DRIVER(x) = {\n};\nif (x) y;\n")
    found = constructs(text)
    assert found.used == {"struct:pci_driver", "macro:module_pci_driver",
                          "macro:MODULE_DESCRIPTION", "macro:DRIVER"}
    assert found.strings == {"string:MODULE_DESCRIPTION": "A driver"}
    assert pattern("macro:module_*_driver") == r"^module_[A-Za-z0-9_]+_driver\s*\("


def test_learned_rules_come_from_the_tree(firmware: Path) -> None:
    repo = open_repo(firmware)
    try:
        learned = learn(repo, resolve(repo, "HEAD").sha)
    finally:
        repo.close()
    section = learned.section
    assert learned.roots == ["src/drivers"]
    assert (section["build_files"], section["units"], section["subsystem_base"]) == (
        ["Makefile.*"], "kconfig", ["src/drivers"])
    assert section["kconfig"] == {"top": ["Kconfig"], "env": {}}
    # the drivers' own constructs, not the library's
    keys = [c.key for c in learned.entry]
    assert keys == ["macro:DEVICE_NAME", "macro:REGISTER_DEVICE", "struct:chip_ops"]
    assert [c.key for c in learned.names] == ["string:DEVICE_NAME"]
    text = render_section(learned, "fw at abc")
    data = YAML(typ="safe").load(text)
    rules = DiscoverRules.from_policy(data)
    assert rules.has_entry_point("REGISTER_DEVICE(x);\n")
    assert "#   macro:REGISTER_DEVICE: 8 unit files, 0 library files; e.g. " in \
        text.replace("    # macro", "#   macro")


def test_profiles_match_what_their_tree_holds() -> None:
    profiles = load_profiles()
    assert set(profiles) == {"barebox", "dpdk", "linux", "rdma-core"}
    assert matching(profiles, {"Kconfig": 'mainmenu "Linux/$(ARCH) Kernel"\n'}) == ["linux"]
    assert matching(profiles, {"Kconfig": 'mainmenu "Firmware"\n'}) == []
    assert matching(profiles, {"meson.build": "project('DPDK', 'c',\n"}) == ["dpdk"]


def test_init_learns_the_rules_of_a_tree_no_profile_matches(
        firmware: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "policy"
    run = cli("init", str(root), "--kernel", str(firmware))
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1].startswith(
        f"init: created a policy repository in {root} (")
    assert "discover rules: learned from" in run.out
    assert "--discover src/drivers/ --dry-run" in run.out
    policy = (root / "policies/default.yaml").read_text()
    assert "# `driver-policy new --discover` rules learned from" in policy
    assert YAML(typ="safe").load(policy)["discover"]["units"] == "kconfig"
    assert "--discover src/drivers/" in (root / "README.md").read_text()
    # a git repository with one commit holding every file
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(root, "status", "--porcelain") == ""
    assert cli("-C", str(root), "check").code == 0
    dry = cli("-C", str(root), "new", "--kernel", str(firmware), "--discover", "src/drivers",
              "--dry-run", "--format", "json")
    units = YAML(typ="safe").load(dry.out)["units"]
    assert [u["id"] for u in units] == [f"dev{n}/dev{n}" for n in range(8)]


def test_init_without_git_and_with_a_profile(tmp_path: Path, cli: Callable[..., Any]) -> None:
    run = cli("init", str(tmp_path / "p"), "--profile", "barebox", "--no-git")
    assert run.code == 0, run.err
    assert not (tmp_path / "p" / ".git").exists()
    assert "discover rules: profile barebox" in run.out


def test_new_learns_when_the_policy_has_no_discover_section(
        firmware: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = tmp_path / "p"
    assert cli("init", str(root), "--no-git").code == 0
    policy = root / "policies/default.yaml"
    text = policy.read_text()
    at = text.index("\ndiscover:\n")
    start = text.rfind("\n\n", 0, at) + 2
    end = text.index("\n\n", at) + 1
    policy.write_text(text[:start] + text[end:])
    run = cli("-C", str(root), "new", "--kernel", str(firmware), "--discover", "src/drivers",
              "--window-end", "2025-01-01")
    assert run.code == 0, run.err
    assert "rules learned from the tree were added to policies/default.yaml" in run.err
    assert "REGISTER_DEVICE" in policy.read_text()
    assert len(list((root / "drivers").rglob("*.yaml"))) == 8


def test_a_kconfig_written_from_a_subdirectory_is_learned_from_there(
        tmp_path: Path) -> None:
    """A tree that keeps its Kconfig in a subdirectory and names every `source` path
    from there (Xen's xen/): the variable is learned from the configurations below that
    directory, and `source "drivers/Kconfig"` reaches hv/drivers/Kconfig (no second top)."""
    files = {
        "hv/Kconfig": 'mainmenu "H"\nsource "arch/$(SRCARCH)/Kconfig"\n'
                      'source "drivers/Kconfig"\n',
        "hv/arch/x86/Kconfig": "config X86\n\tdef_bool y\n\tselect HAS_UART_A\n",
        "hv/arch/arm/Kconfig": "config ARM\n\tdef_bool y\n",
        "hv/arch/x86/configs/a_defconfig": "CONFIG_UART_B=y\n",
        "hv/arch/x86/configs/b_defconfig": "CONFIG_UART_B=n\n",
        "hv/arch/arm/configs/c_defconfig": "CONFIG_UART_B=y\n",
        "hv/drivers/Kconfig": 'config HAS_UART_A\n\tbool\nconfig UART_B\n\tbool "UART B"\n',
        "hv/drivers/Makefile": "obj-$(CONFIG_HAS_UART_A) += uart-a.o\n"
                               "obj-$(CONFIG_UART_B) += uart-b.o\n",
        "hv/drivers/uart-a.c": lines(3) + "REGISTER_UART(a_ops);\n",
        "hv/drivers/uart-b.c": lines(3) + "REGISTER_UART(b_ops);\n",
    }
    h = History(tmp_path / "hv")
    h.commit("2024-01-01", "initial", files)
    h.build()
    repo = open_repo(tmp_path / "hv")
    try:
        learned = learn(repo, resolve(repo, "HEAD").sha)
    finally:
        repo.close()
    kconfig = learned.section["kconfig"]
    assert kconfig["env"] == {"SRCARCH": "x86"}
    assert kconfig["top"][0] == "hv/Kconfig" and "hv/drivers/Kconfig" not in kconfig["top"]


def test_build_files_a_makefile_finds_and_paths_from_the_directory_that_includes_them(
        tmp_path: Path) -> None:
    """OpenSBI's shape: nothing names lib/utils/serial/ (the top Makefile includes what
    `find lib/utils -name objects.mk` lists), its objects.mk names `serial/uart_a.o`
    from lib/utils, and the Kconfig sources `$(SRC_DIR)/lib/utils/Kconfig`, SRC_DIR an
    environment variable that is the tree's root. Each driver is its own unit with its
    symbol (before: one unit per objects.mk directory, and no Kconfig below the top)."""
    files = {
        "Kconfig": 'mainmenu "SBI"\nconfig SRC_DIR\n\tstring\n\toption env="SRC_DIR"\n'
                   'source "$(SRC_DIR)/lib/utils/Kconfig"\n',
        "lib/utils/Kconfig": 'source "$(SRC_DIR)/lib/utils/serial/Kconfig"\n',
        "lib/utils/serial/Kconfig": "",
        "lib/utils/serial/objects.mk": "",
        "Makefile": "mks=$(shell find lib/utils -iname objects.mk)\ninclude $(mks)\n",
        "platform/generic/configs/defconfig": "CONFIG_UART_0=y\n",
        # platform/generic's build file names none of its subdirectories: the vendor's
        # is written from platform/generic (read by the same find), the orphan's from
        # its own directory (nothing builds it)
        "platform/generic/objects.mk": "platform-objs-y += platform.o\n",
        "platform/generic/platform.c": lines(3),
        "platform/generic/vendor/objects.mk":
            "platform-objs-$(CONFIG_PLAT_V) += vendor/board.o\n",
        "platform/generic/vendor/board.c": lines(3),
        "platform/generic/vendor/Kconfig": 'config PLAT_V\n\tbool "Vendor board"\n',
        "platform/generic/orphan/objects.mk": "platform-objs-$(CONFIG_PLAT_O) += old.o\n",
        "platform/generic/orphan/old.c": lines(3),
    }
    files["Kconfig"] += 'source "$(SRC_DIR)/platform/generic/vendor/Kconfig"\n'
    files["platform/generic/orphan/Kconfig"] = 'config PLAT_O\n\tbool "Old board"\n'

    for n in range(6):
        files["lib/utils/serial/Kconfig"] += f'config UART_{n}\n\tbool "UART {n}"\n'
        files["lib/utils/serial/objects.mk"] += (
            f"libutils-objs-$(CONFIG_UART_{n}) += serial/uart_{n}.o\n")
        files[f"lib/utils/serial/uart_{n}.c"] = (
            lines(3) + f"static const struct fdt_match uart_{n}_match[] = {{\n}};\n")
    h = History(tmp_path / "sbi")
    h.commit("2024-01-01", "initial", files)
    h.build()
    repo = open_repo(tmp_path / "sbi")
    try:
        sha = resolve(repo, "HEAD").sha
        learned = learn(repo, sha)
        from checker.discover.discover import discover

        found = discover(repo, sha, ["lib", "platform"],
                         DiscoverRules.from_policy({"discover": learned.section}))
    finally:
        repo.close()
    assert (learned.section["units"], learned.section["kconfig"]["env"]) == (
        "kconfig", {"SRC_DIR": "."})
    assert sorted((u.files, u.kconfig) for u in found.units) == [
        ((f"lib/utils/serial/uart_{n}.c",), (f"UART_{n}",)) for n in range(6)] + [
        (("platform/generic/vendor/Kconfig", "platform/generic/vendor/board.c",
          "platform/generic/vendor/objects.mk"), ("PLAT_V",))]
    assert found.files["platform/generic/orphan/old.c"] == "not-built"
