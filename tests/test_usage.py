"""Usage signals (checker/collect/usage.py) on a real tree with defconfigs and device trees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tree_shapes
from collect_fixtures import History, stamp
from ruamel.yaml import YAML

from checker.collect.gitrepo import open_repo
from checker.collect.kconfig_model import announces_deprecation
from checker.collect.usage import (
    Config,
    UsageOptions,
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
        # a directory of two drivers: built where either is; whose selects and help are
        # the unit's is not known
        "both": (("NE2000", "NE2K_PCI"), ("drivers/net/ne.c", "drivers/net/ne2k-pci.c"), ()),
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
        "configs_changed": None,  # no config_refresh_files: not read
        # the census below drivers/: PROC_FS, NE2000, NE2K_PCI, LIB8390, ACME, ACME_DEBUG,
        # ACME_HIDDEN, ACME_HELPER, RC_MAP (NOWHERE: no Kconfig defines it); built: ACME and
        # its two helpers (default y), NE2000 and LIB8390 (selected), NE2K_PCI (distro)
        "tree_built": 0.667,
        "selected": 0, "dt_users": 1, "deprecated": False, "needs_deprecated": [],
        "staging": False}
    assert usage["ne"]["configs"] == 1 and usage["ne"]["enabled_in"] == [
        "arch/arm/configs/c_defconfig"]
    assert (usage["ne2k"]["configs"], usage["ne2k"]["enabled_in"],
            usage["ne2k"]["deprecated"]) == (1, ["distro.config"], True)
    assert (usage["lib"]["configs"], usage["lib"]["selected"]) == (2, 2)
    assert (usage["both"]["configs"], usage["both"]["enabled_in"], usage["both"]["selected"],
            usage["both"]["deprecated"]) == (
        2, ["arch/arm/configs/c_defconfig", "distro.config"], None, None)
    # no Kconfig defines its symbol: selected and deprecated unknown; in staging
    assert usage["ghost"] == {
        "configs": 0, "configs_read": 5, "enabled_in": [], "configs_changed": None,
        "tree_built": 0.667, "selected": None, "dt_users": None, "deprecated": None,
        "needs_deprecated": None, "staging": True}
    # its own help announces deprecation: `deprecated`, not a need
    assert usage["ne2k"]["needs_deprecated"] == []


def test_configs_changed_is_the_newest_change_to_a_configuration_that_builds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per driver, the newest commit in the window changing a configuration that enables
    it; a refresh of more than config_refresh_files configurations does not count, nor
    does anything before the window or after its end; none changed: the window's start;
    a configuration named with --config is current."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    h = History(tmp_path / "k")
    h.commit("2018-03-01", "initial", tree_shapes.KBUILD)  # before the window
    h.commit("2021-05-04", "arm: a_defconfig: enable more",
             {"arch/arm/configs/a_defconfig": "CONFIG_NETDEVICES=y\nCONFIG_ACME=y\n# x\n"})
    h.commit("2023-07-08", "arm: refresh every defconfig", {  # 3 > 2: a refresh
        f"arch/arm/configs/{n}_defconfig": tree_shapes.KBUILD[
            f"arch/arm/configs/{n}_defconfig"] + "# refreshed\n" for n in "abc"})
    h.commit("2025-02-01", "arm: c_defconfig: after the window",
             {"arch/arm/configs/c_defconfig": "CONFIG_NETDEVICES=y\nCONFIG_NE2000=m\n# y\n"})
    sha = h.build()
    drivers = {"acme": (("ACME",), ("drivers/net/acme/main.c",), ()),
               "ne": (("NE2000",), ("drivers/net/ne.c",), ()),
               "ne2k": (("NE2K_PCI",), ("drivers/net/ne2k-pci.c",), ()),
               "ghost": (("NOWHERE",), ("drivers/staging/ghost.c",), ())}
    window = (stamp("2020-01-01T00:00:00"), stamp("2025-01-01T00:00:00"))
    extra = (Config("distro.config", "CONFIG_NETDEVICES=y\nCONFIG_NE2K_PCI=y\n"),)
    repo = open_repo(tmp_path / "k")
    try:
        usage, _ = usage_signals(repo, sha, drivers, UsageOptions(
            ("Kconfig",), (("SRCARCH", "x86"),), extra, refresh_files=2, window=window))
    finally:
        repo.close()
    changed = {d: usage[d]["configs_changed"] for d in drivers}
    assert changed == {"acme": date(2021, 5, 4), "ne": date(2020, 1, 1),
                       "ne2k": date(2024, 12, 31), "ghost": None}


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


@pytest.mark.parametrize(("help_text", "announces"), [
    # Linux 6.1's help texts: said of the option, its driver or what it supports
    ("  This driver is deprecated and is scheduled for removal by the\n  beginning", True),
    ("  sys_sysfs is an obsolete system call no longer supported in libc.", True),
    ("  Deprecated: AK09911 is now supported by AK8975 driver.", True),
    ("  This was deprecated in 2001 and announced to live on for 5 years.", True),
    ("  Most ATAGS based board files are completely unused and are\n  scheduled for "
     "removal in early 2023", True),
    ("  Config symbol HID_THINGM just selects HID_LED and will be removed soon.", True),
    ("  This option enables support for the (obsolete) EPIA parallel port\n  IDE protocol",
     True),
    # in passing: of something else the help mentions
    ("  This connects to U8500 either on the SSP/SPI bus (deprecated\n  since hardware "
     "version v1.0) or the I2C bus via PRCMU.", False),
    ("  The EISA bus saw limited use between 1988 and 1995 when it was made\n  obsolete "
     "by the PCI bus.", False),
    ("  This target replaced the old obsolete QUEUE target.", False),
    ("  Select legacy driver for non-DT-enabled platforms\n  and for the deprecated "
     "non-EBI binding.", False),
])
def test_help_text_announces_deprecation_only_when_it_says_so_of_something(
        help_text: str, announces: bool) -> None:
    assert announces_deprecation("A driver", help_text) is announces
    # a prompt announces whatever the wording: `(DEPRECATED)`, `(obsolete)`
    assert announces_deprecation("AV7110 cards (DEPRECATED)", help_text)


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
    assert acme["signals"]["usage"]["needs_deprecated"] == []
    # the configurations were added 2023-01-10, inside the window (2020-01-01..2025-01-01)
    assert acme["signals"]["usage"]["configs_changed"] == date(2023, 1, 10)
    assert cli("-C", str(root), "render").code == 0
    check = cli("-C", str(root), "check")
    assert check.code == 0, check.out
    explain = cli("-C", str(root), "explain", "net/acme")
    assert "enabled in 2 of 4 shipped configurations" in explain.out
    assert "config_upkeep             +3  24              a configuration that builds it last " \
        "changed 2023-01, 24 month(s) before 2025-01-01 (boards that build it are " \
        "maintained)" in explain.out


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


def test_configs_changed_in_a_window_that_starts_before_1970(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A window reaching before the epoch is cut by collect, not handed to git as a
    negative --max-age; and git prints no `%ct` for a commit dated before 1970 (2.39),
    so such a change is not read: the window's first day stands, and nothing fails."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    h = History(tmp_path / "k")
    h.commit("1968-03-01", "before the window", tree_shapes.KBUILD)
    h.commit("1969-06-01", "arm: a_defconfig: tweak",
             {"arch/arm/configs/a_defconfig": "CONFIG_NETDEVICES=y\nCONFIG_ACME=y\n# z\n"})
    sha = h.build()
    window = (stamp("1969-01-01T00:00:00"), stamp("1971-01-01T00:00:00"))
    repo = open_repo(tmp_path / "k")
    try:
        usage, _ = usage_signals(repo, sha, {"acme": (("ACME",), ("drivers/net/acme/main.c",),
                                                      ())},
                                 UsageOptions(("Kconfig",), (("SRCARCH", "x86"),),
                                              refresh_files=2, window=window))
    finally:
        repo.close()
    assert usage["acme"]["configs_changed"] == date(1969, 1, 1)


def _random_kconfig(seed: int) -> tuple[str, list[tuple[str, str]], list[str]]:
    """A Kconfig of 30 symbols with random prompts, dependencies, defaults, selects,
    implies and a choice; eight configurations naming random symbols; the census."""
    import random

    rng = random.Random(seed)
    names = [f"S{i}" for i in range(30)]
    text = ['choice\n\tprompt "pick"\n', *(f'config {n}\n\tbool "{n}"\n' for n in names[:3]),
            "endchoice\n"]
    for index, name in enumerate(names[3:], 3):
        lines_ = [f"config {name}", "\ttristate" + (f' "{name}"' if rng.random() < 0.8 else "")]
        if rng.random() < 0.4:
            lines_.append(f"\tdepends on {rng.choice(names[:index])}")
        if rng.random() < 0.25:
            lines_.append(f"\tdefault {rng.choice(['y', 'm', rng.choice(names[:index])])}")
        # every dependency points to a lower index: no loop
        if rng.random() < 0.2 and index < 29:
            lines_.append(f"\tselect {rng.choice(names[index + 1:])}")
        if rng.random() < 0.1 and index < 29:
            lines_.append(f"\timply {rng.choice(names[index + 1:])}")
        text.append("\n".join(lines_) + "\n")
    configs = []
    for number in range(8):
        chosen = rng.sample(names, rng.randint(0, 8))
        configs.append((f"c{number}", "".join(
            f"CONFIG_{n}={rng.choice('ym')}\n" if rng.random() < 0.7
            else f"# CONFIG_{n} is not set\n" for n in chosen)))
    census = [*sorted(rng.sample(names, 20)), "UNDEFINED"]
    return "\n".join(text), configs, census


@pytest.mark.parametrize("seed", range(40))
def test_the_census_asks_less_and_finds_what_asking_every_symbol_finds(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """enabled_in skips census symbols that cannot be on in a configuration (named by
    none, no default, no select or imply, no choice) and those already found on: the
    census equals asking every census symbol in every configuration."""
    from checker.collect.kconfiglib_reader import FAKE_ROOT, enabled_in

    monkeypatch.setenv("srctree", FAKE_ROOT)
    monkeypatch.setenv("KCONFIG_FUNCTIONS", "-")
    kconfig, configs, census = _random_kconfig(seed)
    texts = {"Kconfig": kconfig}
    every, _, _ = enabled_in(texts, ["Kconfig"], configs, census)
    _, defined, built = enabled_in(texts, ["Kconfig"], configs, [], census)
    assert defined == [n for n in census if n != "UNDEFINED"]
    assert built == sorted({n for on in every.values() for n in on})


_NEEDS_KCONFIG = """
config OLD_SOC
\tbool "Old SoC family"
\thelp
\t  This family is deprecated and will be removed.
config NEW_SOC
\tbool "New SoC family"
config PLATFORM_A
\tdef_bool y
\tdepends on OLD_SOC
config DRV_DIRECT
\ttristate "on the old family"
\tdepends on OLD_SOC && NEW_SOC
config DRV_EITHER
\ttristate "on either family"
\tdepends on OLD_SOC || NEW_SOC
config DRV_CHAIN
\ttristate "on a platform of the old family"
\tdepends on PLATFORM_A
config DRV_SELECTING
\ttristate "selects a helper"
\tselect DRV_HELPER
config DRV_NEVER
\ttristate
config DRV_HELPER
\tbool
\tdepends on !NEW_SOC
config DRV_ONLY_OLD_SELECTS
\tbool
config BOARD_OLD
\tbool "a board of the old family"
\tdepends on OLD_SOC
\tselect DRV_ONLY_OLD_SELECTS
config DRV_NEGATED
\ttristate "not on the new family"
\tdepends on !NEW_SOC
config DRV_OTHER_ARCH
\ttristate "on an architecture this parse does not define"
\tdepends on OTHER_ARCH
config DRV_OWN
\ttristate "an obsolete driver"
"""


def test_deprecation_needs_follows_dependencies_and_selects(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What a symbol cannot be enabled without, among the symbols whose help announces
    deprecation: through its dependencies (directly, through a platform symbol), through
    the only symbols that select it; not when another way needs none (a select by a free
    symbol); None where this parse cannot enable it at all (no prompt, default or select;
    a symbol it depends on is not defined); its own announcement is not a need."""
    import kconfiglib

    from checker.collect.kconfiglib_reader import FAKE_ROOT, deprecation_needs, load

    monkeypatch.setenv("srctree", FAKE_ROOT)
    monkeypatch.setenv("KCONFIG_FUNCTIONS", "-")
    kconf, _, _ = load({"Kconfig": _NEEDS_KCONFIG}, ["Kconfig"], ())
    wanted = ["DRV_DIRECT", "DRV_EITHER", "DRV_CHAIN", "DRV_NEVER", "DRV_HELPER",
              "DRV_ONLY_OLD_SELECTS", "DRV_NEGATED", "DRV_OTHER_ARCH", "DRV_OWN",
              "UNDEFINED"]
    assert deprecation_needs(kconfiglib, kconf, wanted) == {
        "DRV_DIRECT": ["OLD_SOC"], "DRV_EITHER": [], "DRV_CHAIN": ["OLD_SOC"],
        "DRV_NEVER": None, "DRV_HELPER": [], "DRV_ONLY_OLD_SELECTS": ["OLD_SOC"],
        "DRV_NEGATED": [], "DRV_OTHER_ARCH": None, "DRV_OWN": []}


def test_a_need_holds_over_every_architecture_and_every_symbol_of_a_unit(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A driver that depends on a family one architecture announces as deprecated needs
    it when no other architecture builds it without; a unit of several symbols needs what
    all of them need."""
    from checker.collect.usage import UsageInputs, evaluate, merge_needs, needed

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = {
        "Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\nsource "drivers/Kconfig"\n',
        "arch/arm/Kconfig": 'config OLD_SOC\n\tbool "Old SoC (deprecated)"\n',
        "arch/x86/Kconfig": "config X86\n\tdef_bool y\n",
        "drivers/Kconfig": ('config DRV\n\ttristate "drv"\n\tdepends on OLD_SOC\n'
                            'config DRV2\n\ttristate "drv2"\n\tdepends on OLD_SOC || X86\n'),
    }
    inputs = UsageInputs(kconfig_texts=texts, configs=[
        Config("arch/arm/configs/a_defconfig", "CONFIG_OLD_SOC=y\n"),
        Config("arch/x86/configs/b_defconfig", "CONFIG_DRV2=y\n")])
    directories = {"arch", "arch/arm", "arch/x86", "arch/arm/configs", "arch/x86/configs",
                   "drivers"}
    evaluation, warnings = evaluate(inputs, ["Kconfig"], {"SRCARCH": "x86"}, directories,
                                    ["DRV", "DRV2"])
    assert warnings == []
    assert evaluation.needs == {"DRV": ["OLD_SOC"], "DRV2": []}
    assert (needed(["DRV"], evaluation.needs), needed(["DRV", "DRV2"], evaluation.needs),
            needed(["NOWHERE"], evaluation.needs)) == (["OLD_SOC"], [], None)
    assert (merge_needs(None, ["A"]), merge_needs(["A"], []), merge_needs(["B"], ["A"]),
            merge_needs(None, None)) == (["A"], [], ["A", "B"], None)
    # a file names at most ten of them (sorted): the schema bounds the list
    from checker.collect.usage import NEEDS_SHOWN, driver_usage

    many = {"S": [f"OLD_{i:02}" for i in range(12)]}
    found = driver_usage(["S"], ["drivers/staging/s.c"], (), {}, 0, None, UsageInputs(),
                         needs=many)
    assert found is not None and found["needs_deprecated"] == many["S"][:NEEDS_SHOWN] == [
        f"OLD_{i:02}" for i in range(10)]
    # no configuration at all: one parse with the policy's variables still says it
    bare = UsageInputs(kconfig_texts=texts)
    alone, _ = evaluate(bare, ["Kconfig"], {"SRCARCH": "arm"}, directories, ["DRV"])
    assert (alone.needs, alone.enabled, alone.built_share()) == ({"DRV": ["OLD_SOC"]}, {},
                                                                  None)


def test_an_architecture_whose_kconfig_cannot_be_read_costs_only_its_configurations(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One child evaluates both architectures; arm's Kconfig files have more lines
    kconfiglib cannot parse than it parses again for (each file is read as empty after
    FILE_FAILURES of them, and five such files exhaust MAX_RETRIES). x86's configuration
    is still evaluated, the failure is said, and nothing is cached (the next run says it
    again)."""
    from checker.collect.usage import UsageInputs, evaluate

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = {
        "Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\nconfig DRV\n\tbool "drv"\n',
        "arch/arm/Kconfig": "".join(f'source "arch/arm/k{n}"\n' for n in range(5)),
        **{f"arch/arm/k{n}": "".join(f"frob {n}\n" for n in range(60)) for n in range(5)},
        "arch/x86/Kconfig": "config X86\n\tdef_bool y\n",
    }
    inputs = UsageInputs(kconfig_texts=texts, configs=[
        Config("arch/arm/configs/a_defconfig", "CONFIG_DRV=y\n"),
        Config("arch/x86/configs/b_defconfig", "CONFIG_DRV=y\n")])
    directories = {"arch", "arch/arm", "arch/x86", "arch/arm/configs", "arch/x86/configs"}
    for _run in range(2):
        evaluation, warnings = evaluate(inputs, ["Kconfig"], {"SRCARCH": "x86"},
                                        directories, ["DRV"], jobs=1)
        assert evaluation.enabled == {"arch/x86/configs/b_defconfig": ["DRV"]}
        assert warnings == ["configurations: could not be evaluated: 1 with SRCARCH=arm "
                            "(RuntimeError: more than 40 lines could not be parsed)"]


def test_a_group_larger_than_a_child_s_share_is_cut_in_runs() -> None:
    from checker.collect.usage import PARSE_COST, schedule

    one = {(): [Config(f"boards/b{n:03}/defconfig", "") for n in range(300)]}
    shares = schedule(one, 2)
    assert [[(env, len(configs)) for env, configs in share] for share in shares] == [
        [((), 150)], [((), 150)]]
    assert [c.name for share in shares for _, c2 in share for c in c2] == [
        c.name for c in one[()]]
    # groups that fit a share are not cut: a parse more would cost more than it saves
    arches = {(("SRCARCH", "arm"),): [Config(f"a{n}", "") for n in range(3 * PARSE_COST)],
              (("SRCARCH", "x86"),): [Config(f"x{n}", "") for n in range(2 * PARSE_COST)]}
    assert [[(env, len(configs)) for env, configs in share]
            for share in schedule(arches, 2)] == [[((("SRCARCH", "arm"),), 60)],
                                                   [((("SRCARCH", "x86"),), 40)]]
    assert schedule({(): []}, 2) == [[((), [])]]


def test_two_children_evaluate_what_one_does(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """One parse for every configuration (no variable): cut in two runs, the result is
    the same, census and needs included."""
    from checker.collect.usage import UsageInputs, evaluate

    texts = {"Kconfig": ('config OLD\n\tbool "Old board (deprecated)"\n'
                         'config DRV\n\tbool "drv"\n\tdepends on OLD\n'
                         'config LIB\n\tbool\nconfig USER\n\tbool "user"\n'
                         '\tselect LIB\n')}
    configs = [Config(f"boards/b{n:02}/defconfig",
                      "CONFIG_OLD=y\nCONFIG_DRV=y\n" if n == 3 else
                      "CONFIG_USER=y\n" if n == 57 else "") for n in range(60)]
    results = []
    for jobs in (1, 2):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / str(jobs)))
        inputs = UsageInputs(kconfig_texts=texts, configs=configs, census={"DRV", "LIB"})
        evaluation, warnings = evaluate(inputs, ["Kconfig"], {}, {"boards"}, ["DRV", "USER"],
                                        jobs=jobs)
        assert warnings == []
        results.append(evaluation.as_json())
    assert results[0] == results[1]
    assert (results[1]["built"], results[1]["needs"]) == (["DRV", "LIB"],
                                                          {"DRV": ["OLD"], "USER": []})
    assert results[1]["enabled"]["boards/b03/defconfig"] == ["DRV"]


def test_a_configuration_gives_a_place_variable_its_own_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """OpenSBI's shape: `source "$(PLATFORM_DIR)/Kconfig"`, the platform being built;
    platform/generic/configs/defconfig is read with platform/generic/Kconfig, whose
    symbol selects the driver. NuttX's shape: `source "$(APPSDIR)/Kconfig"` beside a
    board Kconfig that boards/Kconfig already sources: not read twice, APPSDIR unset."""
    from checker.collect.usage import UsageInputs, evaluate, place_env, place_variables

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = {
        "Kconfig": 'source "$(PLATFORM_DIR)/Kconfig"\nsource "lib/Kconfig"\n',
        "lib/Kconfig": 'config DRV\n\tbool "drv"\n',
        "platform/generic/Kconfig": "config PLAT_GENERIC\n\tdef_bool y\n\tselect DRV\n",
    }
    assert place_variables(texts.values(), {}) == {"PLATFORM_DIR": "Kconfig"}
    inputs = UsageInputs(kconfig_texts=texts, configs=[
        Config("platform/generic/configs/defconfig", "CONFIG_PLAT_GENERIC=y\n")])
    evaluation, warnings = evaluate(inputs, ["Kconfig"], {}, {"platform"}, ["DRV"])
    assert evaluation.enabled == {"platform/generic/configs/defconfig": ["DRV"]}
    assert all("left out" not in w for w in warnings)
    # NuttX's shape, and two variables that would take one directory
    boards = {"Kconfig": 'source "boards/Kconfig"\nsource "$(APPSDIR)/Kconfig"\n',
              "boards/Kconfig": 'source "boards/b1/Kconfig"\n',
              "boards/b1/Kconfig": 'config B1\n\tbool "b1"\n'}
    reached = {"Kconfig", "boards/Kconfig", "boards/b1/Kconfig"}
    assert place_env("boards/b1/configs/nsh/defconfig", {"APPSDIR": "Kconfig"}, boards,
                     reached, "") == {}
    places = {"PLATFORM_DIR": "Kconfig", "APPSDIR": "Kconfig"}
    assert place_env("platform/generic/configs/defconfig", places, texts, set(), "") == {}
    assert place_env("platform/generic/configs/defconfig", {"PLATFORM_DIR": "Kconfig"},
                     texts, set(), "") == {"PLATFORM_DIR": "platform/generic"}
    assert place_env("arch/x86/defconfig", places, texts, set(), "") == {}


def test_configurations_below_a_kconfig_in_a_subdirectory_take_their_architecture(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A tree whose Kconfig is written from a subdirectory (Xen's xen/, `source
    "arch/$(SRCARCH)/Kconfig"` there): a configuration below xen/arch/x86/configs/ is
    read with SRCARCH=x86, whatever the policy's variable says."""
    from checker.collect.usage import UsageInputs, evaluate

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = {
        "xen/Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\nsource "Kconfig.debug"\n',
        "xen/Kconfig.debug": 'config DEBUG\n\tbool "Debug"\n',
        "xen/arch/x86/Kconfig": 'config X86\n\tdef_bool y\nsource "common/Kconfig"\n',
        "xen/arch/arm/Kconfig": 'config ARM\n\tdef_bool y\nsource "common/Kconfig"\n',
        "xen/common/Kconfig": 'config DRV\n\tbool "a driver"\n\tdepends on X86\n',
    }
    inputs = UsageInputs(kconfig_texts=texts, configs=[
        Config("xen/arch/x86/configs/x86_64_defconfig", "CONFIG_DRV=y\n"),
        Config("xen/arch/arm/configs/arm64_defconfig", "CONFIG_DRV=y\n")])
    directories = {"xen", "xen/arch", "xen/arch/x86", "xen/arch/arm", "xen/common",
                   "xen/arch/x86/configs", "xen/arch/arm/configs"}
    evaluation, warnings = evaluate(inputs, ["xen/Kconfig"], {"SRCARCH": "arm"}, directories,
                                    ["DRV"])
    assert warnings == []
    assert evaluation.enabled == {"xen/arch/x86/configs/x86_64_defconfig": ["DRV"],
                                  "xen/arch/arm/configs/arm64_defconfig": []}
