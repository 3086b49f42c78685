"""checker/validate/categories.py: categories come from the policy (names, default, path
rules), with the Linux list in policies/default.yaml; a tree of another kind lists its
own, and `new` guesses from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run
from ruamel.yaml import YAML
from strategies import to_yaml
from test_collect_cli import kernel, policy  # noqa: F401  (fixtures)

from checker.validate.categories import Categories

FIRMWARE = {"names": ["boot", "console", "storage", "other"], "default": "other",
            "paths": [{"prefix": "drivers/serial", "category": "console"},
                      {"prefix": "drivers/mtd/", "category": "storage"},
                      {"prefix": "drivers/mtd/nand/raw/", "category": "boot"},
                      {"prefix": "drivers/misc/", "category": "boot"}]}


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("drivers/serial/8250", "console"),
        ("drivers/serial", "console"),
        ("drivers/serial_core.c", "other"),  # a prefix matches whole components
        ("drivers/mtd/nand/raw/denali.c", "boot"),  # the longest prefix wins, in any order
        ("drivers/mtd/spi-nor", "storage"),
        ("/drivers/mtd/", "storage"),
        ("arch/arm/mach-x", "other"),
    ],
)
def test_guess_takes_the_longest_prefix(path: str, category: str) -> None:
    assert Categories.from_policy({"categories": FIRMWARE}).guess(path) == category


def test_the_default_policy_holds_the_linux_list() -> None:
    data = YAML(typ="safe").load(Path("policies/default.yaml").read_text())
    linux = Categories.from_policy(data)
    assert linux.names is not None and len(linux.names) == 19
    assert linux.guess("drivers/net/ethernet/intel/e1000") == "networking-ethernet"
    assert linux.guess("drivers/net/wireless/ath") == "networking-wireless"
    assert linux.guess("drivers/net/plip") == "networking-other"
    assert linux.guess("providers/mlx5") == "rdma"
    assert linux.guess("arch/x86/kvm") == "misc"
    skeleton = Path("checker/skeleton/policies/default.yaml").read_text()
    assert YAML(typ="safe").load(skeleton)["categories"] == data["categories"]


def test_a_policy_without_categories_accepts_any_name() -> None:
    none = Categories.from_policy({})
    assert none.names is None and none.guess("drivers/net/x") == "misc"


def _with_categories(repo: Path, categories: dict[str, Any]) -> None:
    path = repo / "policies/default.yaml"
    data = YAML(typ="safe").load(path.read_text())
    data["categories"] = categories
    path.write_text(to_yaml(data))


def test_driver_categories_follow_the_policy(repo: Path, cli: Callable[..., Run]) -> None:
    ipoib = repo / "drivers/infiniband/ipoib.yaml"
    ipoib.write_text(ipoib.read_text().replace("category: networking-other",
                                               "category: console"))
    bad = cli("-C", str(repo), "validate")
    assert bad.code == 1
    assert bad.out.splitlines()[0] == (
        "drivers/infiniband/ipoib.yaml:5:11: category: must be one of 'bus', 'crypto', "
        "'gpu-display', 'input-hid', 'media', 'misc', 'networking-ethernet', "
        "'networking-wireless', 'networking-other', 'platform', 'power-thermal', 'rdma', "
        "'sensors-hwmon', 'sound', 'storage-nvme', 'storage-scsi-ata', 'storage-other', "
        "'usb', 'virtualization' (found 'console'): the policy's categories.names")
    assert "category: must be one of" in cli("-C", str(repo), "check", "--no-cache").out
    _with_categories(repo, {**FIRMWARE, "names": [*FIRMWARE["names"], "networking-other",
                                                  "rdma", "storage-scsi-ata"]})
    result = cli("-C", str(repo), "validate")
    assert result.code == 0, result.out


def test_error_a_category_rule_names_an_unlisted_category(
    repo: Path, cli: Callable[..., Run]
) -> None:
    _with_categories(repo, {**FIRMWARE, "default": "misc"})
    result = cli("-C", str(repo), "validate", "policies/default.yaml")
    assert result.code == 1
    assert ": categories.default: 'misc' is not one of categories.names" in result.out


def test_new_guesses_from_the_policys_categories(
    kernel: tuple[Path, str], policy: Path, cli: Callable[..., Run],  # noqa: F811
) -> None:
    _with_categories(policy, FIRMWARE)
    (policy / "drivers" / "misc" / "foo.yaml").unlink()
    run = cli("-C", str(policy), "new", "--kernel", str(kernel[0]), "drivers/misc/foo/")
    assert run.code == 0, run.err
    text = (policy / "drivers/misc/foo.yaml").read_text()
    assert "\ncategory: boot   # guessed from the path (the policy's categories); check it\n" \
        in text
