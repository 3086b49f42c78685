"""Usage signals (checker/collect/usage.py) on a real tree with defconfigs and device trees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tree_shapes
from ruamel.yaml import YAML

from checker.collect.gitrepo import open_repo
from checker.collect.usage import (
    Config,
    UsageOptions,
    announces_deprecation,
    dts_compatibles,
    env_for,
    usage_signals,
)


@pytest.fixture(scope="module")
def kbuild(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("usage") / "linux"
    return path, tree_shapes.build_kbuild(path)


def test_configurations_enable_symbols_with_defaults_and_selects(
        kbuild: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    repo = open_repo(kbuild[0])
    drivers = {
        "acme": (("ACME",), ("drivers/net/acme/main.c",), ("acme,eth",)),
        "ne": (("NE2000",), ("drivers/net/ne.c",), ()),
        "ne2k": (("NE2K_PCI",), ("drivers/net/ne2k-pci.c",), ()),
        # selected by NE2000, which c_defconfig enables as a module: on as well
        "lib": (("LIB8390",), ("drivers/net/lib8390.c",), ()),
        "ghost": (("NOWHERE",), ("drivers/staging/ghost.c",), ()),
    }
    extra = (Config("distro.config", "CONFIG_NETDEVICES=y\nCONFIG_NE2K_PCI=y\n"),)
    try:
        usage, warnings = usage_signals(repo, kbuild[1], drivers,
                                        UsageOptions(("Kconfig",), (("SRCARCH", "x86"),), extra))
    finally:
        repo.close()
    assert warnings == []
    assert usage["acme"] == {
        "configs": 2, "configs_read": 5, "enabled_in": ["arch/arm/configs/a_defconfig",
                                                        "arch/arm/configs/b_defconfig"],
        "selected": 0, "dt_users": 1, "deprecated": False, "staging": False}
    assert usage["ne"]["configs"] == 1 and usage["ne"]["enabled_in"] == [
        "arch/arm/configs/c_defconfig"]
    assert (usage["ne2k"]["configs"], usage["ne2k"]["enabled_in"],
            usage["ne2k"]["deprecated"]) == (1, ["distro.config"], True)
    assert (usage["lib"]["configs"], usage["lib"]["selected"]) == (2, 2)
    # no Kconfig defines its symbol: selected and deprecated unknown; in staging
    assert usage["ghost"] == {
        "configs": 0, "configs_read": 5, "enabled_in": [], "selected": None,
        "dt_users": None, "deprecated": None, "staging": True}


def test_a_configuration_is_read_with_the_architecture_it_sits_below() -> None:
    bases = {"SRCARCH": "arch"}
    dirs = {"arch/arm", "arch/x86", "arch/arm/configs"}
    assert env_for("arch/arm/configs/a_defconfig", {"SRCARCH": "x86"}, bases, dirs) == {
        "SRCARCH": "arm"}
    assert env_for("configs/board_defconfig", {"SRCARCH": "x86"}, bases, dirs) == {
        "SRCARCH": "x86"}


def test_device_tree_compatibles_and_deprecation_wording() -> None:
    assert dts_compatibles('n { compatible = "a,b", "c,d"; };\nx = "e,f";\n') == {"a,b", "c,d"}
    assert announces_deprecation("This driver is obsolete; use foo.")
    assert announces_deprecation("It is scheduled for removal in 2027.")
    assert not announces_deprecation("Supports deprecated-mode registers of the chip.")


def test_new_writes_usage_and_check_accepts_it(kbuild: tuple[Path, str], tmp_path: Path,
                                               cli: Callable[..., Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "p"
    assert cli("init", str(root), "--no-git", "--kernel", str(kbuild[0]), "--learn").code == 0
    run = cli("-C", str(root), "new", "--kernel", str(kbuild[0]), "--discover", "drivers",
              "--window-end", "2025-01-01")
    assert run.code == 0, run.err
    acme = YAML(typ="safe").load((root / "drivers/net/acme.yaml").read_text())
    assert acme["signals"]["usage"]["configs"] == 2
    assert cli("-C", str(root), "render").code == 0
    check = cli("-C", str(root), "check")
    assert check.code == 0, check.out
    explain = cli("-C", str(root), "explain", "net/acme")
    assert "enabled in 2 of 4 shipped configurations" in explain.out


@pytest.mark.parametrize("edit", ["usage removed", "usage changed", "crlf, usage removed"])
def test_collect_writes_usage_into_a_file_collected_without_it(
        kbuild: tuple[Path, str], tmp_path: Path, cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    """A file collected before usage signals existed (or with other values) gets them
    from `collect`, in the layout a fresh scaffold has: collect crashed on it (exit 3,
    found on NuttX by benchmarks/collect.py)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "p"
    assert cli("init", str(root), "--no-git", "--kernel", str(kbuild[0]), "--learn").code == 0
    assert cli("-C", str(root), "new", "--kernel", str(kbuild[0]), "--discover", "drivers",
               "--window-end", "2025-01-01").code == 0
    path = root / "drivers/net/acme.yaml"
    scaffold = path.read_bytes()
    text = scaffold.decode()
    head, rest = text.split("  usage:\n", 1)
    block = "".join(line + "\n" for line in rest.split("\n")
                    if line.startswith("    "))
    if "removed" in edit:
        text = head + rest[len(block):]
    else:
        text = text.replace("    configs: 2\n", "    configs: 7\n")
    if "crlf" in edit:
        text = text.replace("\n", "\r\n")
    path.write_bytes(text.encode())
    run = cli("-C", str(root), "collect", "--kernel", str(kbuild[0]),
              "--window-end", "2025-01-01")
    assert run.code == 0, run.err
    expected = scaffold.replace(b"\n", b"\r\n") if "crlf" in edit else scaffold
    assert path.read_bytes() == expected
