"""Small real trees of each build shape, as git repositories (git fast-import).

- `kbuild`: Kbuild Makefiles and Kconfig with a top file, menus, `if` blocks, selects.
- `make_variables`: Make files named Makefile.inc, renamed Makefile.mk half-way through
  the history, with `<phase>-$(CONFIG_X) += x.c` lines and `subdirs-y`, drivers with no
  registration construct, a directory of chips, ids below src/drivers.
- `make_defs`: NuttX-style Make.defs (`ifeq ($(CONFIG_X),y)` around `CSRCS += x.c`),
  included from the parent Makefile.
- `cmake`: Zephyr-style CMakeLists.txt (`*_sources_ifdef(CONFIG_X x.c)`,
  `add_subdirectory_ifdef`), drivers whose symbols have no prompt and default to y.
- `meson`: DPDK-style meson.build files (`sources = files(...)`), no Kconfig.
"""

from __future__ import annotations

from pathlib import Path

from collect_fixtures import History, git, lines

PLATFORM = "module_platform_driver(drv);\n"
STRUCT = "static struct platform_driver drv = {\n\t.probe = p,\n};\n"

KBUILD: dict[str, str] = {
    "Kconfig": 'mainmenu "Test/$(SRCARCH) Kernel Configuration"\n\n'
               'source "arch/$(SRCARCH)/Kconfig"\nsource "drivers/Kconfig"\n'
               'source "fs/Kconfig"\n',
    "arch/arm/Kconfig": "config ARM\n\tdef_bool y\n",
    # ACME sits in `if NETDEVICES`: a configuration must turn that on too
    "arch/arm/configs/a_defconfig": "CONFIG_NETDEVICES=y\nCONFIG_ACME=y\n",
    "arch/arm/configs/b_defconfig": "CONFIG_NETDEVICES=y\nCONFIG_ACME=y\n",
    "arch/arm/configs/c_defconfig": "CONFIG_NETDEVICES=y\nCONFIG_NE2000=m\n",
    "arch/arm/configs/d_defconfig": "CONFIG_ACME=y\n",  # NETDEVICES off: ACME off
    "arch/arm/boot/dts/board.dts": ('/ {\n\teth@0 {\n\t\tcompatible = "acme,eth", "x,y";\n'
                                    "\t};\n};\n"),
    "arch/arm/boot/dts/other.dtsi": '/ { n { compatible = "other,thing"; }; };\n',
    "arch/x86/Kconfig": "config X86\n\tdef_bool y\n",
    "fs/Kconfig": 'config PROC_FS\n\tbool "proc file system"\n',
    "MAINTAINERS": ("ACME DRIVERS\nM:\tA <a@example.org>\nS:\tMaintained\n"
                    "F:\tdrivers/net/acme/\n\n"
                    "THE REST\nM:\tL <l@example.org>\nS:\tBuried alive in reporters\nF:\t*\n"
                    "F:\t*/\n"),
    "drivers/Kconfig": 'menu "Device Drivers"\nsource "drivers/net/Kconfig"\n'
                       'source "drivers/rc/Kconfig"\nendmenu\n',
    "drivers/Makefile": "obj-y += net/ rc/ base/\n",
    "drivers/base/Makefile": "obj-y += core.o\nobj-$(CONFIG_PROC_FS) += proc.o\n",
    "drivers/base/core.c": lines(5) + "postcore_initcall(x);\n",
    "drivers/base/proc.c": lines(3),
    "drivers/net/Kconfig": (
        'menuconfig NETDEVICES\n\tbool "Network device support"\n\nif NETDEVICES\n\n'
        'config NE2000\n\ttristate "NE2000 ISA support"\n\tselect LIB8390\n\thelp\n'
        "\t  The NE2000 card.\n\n"
        'config NE2K_PCI\n\ttristate "NE2000 PCI support"\n\tselect LIB8390\n\thelp\n'
        "\t  This driver is deprecated and will be removed.\n\n"
        "config LIB8390\n\ttristate\n\n"
        'config ACME\n\ttristate "Acme adapters"\n\n'
        "config ACME_DEBUG\n\tbool \"Acme debugging\"\n\tdepends on ACME\n\n"
        "config ACME_HIDDEN\n\ttristate\n\tdefault y\n\n"
        "config ACME_HELPER\n\ttristate\n\tdefault y\n\nendif\n"),
    "drivers/net/Makefile": (
        "obj-$(CONFIG_NE2000) += ne.o\nobj-$(CONFIG_NE2K_PCI) += ne2k-pci.o\n"
        "obj-$(CONFIG_LIB8390) += lib8390.o\nobj-$(CONFIG_ACME) += acme/\n"
        "obj-$(CONFIG_NOWHERE) += ghost.o\n"),
    "drivers/net/ne.c": lines(10) + 'MODULE_DESCRIPTION("NE2000 driver");\n' + PLATFORM,
    "drivers/net/ne2k-pci.c": lines(8) + PLATFORM,
    "drivers/net/lib8390.c": lines(20),
    "drivers/net/lib8390.h": lines(4),
    "drivers/net/ghost.c": lines(2),
    "drivers/net/README": "not code\n",
    "drivers/net/acme/Makefile": (
        "obj-$(CONFIG_ACME) += acme.o\nacme-y := main.o hw.o\n"
        "acme-$(CONFIG_ACME_DEBUG) += debug.o\n"
        "obj-$(CONFIG_ACME_HIDDEN) += hidden.o\nobj-$(CONFIG_ACME_HELPER) += helper.o\n"),
    "drivers/net/acme/main.c": lines(6) + STRUCT + PLATFORM
    + 'static const struct of_device_id ids[] = {\n\t{ .compatible = "acme,eth" },\n\t{}\n};\n',
    "drivers/net/acme/hw.c": lines(7),
    "drivers/net/acme/debug.c": lines(3),
    "drivers/net/acme/hidden.c": lines(3) + PLATFORM,
    "drivers/net/acme/helper.c": lines(3),
    "drivers/net/acme/regs.h": lines(2),
    "drivers/net/unbuilt/old.c": lines(4) + PLATFORM,
    "drivers/rc/Kconfig": 'config RC_MAP\n\ttristate "Remote controller keymaps"\n',
    "drivers/rc/Makefile": "obj-$(CONFIG_RC_MAP) += rc-a.o rc-b.o rc-common.o\n",
    "drivers/rc/rc-a.c": 'MODULE_DESCRIPTION("A remote");\nmodule_init(a);\n',
    "drivers/rc/rc-b.c": 'MODULE_DESCRIPTION("B remote");\nmodule_init(b);\n',
    "drivers/rc/rc-common.c": lines(3),
}


def build_kbuild(path: Path) -> str:
    h = History(path)
    h.commit("2023-01-10", "initial", KBUILD)
    return h.build()


def make_variables_files(build_file: str) -> dict[str, str]:
    """A firmware-shaped tree whose build files are named `build_file`."""
    return {
        "Kconfig": 'mainmenu "Firmware Configuration"\nsource "src/Kconfig"\n',
        "src/Kconfig": 'menu "Drivers"\nsource "src/drivers/*/Kconfig"\n'
                       'source "src/drivers/*/*/Kconfig"\nendmenu\n',
        f"src/drivers/{build_file}": "subdirs-y += i2c uart\n",
        "src/drivers/i2c/Kconfig": "",
        f"src/drivers/i2c/{build_file}": "subdirs-y += tpm\nsubdirs-y += chips\n",
        "src/drivers/i2c/tpm/Kconfig": 'config DRIVERS_I2C_TPM\n\tbool "I2C TPM"\n',
        f"src/drivers/i2c/tpm/{build_file}": (
            "ramstage-$(CONFIG_DRIVERS_I2C_TPM) += tpm.c\n"
            "bootblock-$(CONFIG_DRIVERS_I2C_TPM) += tpm.c early.c\n"),
        "src/drivers/i2c/tpm/tpm.c": lines(9) + "void tpm_init(void) {}\n",
        "src/drivers/i2c/tpm/early.c": lines(3),
        "src/drivers/i2c/chips/Kconfig": (
            'config CHIP_A\n\tbool "Chip A"\n\nconfig CHIP_B\n\tbool "Chip B"\n'),
        f"src/drivers/i2c/chips/{build_file}": (
            "subdirs-$(CONFIG_CHIP_A) += a\nsubdirs-$(CONFIG_CHIP_B) += b\n"),
        f"src/drivers/i2c/chips/a/{build_file}": "ramstage-y += a.c\n",
        "src/drivers/i2c/chips/a/a.c": lines(4),
        f"src/drivers/i2c/chips/b/{build_file}": "ramstage-y += b.c\n",
        "src/drivers/i2c/chips/b/b.c": lines(5),
        "src/drivers/uart/Kconfig": 'config DRIVERS_UART_8250\n\tbool "8250 UART"\n',
        f"src/drivers/uart/{build_file}": (
            "ifeq ($(CONFIG_DRIVERS_UART_8250),y)\nall-y += uart8250.c\nendif\n"),
        "src/drivers/uart/uart8250.c": lines(6),
    }


def build_make_variables(path: Path) -> tuple[str, str]:
    """(sha of 2021, with Makefile.inc; sha of 2024, renamed to Makefile.mk)."""
    h = History(path)
    old = make_variables_files("Makefile.inc")
    h.commit("2021-03-01", "initial", old)
    new = make_variables_files("Makefile.mk")
    renamed = {p: None for p in old if p.endswith("Makefile.inc")}
    h.commit("2024-03-01", "build: rename Makefile.inc to Makefile.mk",
             {**renamed, **{p: t for p, t in new.items() if p.endswith("Makefile.mk")}})
    last = h.build()
    return git(path, "rev-parse", "HEAD~1").strip(), last


MAKE_DEFS: dict[str, str] = {
    "Kconfig": 'mainmenu "RTOS/$ARCH Configuration"\nsource "drivers/Kconfig"\n'
               'source "$APPSDIR/Kconfig"\n',
    "drivers/Kconfig": 'source "drivers/sensors/Kconfig"\n',
    "drivers/Makefile": "include $(TOPDIR)/Make.defs\nCSRCS = drivers_initialize.c\n"
                        "include sensors/Make.defs\n",
    "drivers/drivers_initialize.c": lines(4),
    "drivers/sensors/Kconfig": (
        'menuconfig SENSORS\n\tbool "Sensor Drivers Support"\n\nif SENSORS\n'
        'config SENSORS_BMP180\n\tbool "Bosch BMP180"\n\n'
        'config SENSORS_LM75\n\tbool "LM75"\n\tselect LM75_I2C\n\n'
        "config LM75_I2C\n\tbool\n\nendif\n"),
    "drivers/sensors/Make.defs": (
        "ifeq ($(CONFIG_SENSORS),y)\nCSRCS += sensor.c\n"
        "ifeq ($(CONFIG_SENSORS_BMP180),y)\nCSRCS += bmp180.c\nendif\n"
        "ifneq ($(CONFIG_SENSORS_LM75),)\nCSRCS += lm75_uorb.c\nendif\n"
        "ifeq ($(CONFIG_LM75_I2C),y)\nCSRCS += lm75.c\nendif\n"
        "DEPPATH += --dep-path sensors\nVPATH += :sensors\nendif\n"),
    "drivers/sensors/sensor.c": lines(8),
    "drivers/sensors/bmp180.c": lines(5) + "static const struct file_operations g_fops =\n{\n};\n",
    "drivers/sensors/lm75_uorb.c": lines(5),
    "drivers/sensors/lm75.c": lines(5),
}

CMAKE: dict[str, str] = {
    "Kconfig": 'mainmenu "Zephyr-like Kernel Configuration"\nsource "drivers/Kconfig"\n',
    "drivers/Kconfig": 'menu "Device Drivers"\nrsource "i2c/Kconfig"\nendmenu\n',
    "drivers/CMakeLists.txt": "add_subdirectory_ifdef(CONFIG_I2C i2c)\n",
    "drivers/i2c/Kconfig": (
        'menuconfig I2C\n\tbool "I2C Drivers"\n\nif I2C\n'
        "config I2C_NRFX\n\tbool\n\tdefault y\n\tdepends on DT_HAS_NRF_ENABLED\n\n"
        "config I2C_SHELL\n\tbool \"I2C Shell\"\n\nendif\n"),
    "drivers/i2c/CMakeLists.txt": (
        "zephyr_library()\nzephyr_library_sources(i2c_common.c)\n"
        "zephyr_library_sources_ifdef(CONFIG_I2C_NRFX\n    i2c_nrfx.c\n)\n"
        "zephyr_library_sources_ifdef(CONFIG_I2C_SHELL i2c_shell.c)\n"),
    "drivers/i2c/i2c_common.c": lines(4),
    "drivers/i2c/i2c_nrfx.c": lines(6) + "DT_INST_FOREACH_STATUS_OKAY(I2C_NRFX_INIT)\n",
    "drivers/i2c/i2c_shell.c": lines(6),
}

MESON: dict[str, str] = {
    "meson.build": "project('PMD kit', 'c')\nsubdir('drivers')\n",
    "drivers/meson.build": "subdirs = ['net']\nforeach d: subdirs\n  subdir(d)\nendforeach\n",
    "drivers/net/meson.build": "drivers = ['ixq', 'tap']\n",
    "drivers/net/ixq/meson.build": "sources = files(\n    'ixq.c',\n    'ixq_rx.c',\n)\n",
    "drivers/net/ixq/ixq.c": lines(5) + "RTE_PMD_REGISTER_PCI(net_ixq, d);\n",
    "drivers/net/ixq/ixq_rx.c": lines(5),
    "drivers/net/tap/meson.build": "sources = files('tap.c')\n",
    "drivers/net/tap/tap.c": lines(5) + "RTE_PMD_REGISTER_VDEV(net_tap, d);\n",
}


# Module directories (a tree shaped like RIOT's): each driver is a directory with a
# Makefile of its own that includes a shared one; drivers/Makefile itself compiles
# nothing; Kconfig exists but gates no object; drivers register with no macro (board
# code calls them); drivers/include holds shared headers only.
MODULE_DIRS = {
    "Kconfig": "config HAS_PERIPH_I2C\n\tbool\n",
    "Makefile": "include Makefile.include\n",
    "drivers/Makefile": "DIRS += $(dir $(wildcard $(addsuffix /Makefile, $(USEMODULE))))\n"
                        "include $(RIOTBASE)/Makefile.base\n",
    "drivers/bmx280/Makefile": "include $(RIOTBASE)/Makefile.base\n",
    "drivers/bmx280/bmx280.c": lines(5) + "int bmx280_init(void) { return 0; }\n",
    "drivers/bmx280/bmx280_saul.c": lines(3),
    "drivers/at86rf2xx/Makefile": "include $(RIOTBASE)/Makefile.base\n",
    "drivers/at86rf2xx/at86rf2xx.c": lines(6),
    "drivers/saul/Makefile": "DIRS += init_devs\ninclude $(RIOTBASE)/Makefile.base\n",
    "drivers/saul/saul_str.c": lines(2),
    "drivers/saul/init_devs/Makefile": "include $(RIOTBASE)/Makefile.base\n",
    "drivers/saul/init_devs/init.c": lines(2),
    "drivers/include/net/netdev.h": lines(2),
    "drivers/include/net/eth.h": lines(2),
    # test applications of drivers: not drivers
    "tests/drivers/bmx280/Makefile": "include ../Makefile.drivers_common\n",
    "tests/drivers/bmx280/main.c": lines(4),
}


def build(path: Path, files: dict[str, str]) -> str:
    h = History(path)
    h.commit("2024-01-10", "initial", files)
    return h.build()
