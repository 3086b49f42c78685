"""Build a synthetic kernel-like git repository with `git fast-import`, from a seed.

    python benchmarks/make_history.py OUT [--commits 100000] [--drivers 2500] [--seed 1]
                                          [--emit-drivers POLICY_REPO_DIR]

The same seed and sizes give the same repository (the same commit ids). It has:
- driver directories (`drivers/<sub>/<driver>/`, some one level deeper under a vendor
  directory, some with a nested sub-driver that the parent excludes) and single-file
  drivers (`drivers/<sub>/<driver>.c`), with Makefiles, Kconfig symbols (a few
  `depends on BROKEN`), MODULE_DEVICE_TABLE tables in hardware drivers, and code
  outside drivers/ (kernel/, fs/, net/, include/);
- a MAINTAINERS file with a section per driver (the statuses MAINTAINERS uses,
  variants such as `Odd fixes` included) and broader subsystem sections;
- history over six years ending 2026-04-21: everyday driver fixes (activity skewed,
  some drivers dormant, some added late), tree-wide sweeps touching hundreds of files
  (`treewide:` subjects, API conversions), spelling fixes, bot authors, renames
  within drivers and drivers moved out of staging, topic branches merged back, and a
  .mailmap that folds authors' second addresses.

With --emit-drivers DIR, also writes DIR/drivers/<sub>/<driver>.yaml for every
driver (paths pointing at its files, signals empty) and DIR/policies/default.yaml
(copied from this repository), so that `driver-policy -C DIR collect --kernel OUT`
runs on it.
"""

from __future__ import annotations

import argparse
import calendar
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parent.parent
END = calendar.timegm(datetime(2026, 4, 21, 12, 0).timetuple())
YEARS = 6
START = END - YEARS * 365 * 86400 - 86400

SUBSYSTEMS = [
    "net/ethernet", "net/wireless", "net/phy", "net/can", "scsi", "ata", "block", "nvme",
    "gpu/drm", "video/fbdev", "input/touchscreen", "input/joystick", "hid", "media/usb",
    "media/pci", "usb/serial", "usb/gadget", "sound/pci", "hwmon", "iio/adc", "crypto",
    "virtio", "platform/x86", "power/supply", "thermal", "i2c/busses", "spi", "mtd/nand",
    "mmc/host", "tty/serial", "watchdog", "rtc", "leds", "pinctrl", "infiniband/hw",
    "staging", "misc", "char", "firewire", "isdn",
]
VENDORS = ["intel", "amd", "broadcom", "realtek", "marvell", "nvidia", "qualcomm", "ti"]
STATUSES = ["Maintained"] * 8 + ["Supported"] * 5 + ["Odd Fixes"] * 3 + [
    "Odd fixes", "Orphan", "Orphan", "Obsolete", "Orphan / Obsolete"]
OTHER_AREAS = ["kernel/sched", "kernel/time", "fs/ext4", "fs/btrfs", "fs/nfs", "net/core",
               "net/ipv4", "mm", "include/linux", "Documentation/admin-guide", "lib",
               "arch/x86/kernel"]
SWEEP_SUBJECTS = [
    "treewide: replace {a} with {b}",
    "treewide: use {b}() instead of open-coded {a}",
    "drivers: switch to the new {b} API",
    "treewide: remove unneeded {a} casts",
    "{sub}: convert all users of {a} to {b}",
    "treewide: fix spelling mistakes in comments",
]
FIX_SUBJECTS = [
    "{sub}: {name}: fix use-after-free in {fn}",
    "{sub}: {name}: add support for {fn} rev {n}",
    "{sub}: {name}: handle errors from {fn}",
    "{sub}: {name}: fix memory leak on probe failure",
    "{sub}: {name}: drop unused variable in {fn}",
    "{sub}: {name}: add new device ids",
    "{sub}: {name}: fix spelling mistake in {fn}",
    "{sub}: {name}: refactor {fn} locking",
]
PARTS = ["hw", "phy", "dma", "irq", "sysfs", "debugfs", "ethtool"]
BOTS = [("syzbot", "syzbot+{n:x}@syzkaller.appspotmail.com"),
        ("dependabot[bot]", "{n}+dependabot[bot]@users.noreply.github.com")]


@dataclass
class Driver:
    id: str
    sub: str
    name: str
    symbol: str
    files: list[str]
    pattern: str
    exclude: list[str] = field(default_factory=list)
    weight: float = 1.0
    born: int = START
    dies: int = END + 1
    hardware: bool = True
    staging_from: str | None = None  # moved out of drivers/staging at `moved`
    moved: int = 0


class Generator:
    def __init__(self, seed: int, commits: int, drivers: int, out: BinaryIO) -> None:
        self.rng = random.Random(seed)
        self.total = commits
        self.n_drivers = drivers
        self.out = out
        self.files: dict[str, bytes] = {}
        self.mark = 0
        self.head = 0
        self.count = 0
        self.authors: list[tuple[str, str, str | None]] = []  # name, email, second email
        self.drivers: list[Driver] = []
        self.other_files: list[str] = []
        self.serial = 0
        self.locked: set[str] = set()

    # --- content ------------------------------------------------------------------
    def line(self, tag: str) -> bytes:
        self.serial += 1
        return f"\t{tag}_op({self.serial % 9973}, {self.rng.randrange(1 << 16)});\n".encode()

    def body(self, tag: str, count: int) -> bytes:
        return b"".join(self.line(tag) for _ in range(count))

    def c_file(self, tag: str, driver: Driver | None, table: bool) -> bytes:
        head = b"// SPDX-License-Identifier: GPL-2.0\n#include <linux/module.h>\n\n"
        code = b"static int " + tag.encode() + b"_probe(void)\n{\n" + self.body(
            tag, self.rng.randrange(20, 90)) + b"\treturn 0;\n}\n"
        if table and driver is not None:
            ids = "".join(f"\t{{ PCI_VDEVICE(VENDOR, 0x{self.rng.randrange(1 << 16):04x}) }},\n"
                          for _ in range(self.rng.randrange(1, 16)))
            code += (f"\nstatic const struct pci_device_id {tag}_ids[] = {{\n{ids}\t{{ }}\n}};\n"
                     f"MODULE_DEVICE_TABLE(pci, {tag}_ids);\n").encode()
        return head + code + b'MODULE_LICENSE("GPL");\n'

    def mutate(self, path: str) -> bytes:
        data = self.files[path]
        lines = data.splitlines(keepends=True)
        rng = self.rng
        tag = path.rsplit("/", 1)[-1].split(".")[0].replace("-", "_")
        for _ in range(rng.randrange(1, 3)):
            at = rng.randrange(3, max(4, len(lines) - 4))
            drop = rng.choice((0, 1, 1, 2, 3, 5)) if len(lines) > 40 else 0
            add = rng.choice((0, 1, 1, 2, 3, 4, 8)) if len(lines) < 160 else 0
            if drop == 0 and add == 0:
                add = 1
            lines[at:at + drop] = [self.line(tag) for _ in range(add)]
        new = b"".join(lines)
        self.files[path] = new
        return new

    # --- fast-import --------------------------------------------------------------
    def author(self, bot_chance: float = 0.0) -> tuple[str, str]:
        if self.rng.random() < bot_chance:
            name, email = self.rng.choice(BOTS)
            return name, email.format(n=self.rng.randrange(1 << 20))
        name, email, second = self.rng.choice(self.authors)
        if second and self.rng.random() < 0.4:
            return name.split(" ")[0], second  # mis-spelt name and old address: .mailmap fixes
        return name, email

    def emit(self, when: int, subject: str, changes: dict[str, bytes | None],
             renames: list[tuple[str, str]] = (), author: tuple[str, str] | None = None,
             branch: str = "refs/heads/main", parent: int | None = None,
             merge: int | None = None) -> int:
        self.mark += 1
        name, email = author or self.author()
        message = subject.encode() + b"\n"
        parts = [f"commit {branch}\nmark :{self.mark}\n"
                 f"author {name} <{email}> {when - self.rng.randrange(0, 86400 * 3)} +0000\n"
                 f"committer {name} <{email}> {when} +0000\n"
                 f"data {len(message)}\n".encode(), message]
        base = self.head if parent is None else parent
        if base:
            parts.append(f"from :{base}\n".encode())
        if merge:
            parts.append(f"merge :{merge}\n".encode())
        for old, new in renames:
            parts.append(f"R {old} {new}\n".encode())
        for path, data in changes.items():
            if data is None:
                parts.append(f"D {path}\n".encode())
            else:
                parts.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode())
                parts.append(data)
                parts.append(b"\n")
        parts.append(b"\n")
        self.out.write(b"".join(parts))
        if branch == "refs/heads/main":
            self.head = self.mark
        self.count += 1
        return self.mark

    # --- the tree -----------------------------------------------------------------
    def plan(self) -> None:
        rng = self.rng
        first = ["Ann", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai",
                 "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Ravi", "Sara", "Timo", "Uma",
                 "Vera", "Wei", "Xena", "Yuri", "Zoe"]
        for i in range(3000):
            name = f"{rng.choice(first)} {rng.choice(first)}son{i}"
            email = f"dev{i}@{rng.choice(['example.org', 'corp.example', 'mail.example'])}"
            second = f"dev{i}@old.example" if rng.random() < 0.1 else None
            self.authors.append((name, email, second))
        per_sub: dict[str, int] = {}
        singles = self.n_drivers // 5
        for i in range(self.n_drivers):
            sub = SUBSYSTEMS[i % len(SUBSYSTEMS)]
            per_sub[sub] = per_sub.get(sub, 0) + 1
            short = sub.split("/")[-1].replace("-", "")
            name = f"{short}{i:05d}"
            symbol = f"{sub.replace('/', '_').upper()}_{name.upper()}"
            weight = rng.paretovariate(1.2) if rng.random() > 0.2 else 0.02
            born = START if rng.random() > 0.1 else rng.randrange(START, END - 86400 * 200)
            driver = Driver(f"{short}/{name}", sub, name, symbol, [], "", weight=weight,
                            born=born, hardware=rng.random() < 0.65)
            if rng.random() < 0.08:
                driver.dies = rng.randrange(START + 86400 * 300, END - 86400 * 900)
            if i < singles:  # a single-file driver
                path = f"drivers/{sub}/{name}.c"
                driver.files = [path]
                driver.pattern = path
            else:
                vendor = rng.choice(VENDORS) if rng.random() < 0.3 else None
                base = f"drivers/{sub}/{vendor}/{name}" if vendor else f"drivers/{sub}/{name}"
                count = rng.randrange(2, 7)
                driver.files = [f"{base}/{name}_main.c"] + [
                    f"{base}/{name}_{part}.c" for part in
                    rng.sample(PARTS, count - 1)
                ] + [f"{base}/{name}.h", f"{base}/Makefile"]
                driver.pattern = f"{base}/"
                if rng.random() < 0.02 and born == START:
                    driver.staging_from = f"drivers/staging/{name}"
                    driver.moved = rng.randrange(START + 86400 * 200, END - 86400 * 400)
            self.drivers.append(driver)
        # nested sub-drivers: the parent excludes the child's directory
        for parent in self.drivers[singles:singles + 60]:
            child_dir = parent.pattern + "fw/"
            child = Driver(parent.id + "-fw", parent.sub, parent.name + "-fw",
                           parent.symbol + "_FW",
                           [child_dir + "fw_loader.c", child_dir + "Makefile"],
                           child_dir, weight=parent.weight / 2, born=parent.born,
                           hardware=False, staging_from=None)
            if parent.staging_from:
                continue
            parent.exclude.append(child_dir)
            self.drivers.append(child)
        for area in OTHER_AREAS:
            for j in range(rng.randrange(30, 90)):
                suffix = (".h" if area == "include/linux"
                          else ".rst" if area.startswith("Doc") else ".c")
                self.other_files.append(f"{area}/file{j}{suffix}")

    def location(self, driver: Driver, path: str, when: int) -> str:
        if driver.staging_from and when < driver.moved:
            return path.replace(driver.pattern.rstrip("/"), driver.staging_from, 1)
        return path

    def driver_files_at(self, driver: Driver, when: int) -> list[str]:
        return [self.location(driver, p, when) for p in driver.files]

    def content_for(self, driver: Driver, path: str) -> bytes:
        leaf = path.rsplit("/", 1)[-1]
        if leaf == "Makefile":
            if driver.files[0].endswith("fw_loader.c"):
                return f"obj-$(CONFIG_{driver.symbol}) += fw_loader.o\n".encode()
            objs = " ".join(p.rsplit("/", 1)[-1].replace(".c", ".o")
                            for p in driver.files if p.endswith(".c"))
            return (f"obj-$(CONFIG_{driver.symbol}) += {driver.name}.o\n"
                    f"{driver.name}-y := {objs}\n").encode()
        if leaf.endswith(".h"):
            return f"/* {driver.name} */\n#ifndef _{driver.name.upper()}_H\n".encode() + self.body(
                driver.name, self.rng.randrange(10, 40)) + b"#endif\n"
        tag = leaf.split(".")[0].replace("-", "_")
        table = driver.hardware and (leaf.endswith("_main.c") or len(driver.files) == 1)
        return self.c_file(tag, driver, table)

    def subsystem_files(self, when: int) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        by_sub: dict[str, list[Driver]] = {}
        for driver in self.drivers:
            if driver.born <= when < driver.dies and not driver.files[0].endswith("fw_loader.c"):
                by_sub.setdefault(driver.sub, []).append(driver)
        for sub, members in by_sub.items():
            kconfig, make = [], []
            for driver in members:
                dormant = driver.weight < 0.05 and hash_of(driver.id) % 4 == 0
                broken = "\tdepends on BROKEN\n" if dormant else ""
                kconfig.append(f"config {driver.symbol}\n\ttristate \"{driver.name} support\"\n"
                               f"\tdepends on PCI\n{broken}\thelp\n"
                               f"\t  The {driver.name} driver.\n\n")
                if len(driver.files) == 1:
                    make.append(f"obj-$(CONFIG_{driver.symbol}) += {driver.name}.o\n")
                elif not (driver.staging_from and when < driver.moved):
                    rel = driver.pattern[len(f"drivers/{sub}/"):]
                    make.append(f"obj-$(CONFIG_{driver.symbol}) += {rel}\n")
            out[f"drivers/{sub}/Kconfig"] = "".join(kconfig).encode()
            out[f"drivers/{sub}/Makefile"] = "".join(make).encode()
        return out

    def maintainers(self, when: int) -> bytes:
        rng = random.Random(7)
        sections = []
        for sub in SUBSYSTEMS:
            sections.append((f"{sub.upper().replace('/', ' ')} SUBSYSTEM",
                             "M:\tSub Maintainer <sub@example.org>\nS:\tMaintained\n"
                             f"F:\tdrivers/{sub}/\n"))
        for driver in self.drivers:
            if not driver.born <= when < driver.dies or rng.random() < 0.12:
                continue
            status = rng.choice(STATUSES)
            where = driver.pattern if not (driver.staging_from and when < driver.moved) \
                else driver.staging_from + "/"
            fields = f"M:\tDev <dev@example.org>\nL:\tlist@example.org\nS:\t{status}\nF:\t{where}\n"
            for ex in driver.exclude:
                fields += f"X:\t{ex}\n"
            sections.append((f"{driver.name.upper()} DRIVER", fields))
        sections.sort()
        head = ("List of maintainers\n===================\n\n"
                "Descriptions of section entries and preferred order\n"
                "\tM: *Mail* patches to: FullName <address@domain>\n"
                "\tF: *Files* and directories wildcard patterns.\n\n"
                "Maintainers List\n----------------\n\n")
        return (head + "\n".join(f"{t}\n{f}" for t, f in sections)).encode()

    def mailmap(self) -> bytes:
        out = []
        for name, email, second in self.authors:
            if second:
                out.append(f"{name} <{email}> <{second}>\n")
        return "".join(out).encode()

    # --- history ------------------------------------------------------------------
    def run(self) -> None:
        rng = self.rng
        self.plan()
        initial: dict[str, bytes | None] = {".mailmap": self.mailmap()}
        for driver in self.drivers:
            if driver.born == START:
                for path in driver.files:
                    loc = self.location(driver, path, START)
                    self.files[loc] = self.content_for(driver, path)
                    initial[loc] = self.files[loc]
        for path in self.other_files:
            self.files[path] = self.c_file(path.rsplit("/", 1)[-1].split(".")[0], None, False)
            initial[path] = self.files[path]
        initial.update(self.subsystem_files(START))
        initial["MAINTAINERS"] = self.maintainers(START)
        self.emit(START, "Initial import of the synthetic tree", initial,
                  author=("Tree Builder", "builder@example.org"))

        weights = [d.weight for d in self.drivers]
        cumulative = []
        acc = 0.0
        for w in weights:
            acc += w
            cumulative.append(acc)
        step = (END - START) // self.total
        births = sorted((d.born, i) for i, d in enumerate(self.drivers) if d.born > START)
        moves = sorted((d.moved, i) for i, d in enumerate(self.drivers) if d.staging_from)
        deaths = sorted((d.dies, i) for i, d in enumerate(self.drivers) if d.dies <= END)
        topics: list[dict[str, object]] = []
        when = START
        next_sweep = START + 86400 * 10
        next_maint = START + 86400 * 30
        while self.count < self.total:
            when += max(1, int(rng.expovariate(1 / step)))
            if when >= END:
                when = END - (self.total - self.count)
            # structural events first
            if births and births[0][0] <= when:
                _, i = births.pop(0)
                driver = self.drivers[i]
                changes: dict[str, bytes | None] = {}
                for path in driver.files:
                    self.files[path] = self.content_for(driver, path)
                    changes[path] = self.files[path]
                changes.update(self.subsystem_files(when))
                self.emit(when, f"{driver.sub}: add {driver.name} driver", changes)
                continue
            if moves and moves[0][0] <= when:
                _, i = moves.pop(0)
                driver = self.drivers[i]
                renames = []
                for path in driver.files:
                    old = self.location(driver, path, driver.moved - 1)
                    renames.append((old, path))
                    self.files[path] = self.files.pop(old)
                changes = dict(self.subsystem_files(when))
                self.emit(when, f"{driver.sub}: move {driver.name} out of staging", changes,
                          renames=renames)
                continue
            if deaths and deaths[0][0] <= when:
                _, i = deaths.pop(0)
                driver = self.drivers[i]
                changes = {}
                for path in self.driver_files_at(driver, when):
                    if self.files.pop(path, None) is not None:
                        changes[path] = None
                changes.update(self.subsystem_files(when))
                self.emit(when, f"{driver.sub}: remove the obsolete {driver.name} driver", changes)
                continue
            if when >= next_sweep:
                next_sweep = when + int(86400 * rng.uniform(7, 21))
                self.sweep(when)
                continue
            if when >= next_maint:
                next_maint = when + 86400 * 60
                self.emit(when, "MAINTAINERS: update entries",
                          {"MAINTAINERS": self.maintainers(when)})
                continue
            roll = rng.random()
            if roll < 0.22:
                path = rng.choice(self.other_files)
                area = path.rsplit("/", 1)[0]
                self.emit(when, f"{area}: {rng.choice(['fix', 'clean up', 'optimise'])} "
                          f"{path.rsplit('/', 1)[-1]}", {path: self.mutate(path)})
                continue
            if roll < 0.24 and len(topics) < 3:
                self.start_topic(when, cumulative, topics)
                continue
            if topics and roll < 0.34:
                self.topic_step(when, topics)
                continue
            driver = self.pick(cumulative, when)
            if driver is None:
                continue
            present = [p for p in self.driver_files_at(driver, when) if p in self.files]
            if not present:
                continue
            if roll < 0.245 and len(present) > 2:
                self.rename_within(when, driver, present)
                continue
            touched = rng.sample(present, min(len(present), rng.choice((1, 1, 1, 2, 2, 3))))
            subject = rng.choice(FIX_SUBJECTS).format(
                sub=driver.sub.split("/")[-1], name=driver.name, fn=f"{driver.name}_op",
                n=rng.randrange(9))
            self.emit(when, subject, {p: self.mutate(p) for p in touched},
                      author=self.author(bot_chance=0.03))
        for topic in topics:  # never leave a topic unmerged
            self.merge_topic(END - 1, topic)

    def pick(self, cumulative: list[float], when: int) -> Driver | None:
        import bisect

        for _ in range(4):
            i = bisect.bisect(cumulative, self.rng.random() * cumulative[-1])
            driver = self.drivers[min(i, len(self.drivers) - 1)]
            if driver.born <= when < driver.dies and not getattr(driver, "locked", False):
                return driver
        return None

    def sweep(self, when: int) -> None:
        rng = self.rng
        candidates = [p for p in self.files if p.endswith(".c")]
        touched = rng.sample(candidates, min(len(candidates), rng.randrange(100, 600)))
        touched = [p for p in touched if not self.locked_path(p)]
        api = rng.choice(["kmalloc_array", "devm_kzalloc", "dev_err_probe", "min_t", "str_yes_no"])
        subject = rng.choice(SWEEP_SUBJECTS).format(a=f"old_{api}", b=api, sub="drivers")
        self.emit(when, subject, {p: self.mutate(p) for p in touched})

    def locked_path(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.locked)

    def rename_within(self, when: int, driver: Driver, present: list[str]) -> None:
        if driver.staging_from:
            return
        options = [p for p in driver.files
                   if p in self.files and p.endswith(".c") and not p.endswith("_main.c")]
        if not options:
            return
        old = self.rng.choice(options)
        new = old[:-2] + "_core.c" if not old.endswith("_core.c") else old[:-7] + ".c"
        if new in self.files:
            return
        self.files[new] = self.files.pop(old)
        driver.files[driver.files.index(old)] = new
        changes: dict[str, bytes | None] = {}
        if self.rng.random() < 0.5:
            changes[new] = self.mutate(new)
        self.emit(when, f"{driver.sub.split('/')[-1]}: {driver.name}: rename "
                  f"{old.rsplit('/', 1)[-1]}", changes, renames=[(old, new)])

    def start_topic(self, when: int, cumulative: list[float],
                    topics: list[dict[str, object]]) -> None:
        driver = self.pick(cumulative, when)
        if driver is None or driver.staging_from:
            return
        present = [p for p in driver.files if p in self.files]
        if not present:
            return
        driver.locked = True  # type: ignore[attr-defined]
        self.locked.add(driver.pattern)
        name = f"refs/heads/topic/{self.mark}"
        topics.append({"driver": driver, "branch": name, "head": self.head, "changed": {},
                       "left": self.rng.randrange(2, 8)})

    def topic_step(self, when: int, topics: list[dict[str, object]]) -> None:
        topic = self.rng.choice(topics)
        driver: Driver = topic["driver"]  # type: ignore[assignment]
        changed: dict[str, bytes] = topic["changed"]  # type: ignore[assignment]
        present = [p for p in driver.files if p in self.files]
        path = self.rng.choice(present)
        data = self.mutate(path)
        changed[path] = data
        topic["head"] = self.emit(when, f"{driver.sub.split('/')[-1]}: {driver.name}: "
                                  "topic work on the queue", {path: data},
                                  branch=str(topic["branch"]), parent=int(topic["head"]))  # type: ignore[arg-type]
        topic["left"] = int(topic["left"]) - 1  # type: ignore[call-overload]
        if int(topic["left"]) <= 0:  # type: ignore[call-overload]
            self.merge_topic(when + 1, topic)
            topics.remove(topic)

    def merge_topic(self, when: int, topic: dict[str, object]) -> None:
        driver: Driver = topic["driver"]  # type: ignore[assignment]
        changed: dict[str, bytes] = topic["changed"]  # type: ignore[assignment]
        self.emit(when, f"Merge branch '{driver.name}-next'", dict(changed),
                  author=("Sub Maintainer", "sub@example.org"),
                  merge=int(topic["head"]))  # type: ignore[call-overload]
        self.count -= 1  # merges do not count towards --commits (collect skips them)
        driver.locked = False  # type: ignore[attr-defined]
        self.locked.discard(driver.pattern)


def hash_of(text: str) -> int:
    value = 0
    for char in text.encode():
        value = (value * 131 + char) % 1_000_003
    return value


def emit_drivers(generator: Generator, target: Path) -> int:
    written = 0
    for driver in generator.drivers:
        if driver.dies <= END:
            continue  # removed before the end: no file at the final revision
        sub = driver.sub.split("/")[0]
        path = target / "drivers" / sub / f"{driver.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        exclude = "".join(f"\n    - {e}" for e in driver.exclude)
        text = f"""\
# Synthetic driver for benchmarks/collect.py (generated by benchmarks/make_history.py).
schema: 1
name: {driver.name} synthetic driver
subsystem: {sub}
category: misc
path: {driver.pattern.rstrip('/')}
paths:
  include:
    - {driver.pattern}
  exclude: [{", ".join(driver.exclude)}]
granularity: {"directory" if driver.pattern.endswith("/") else "files"}
kconfig: []
summary: A synthetic driver.
deployment: unknown
hardware:
  kind: unknown
  sold_new: unknown
  last_sold: null
replacement:
  status: unknown
  by: null
  note: null
maintainers_status: unknown
upstream: []
users_reported: []

signals: null

sources: []
"""
        del exclude
        path.write_text(text)
        written += 1
    policy = target / "policies" / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "policies" / "default.yaml", policy)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="directory for the new repository (must not exist)")
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--emit-drivers", type=Path, metavar="DIR",
                        help="also write DIR/drivers/**.yaml and DIR/policies/default.yaml")
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} exists; give a new directory")
    started = time.monotonic()
    subprocess.run(["git", "init", "-q", "-b", "main", str(args.out)], check=True)
    importer = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=args.out,
                                stdin=subprocess.PIPE)
    assert importer.stdin is not None
    generator = Generator(args.seed, args.commits, args.drivers, importer.stdin)
    generator.run()
    importer.stdin.write(b"done\n")
    importer.stdin.close()
    if importer.wait() != 0:
        print("git fast-import failed", file=sys.stderr)
        return 1
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=args.out, check=True)
    print(f"{args.out}: {generator.count} commits (+ merges), {len(generator.drivers)} drivers, "
          f"{len(generator.files)} files in {time.monotonic() - started:.1f} s", file=sys.stderr)
    if args.emit_drivers:
        count = emit_drivers(generator, args.emit_drivers)
        print(f"{args.emit_drivers}: {count} driver files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
