"""What collect reads from the tree at REV: MAINTAINERS, Kconfig, Makefiles, device tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tree_shapes
from collect_fixtures import POLICY, lines
from conftest import hang_guard
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.collect.gitrepo import open_repo
from checker.collect.kbuild import (
    array_bodies,
    broken_symbols,
    device_ids,
    id_entries,
    parse_makefile,
    strip_comments,
)
from checker.collect.maintainers import match_maintainers, normalise_status, parse_maintainers
from checker.collect.rules import CollectRules
from checker.collect.tree import newest_copyright, read_tree
from checker.core.errors import CheckerError
from checker.core.paths import PathSpec

MAINTAINERS = """\
List of maintainers and how to submit kernel changes
====================================================

Descriptions of section entries and preferred order
\tM: *Mail* patches to: FullName <address@domain>
\tF: *Files* and directories wildcard patterns.

Maintainers List
----------------

3WARE SAS/SATA-RAID SCSI DRIVERS (3W-XXXX, 3W-9XXX, 3W-SAS)
M:\tAdam Radford <aradford@gmail.com>
L:\tlinux-scsi@vger.kernel.org
S:\tSupported
W:\thttp://www.lsi.com
F:\tdrivers/scsi/3w-*

INFINIBAND SUBSYSTEM
M:\tJason Gunthorpe <jgg@nvidia.com>
S:\tSupported
F:\tdrivers/infiniband/
X:\tdrivers/infiniband/hw/

IPOIB DRIVER
M:\tSomeone <s@example.org>
S:\tOdd fixes
F:\tdrivers/infiniband/ulp/ipoib/

SCSI SUBSYSTEM
S:\tMaintained
F:\tdrivers/scsi/

THE REST
S:\tBuried alive in reporters
F:\t*
F:\t*/
"""


def test_parse_maintainers_skips_the_preamble() -> None:
    sections = parse_maintainers(MAINTAINERS)
    assert [s.title for s in sections] == [
        "3WARE SAS/SATA-RAID SCSI DRIVERS (3W-XXXX, 3W-9XXX, 3W-SAS)",
        "INFINIBAND SUBSYSTEM",
        "IPOIB DRIVER",
        "SCSI SUBSYSTEM",
        "THE REST",
    ]
    assert sections[1].exclude == ["drivers/infiniband/hw/"]
    assert sections[2].status == "Odd fixes"


def test_parse_maintainers_reads_a_field_with_a_long_run_of_blanks_in_linear_time() -> None:
    # `\s*(.*?)\s*$` was quadratic in blanks inside a value (minutes for this line)
    text = "ACME\nS:\t Maintained" + " " * 200_000 + "x  \nF:\tdrivers/acme/ \n"
    [section] = parse_maintainers(text)
    assert section.status == "Maintained" + " " * 200_000 + "x"
    assert section.include == ["drivers/acme/"]


@pytest.mark.parametrize(("text", "status"), [
    ("Supported", "Supported"),
    ("Maintained", "Maintained"),
    ("Odd Fixes", "Odd Fixes"),
    ("Odd fixes", "Odd Fixes"),
    ("odd fixes (e.g., new signatures)", "Odd Fixes"),
    ("Orphan", "Orphan"),
    ("Orphan / Obsolete", "Obsolete"),
    ("Obsolete", "Obsolete"),
    ("Buried alive in reporters", "Maintained"),
    ("", "unknown"),
    (None, "unknown"),
    ("Something new", "unknown"),
])
def test_normalise_status(text: str | None, status: str) -> None:
    assert normalise_status(text) == status


def test_most_specific_maintainers_entry() -> None:
    sections = parse_maintainers(MAINTAINERS)
    drivers = {
        "infiniband/ipoib": PathSpec(["drivers/infiniband/ulp/ipoib/"]),
        "scsi/3w-9xxx": PathSpec(["drivers/scsi/3w-9xxx.c"]),
        "scsi/other": PathSpec(["drivers/scsi/other.c"]),
        "infiniband/hw": PathSpec(["drivers/infiniband/hw/mlx4/"]),
        "gone/driver": PathSpec(["drivers/infiniband/ulp/gone/"]),
    }
    files = {
        "infiniband/ipoib": ["drivers/infiniband/ulp/ipoib/ipoib_main.c",
                             "drivers/infiniband/ulp/ipoib/Kconfig"],
        "scsi/3w-9xxx": ["drivers/scsi/3w-9xxx.c"],
        "scsi/other": ["drivers/scsi/other.c"],
        "infiniband/hw": ["drivers/infiniband/hw/mlx4/main.c"],
    }
    chosen = {d: s.title for d, s in match_maintainers(sections, drivers, files).items()}
    assert chosen == {
        "infiniband/ipoib": "IPOIB DRIVER",  # deeper than INFINIBAND SUBSYSTEM
        "scsi/3w-9xxx": "3WARE SAS/SATA-RAID SCSI DRIVERS (3W-XXXX, 3W-9XXX, 3W-SAS)",
        "scsi/other": "SCSI SUBSYSTEM",
        "infiniband/hw": "THE REST",  # excluded from INFINIBAND SUBSYSTEM by X:
        "gone/driver": "INFINIBAND SUBSYSTEM",  # no files at REV: by pattern coverage
    }


KCONFIG = """\
menuconfig INFINIBAND
\ttristate "InfiniBand support"
\tdepends on HAS_IOMEM && HAS_DMA

if INFINIBAND

config INFINIBAND_IPOIB
\ttristate "IP-over-InfiniBand"
\tdepends on NETDEVICES && INET && (IPV6 || IPV6=n)
\thelp
\t  Support for the IP-over-InfiniBand protocol. depends on BROKEN is only help text.

config INFINIBAND_OLD
\ttristate "An old driver"
\tdepends on PCI && BROKEN

config INFINIBAND_NOT_BROKEN
\tbool "Negated"
\tdepends on !BROKEN

endif

menu "Old stuff"
\tdepends on BROKEN

config OLD_IN_MENU
\ttristate "in a broken menu"

endmenu

if BROKEN
config OLD_IN_IF
\tbool "in a broken if"
endif

config AFTER_ALL
\tbool "after the blocks"
"""


def test_broken_symbols() -> None:
    assert broken_symbols(KCONFIG) == {
        "INFINIBAND": False,
        "INFINIBAND_IPOIB": False,
        "INFINIBAND_OLD": True,
        "INFINIBAND_NOT_BROKEN": False,
        "OLD_IN_MENU": True,
        "OLD_IN_IF": True,
        "AFTER_ALL": False,
    }


def test_parse_makefile() -> None:
    makefile = parse_makefile("drivers/scsi", """\
# SPDX-License-Identifier: GPL-2.0
obj-$(CONFIG_SCSI_3W_9XXX)\t+= 3w-9xxx.o
obj-$(CONFIG_SCSI_AIC7XXX) += aic7xxx/ \\
\t\t\t\t   other/
obj-y += common.o
aha152x-objs := aha152x_core.o aha152x_io.o
obj-$(CONFIG_SCSI_AHA152X) += aha152x.o
""")
    assert dict(makefile.gates) == {
        "drivers/scsi/3w-9xxx.o": {"SCSI_3W_9XXX"},
        "drivers/scsi/aic7xxx/": {"SCSI_AIC7XXX"},
        "drivers/scsi/other/": {"SCSI_AIC7XXX"},
        "drivers/scsi/aha152x.o": {"SCSI_AHA152X"},
    }
    assert dict(makefile.members) == {
        "drivers/scsi/aha152x.o": {"drivers/scsi/aha152x_core.o", "drivers/scsi/aha152x_io.o"},
    }


def test_device_ids_count_table_entries() -> None:
    source = """\
/* MODULE_DEVICE_TABLE(pci, commented_out); */
static const struct pci_device_id foo_ids[] = {
\t{ PCI_VDEVICE(INTEL, 0x1234), 0 },
\t{ PCI_DEVICE(0x8086, 0x5678) }, /* a comment { } */
\t{ .vendor = 1, .device = 2 },
\t{ 0, }
};
MODULE_DEVICE_TABLE(pci, foo_ids);

static const struct of_device_id foo_of[] = {
\t{ .compatible = "acme,foo" },
\t{ /* sentinel */ }
};
MODULE_DEVICE_TABLE(of, foo_of);
MODULE_DEVICE_TABLE(usb, defined_elsewhere);
"""
    assert device_ids(source) == 3 + 1 + 1
    assert device_ids("static int x;\n") == 0


@pytest.mark.parametrize(("source", "entries"), [
    # a Linux table, exported or not, and its qualifiers and attributes
    ("static const struct of_device_id foo_of[] = {\n\t{ .compatible = \"a,b\" },\n"
     "\t{ .compatible = \"a,c\" },\n\t{ /* sentinel */ }\n};\n", 2),
    ("static struct pci_device_id __devinitdata tbl[] = { {PCI_DEVICE(1, 2)}, {0,} };\n", 1),
    ("const struct acpi_device_id __maybe_unused ids[2] = { {\"ACPI0001\", 0}, { } };\n", 1),
    # barebox's platform table, a packet framework's (its terminator sets a field to
    # zero: a terminator still)
    ("static const struct platform_device_id gpio_ids[] = {\n\t{ .name = \"x-gpio\" },\n"
     "\t{ }\n};\n", 1),
    ("static const struct rte_pci_id pci_id_map[] = {\n\t{ RTE_PCI_DEVICE(1, 2) },\n"
     "\t{ .vendor_id = 0, /* sentinel */ },\n};\n", 1),
    ("static const struct of_device_id x[] = { { .compatible = NULL, .data = &y }, "
     "{ .compatible = NULL } };\n", 1),
    # firmware and hypervisor tables: OpenSBI's fdt_match, Xen's dt_device_match
    ("static const struct fdt_match serial_uart8250_match[] = {\n"
     "\t{ .compatible = \"ns16550\" },\n\t{ .compatible = \"ns16550a\" },\n\t{ },\n};\n", 2),
    ("static const struct dt_device_match ns16550_dt_match[] __initconst =\n{\n"
     "    DT_MATCH_COMPATIBLE(\"ns16550\"),\n    { /* sentinel */ },\n};\n", 1),
    # preprocessor lines are not entries; quotes hide commas, braces and parentheses
    ("static const struct of_device_id x[] = {\n#ifdef CONFIG_A\n\t{ .compatible = \"a,b\" },"
     "\n#endif\n\t{ .compatible = \"a(\" },\n\t{ .c = '}' },\n\t{}\n};\n", 3),
    # not an id table: another type, no struct, a declaration, a comment
    ("static const struct foo_idx bar[] = { {1}, {2} };\n", 0),
    ("static const int ids[] = { 1, 2, 3 };\n", 0),
    ("extern const struct of_device_id foo_of[];\n", 0),
    ("/* static const struct of_device_id x[] = { {1}, {} }; */\n", 0),
    # `struct` and the type with a comment between: not how trees write it, not counted
    ("static const struct /* x */ of_device_id x[] = { {1}, {} };\n", 0),
    ("", 0),
])
def test_id_entries_count_the_entries_of_id_tables(source: str, entries: int) -> None:
    assert id_entries(source) == entries


def test_a_unit_sums_its_id_tables_and_without_c_source_says_nothing(tmp_path: Path) -> None:
    table = "static const struct of_device_id t[] = {\n\t{ .compatible = \"a,b\" },\n\t{ }\n};\n"
    files = {
        "drivers/net/a/main.c": table + lines(3),
        "drivers/net/a/hw.h": table.replace("t[]", "u[]") + lines(2),
        "drivers/net/b.c": lines(4),
        "drivers/net/c/Kconfig": "config C\n\tbool \"c\"\n",
    }
    sha = tree_shapes.build(tmp_path / "k", files)
    repo = open_repo(tmp_path / "k")
    try:
        facts = read_tree(repo, sha, {"a": PathSpec(["drivers/net/a/"]),
                                      "b": PathSpec(["drivers/net/b.c"]),
                                      "c": PathSpec(["drivers/net/c/"])},
                          CollectRules.from_policy(POLICY))
    finally:
        repo.close()
    assert (facts["a"].id_entries, facts["b"].id_entries, facts["c"].id_entries) == (2, 0, None)


def test_error_policy_lacks_collect_keys() -> None:
    with pytest.raises(CheckerError) as info:
        CollectRules.from_policy({"window": {"months": 60}})
    assert str(info.value) == "policy: collect is missing (collect needs it)"


def test_error_policy_bad_regex() -> None:
    policy = {**POLICY, "collect": {**POLICY["collect"], "mechanical": {
        **POLICY["collect"]["mechanical"], "subject_patterns": ["(unclosed"]}}}
    with pytest.raises(CheckerError) as info:
        CollectRules.from_policy(policy)
    assert str(info.value) == (
        "policy: collect.mechanical.subject_patterns: '(unclosed' is not a valid regular "
        "expression (missing ), unterminated subpattern at position 0)")


def test_default_policy_has_the_collect_keys() -> None:
    from ruamel.yaml import YAML

    root = Path(__file__).resolve().parent.parent
    policy = YAML(typ="safe").load((root / "policies" / "default.yaml").read_text())
    rules = CollectRules.from_policy(policy)
    assert rules.window_months == 60
    assert rules.mechanical_reason("treewide: convert foo", "A", "a@b", 1) is not None
    assert rules.mechanical_reason("net: fix a leak", "A", "a@b", 3) is None
    assert rules.mechanical_reason("net: fix a leak", "A", "a@b", rules.max_files + 1)


@pytest.mark.parametrize("subject", [
    "treewide: convert foo", "net: fix a leak", "GLOBAL: thing", "fix typo in comment",
    "Merge tag 'x'", "scripts/coccinelle: add rule", "drm: switch to the new fb API",
    "drivers: convert all users of foo", "remove unnecessary casts",
])
@pytest.mark.parametrize("author", [("A B", "a@b.org"), ("syzbot", "syzbot+1@x.com"),
                                    ("dependabot[bot]", "1+dependabot[bot]@users.noreply.x")])
def test_fast_mechanical_check_agrees(subject: str, author: tuple[str, str]) -> None:
    from ruamel.yaml import YAML

    root = Path(__file__).resolve().parent.parent
    rules = CollectRules.from_policy(
        YAML(typ="safe").load((root / "policies" / "default.yaml").read_text()))
    for files in (1, rules.max_files + 1):
        slow = rules.mechanical_reason(subject, *author, files) is not None
        assert rules.is_mechanical(subject, *author, files) is slow


def test_makefile_gates_with_build_phase_prefixes() -> None:
    made = parse_makefile("drivers/x", (
        "obj-$(CONFIG_$(PHASE_)FOO) += foo.o\n"
        "obj-$(CONFIG_$(SPL_)BAR) += bar/\n"
        "obj-$(CONFIG_$(SPL_TPL_)BAZ) += baz.o\n"
        "obj-$(CONFIG_$(XPL_)I2C_MUX_PCA954x) += mux.o\n"
        "obj-y += always.o\n"))
    assert dict(made.gates) == {"drivers/x/foo.o": {"FOO"}, "drivers/x/bar/": {"BAR"},
                                "drivers/x/baz.o": {"BAZ"},
                                "drivers/x/mux.o": {"I2C_MUX_PCA954x"}}
    assert made.always == {"drivers/x/always.o"}


def test_maintainers_commented_line_and_catch_all_section() -> None:
    sections = parse_maintainers(
        "FOO DRIVER\nM:\tA <a@example.org>\n#M:\tGone <gone@example.org>\n# note\n"
        "S:\tOrphaned\nF:\tdrivers/foo/\n\n"
        "THE REST\nM:\tL <l@example.org>\nS:\tBuried alive in reporters\nF:\t*\nF:\t*/\n")
    assert [(s.title, s.status, s.include, s.catch_all) for s in sections] == [
        ("FOO DRIVER", "Orphaned", ["drivers/foo/"], False),
        ("THE REST", "Buried alive in reporters", ["*", "*/"], True),
    ]
    assert normalise_status("Orphaned") == "Orphan"


# -- issue 23: the device-table scans are linear and read as the expressions did --------

OLD_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
OLD_ARRAY = re.compile(r"\b(\w+)\s*\[[^\]]*\][\w\s]*=\s*\{")
C_TOKENS = ["/*", "*/", "//", "/", "*", "\n", " ", "\t", "a", "b_1", "é", "[", "]", "=", "{",
            "}", ",", "ids[] = {", "\u2028", "0"]


@settings(max_examples=300, deadline=None)  # more: tests/test_fuzz.py device_tables
@given(st.lists(st.sampled_from(C_TOKENS), max_size=16).map("".join))
def test_the_comment_and_array_scans_read_c_as_the_expressions_did(text: str) -> None:
    assert strip_comments(text) == OLD_COMMENTS.sub(" ", text)
    assert array_bodies(text) == {m.group(1): m.end() for m in OLD_ARRAY.finditer(text)}


@pytest.mark.parametrize("run", ["/* ", "a[", "a [", "x[] ", "//", "MODULE_DEVICE_TABLE(pci, x);",
                                 "struct a_id y[] = {", "struct\ta_ids ", '"', "(", ","])
def test_device_ids_of_a_1_mib_hostile_file_in_linear_time(run: str) -> None:
    """Issue 23: collect hung on a device-table file with a long run of unclosed `/* `
    (or of `a[` without `]`): 36 s for 256 KiB of `a[`, ten minutes or more for these
    1 MiB (a C file in a tree is not bounded like a driver file); milliseconds now. A
    table named many times is counted once per name, not once per mention."""
    table = "static const struct pci_device_id x[] = {\n\t{ 1 },\n\t{ 0 }\n};\n"
    text = table + "MODULE_DEVICE_TABLE(pci, x);\n" + run * ((1 << 20) // len(run))
    with hang_guard():
        count = device_ids(text)
        tables = id_entries(text)
    assert count == (1 + (1 << 20) // len(run) if run.startswith("MODULE") else 1)
    assert tables == 1  # the unclosed tables count nothing: they never end an entry


@pytest.mark.parametrize("run", ['"', "'", "(", ",", "{", "\\", '"a\\"', "#x\n", "0,"])
def test_id_entries_inside_an_unclosed_1_mib_table_in_linear_time(run: str) -> None:
    """The entry scan is one pass: quotes, brackets and commas never send it back."""
    text = "static const struct a_id t[] = {" + run * ((1 << 20) // len(run))
    with hang_guard():
        id_entries(text)


# Symbols from every build grammar (tree.py `_build_file_symbols`): a tree that gates its
# drivers in Make.defs, Makefile.inc/.mk or CMake, not Kbuild `obj-` lines, still names
# the symbol that builds each driver (and so its usage signals can be computed).

Expected = dict[str, tuple[str, tuple[str, ...]]]  # unit -> (its path, its symbols)
SHAPES: dict[str, tuple[dict[str, str], Expected]] = {
    "make_defs": (tree_shapes.MAKE_DEFS, {
        "bmp180": ("drivers/sensors/bmp180.c", ("SENSORS_BMP180",)),
        # `ifneq ($(CONFIG_SENSORS_LM75),)` requires the symbol as `ifeq (...,y)` does
        "lm75-uorb": ("drivers/sensors/lm75_uorb.c", ("SENSORS_LM75",)),
        "lm75": ("drivers/sensors/lm75.c", ("LM75_I2C",)),
        # only the outer conditional gates it: that symbol
        "sensor": ("drivers/sensors/sensor.c", ("SENSORS",)),
        # built unconditionally and defines no symbol
        "init": ("drivers/drivers_initialize.c", ()),
    }),
    "cmake": (tree_shapes.CMAKE, {
        "nrfx": ("drivers/i2c/i2c_nrfx.c", ("I2C_NRFX",)),
        "shell": ("drivers/i2c/i2c_shell.c", ("I2C_SHELL",)),
        # `zephyr_library_sources(...)` under `add_subdirectory_ifdef(CONFIG_I2C i2c)`:
        # the statement has no symbol and no conditional surrounds it in its own file
        "common": ("drivers/i2c/i2c_common.c", ()),
        # a directory all of whose files are the unit's: the subdirectory's symbol
        "i2c": ("drivers/i2c/", ("I2C",)),
    }),
    "make_variables": (tree_shapes.make_variables_files("Makefile.mk"), {
        "uart8250": ("src/drivers/uart/uart8250.c", ("DRIVERS_UART_8250",)),
    }),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_symbols_come_from_every_build_grammar(tmp_path: Path, shape: str) -> None:
    files, want = SHAPES[shape]
    sha = tree_shapes.build(tmp_path / shape, files)
    repo = open_repo(tmp_path / shape)
    try:
        facts = read_tree(repo, sha, {unit: PathSpec([path]) for unit, (path, _) in want.items()},
                          CollectRules.from_policy(POLICY))
    finally:
        repo.close()
    assert {unit: facts[unit].kconfig for unit in want} == {
        unit: symbols for unit, (_, symbols) in want.items()}


def test_a_kbuild_line_wins_over_other_build_files(tmp_path: Path) -> None:
    """Where a Kbuild `obj-` line names the driver, the other grammars are not asked
    (trees read before keep their symbols)."""
    files = {
        "drivers/net/Makefile": "obj-$(CONFIG_NE2000) += ne.o\n",
        "drivers/net/Makefile.extra": "ifeq ($(CONFIG_OTHER),y)\nextra-y += ne.c\nendif\n",
        "drivers/net/ne.c": lines(4),
    }
    sha = tree_shapes.build(tmp_path / "k", files)
    repo = open_repo(tmp_path / "k")
    try:
        facts = read_tree(repo, sha, {"ne": PathSpec(["drivers/net/ne.c"])},
                          CollectRules.from_policy(POLICY))
    finally:
        repo.close()
    assert facts["ne"].kconfig == ("NE2000",)


@pytest.mark.parametrize(("text", "year"), [
    ("/*\n * Copyright (C) 2003-2011 A <a@b>\n * Copyright 2015 B\n */\n", 2015),
    ("// SPDX-FileCopyrightText: 2019, 2021 C\n", 2021),
    ("/* COPYRIGHT (c) 1996 D */\n", 1996),
    ("/* (C) 2024 E */\nint x = 2024;\n", None),  # no notice word on the line
    ("/* Copyright: see 12019 or 20190 or 1969 */\n", None),  # not a year on its own
    ("", None),
    # only the head of the file: notices are at the top
    ("x\n" * 5000 + "/* Copyright 2020 F */\n", None),
])
def test_newest_copyright_year_of_the_head(text: str, year: int | None) -> None:
    assert newest_copyright(text) == year


def test_a_unit_takes_the_newest_copyright_year_of_its_sources(tmp_path: Path) -> None:
    files = {
        "drivers/net/a/main.c": "/* Copyright (C) 2004 A */\n" + lines(3),
        "drivers/net/a/hw.h": "/* Copyright (C) 2004-2009 A */\n" + lines(2),
        "drivers/net/a/README": "Copyright 2024, not a source\n",
        "drivers/net/b.c": lines(4),
    }
    sha = tree_shapes.build(tmp_path / "k", files)
    repo = open_repo(tmp_path / "k")
    try:
        facts = read_tree(repo, sha, {"a": PathSpec(["drivers/net/a/"]),
                                      "b": PathSpec(["drivers/net/b.c"])},
                          CollectRules.from_policy(POLICY))
    finally:
        repo.close()
    assert (facts["a"].copyright_year, facts["b"].copyright_year) == (2009, None)
