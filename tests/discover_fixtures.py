"""A small Kbuild-shaped kernel tree for discovery and onboarding tests."""

from __future__ import annotations

from pathlib import Path

from collect_fixtures import History, lines

ENTRY = "module_platform_driver(drv);\n"

KERNEL_FILES: dict[str, str] = {
    "MAINTAINERS": (
        "ACME A DRIVER\nM:\tA <a@example.org>\n#M:\tGone <gone@example.org>\n"
        "S:\tOrphaned\nF:\tdrivers/net/acme/a/\n\n"
        "NETWORKING DRIVERS\nM:\tN <n@example.org>\nS:\tMaintained\nF:\tdrivers/net/\n\n"
        "THE REST\nM:\tL <l@example.org>\nS:\tBuried alive in reporters\nF:\t*\nF:\t*/\n"
    ),
    "Kconfig": 'source "drivers/net/Kconfig"\nsource "drivers/misc/Kconfig"\n',
    "drivers/net/Kconfig": (
        'config NE2000\n\ttristate "NE2000 ISA support"\n\tselect LIB8390\n\n'
        'config ISA_NE\n\ttristate "Old ISA NE clone"\n\n'
        "config LIB8390\n\ttristate\n\n"
        'config I2C_MUX_PCA954x\n\ttristate "PCA954x muxes"\n\n'
        "config ACME_A\n\ttristate\n\n"
        'config ACME_B\n\ttristate "Acme B"\n\n'
        "config FOO\n\ttristate\n"
    ),
    "drivers/misc/Kconfig": "config PLAIN\n\ttristate\n\tselect HELPERS\n\n"
                            "config HELPERS\n\ttristate\n",
    "drivers/misc/Makefile": "obj-$(CONFIG_PLAIN) += plain/\nobj-$(CONFIG_HELPERS) += helpers/\n",
    "drivers/misc/plain/Makefile": "obj-$(CONFIG_PLAIN) += thing.o\n",
    "drivers/misc/helpers/Makefile": "obj-y += util.o\n",
    "drivers/net/Makefile": (
        "obj-y += 8390/ isa/\n"
        "obj-$(CONFIG_NET_VENDOR_ACME) += acme/\n"
        "obj-$(CONFIG_$(PHASE_)FOO) += foo.o\n"
        "foo-y := foo_main.o foo_hw.o\n"
        "obj-$(CONFIG_I2C_MUX_PCA954x) += mux.o\n"
    ),
    "drivers/net/foo_main.c": lines(5) + 'MODULE_DESCRIPTION("Foo network adapter");\n' + ENTRY,
    "drivers/net/foo_hw.c": lines(7),
    "drivers/net/mux.c": lines(3) + ENTRY,
    "drivers/net/8390/Makefile": (
        "obj-$(CONFIG_NE2000) += ne.o\nobj-$(CONFIG_$(SPL_)LIB8390) += lib8390.o\n"),
    "drivers/net/8390/ne.c": lines(10) + "module_init(ne_init);\n",
    "drivers/net/8390/lib8390.c": lines(20),
    "drivers/net/8390/lib8390.h": lines(4),
    "drivers/net/isa/Makefile": "obj-$(CONFIG_ISA_NE) += ne.o\n",
    "drivers/net/isa/ne.c": lines(8) + ENTRY,
    "drivers/net/acme/Makefile": "obj-$(CONFIG_ACME_A) += a/\nobj-$(CONFIG_ACME_B) += b.o\n",
    "drivers/net/acme/a/Makefile": "obj-$(CONFIG_ACME_A) += acme_a.o\nacme_a-objs := x.o y.o\n",
    "drivers/net/acme/a/x.c": lines(4) + ENTRY,
    "drivers/net/acme/a/y.c": lines(4),
    "drivers/net/acme/a/regs.h": lines(2),
    "drivers/net/acme/b.c": lines(6) + ENTRY,
    "drivers/misc/plain/thing.c": lines(3) + ENTRY,
    "drivers/misc/helpers/util.c": lines(3),
}


def build_kbuild_kernel(path: Path) -> str:
    h = History(path)
    h.commit("2023-01-10", "initial", KERNEL_FILES)
    h.commit("2023-06-01", "ne: fix",
             {"drivers/net/8390/ne.c": lines(11) + "module_init(ne_init);\n"})
    h.commit("2024-02-01", "acme: fix", {"drivers/net/acme/a/y.c": lines(5)})
    h.commit("2024-09-01", "foo: feature", {"drivers/net/foo_hw.c": lines(9)})
    return h.build()
