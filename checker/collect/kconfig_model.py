"""A tree's Kconfig symbols: the model every reader of Kconfig gives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# whole words (`deprecated-mode registers` is not an announcement)
_DEPRECATION = re.compile(
    r"(?<![-\w])(?:deprecated|obsolete|will be removed|scheduled for removal|to be removed|"
    r"no longer (?:supported|maintained))(?![-\w])", re.IGNORECASE)


# In help text the adjectives count only when said of something: after a copula (`This
# driver is deprecated`, `are obsolete system calls`) or opening the text or a sentence
# (`Deprecated: AK09911 is now supported by AK8975 driver`), or as a label in parentheses
# (PARIDE's `the (obsolete) EPIA parallel port IDE protocol`); not in passing (AB8500's
# `the SSP/SPI bus (deprecated since hardware version v1.0)`, EISA's `made obsolete by
# the PCI bus`, `replaced the old obsolete QUEUE target`), which announced nothing of
# the option and made eleven AB8500 drivers "need" a deprecated symbol on Linux 6.1.
_SAID_IN_HELP = re.compile(
    r"(?:(?<![-\w])(?:is|are|was|were|be|been|being|now)[ \t\n]+(?:(?:an?|the)[ \t\n]+)?"
    r"(?:deprecated|obsolete)"
    r"|(?:\A[ \t\n]*|[.!?:][ \t\n]+)(?:deprecated|obsolete)|\((?:deprecated|obsolete)\)"
    r"|(?<![-\w])(?:will be removed|scheduled for removal|to be removed|"
    r"no longer (?:supported|maintained)))(?![-\w])", re.IGNORECASE)


def announces_deprecation(prompt: str, help_text: str = "") -> bool:
    """Whether a symbol's prompt (any mention) or help text (said of something, above)
    announces deprecation or removal."""
    return _DEPRECATION.search(prompt) is not None or \
        _SAID_IN_HELP.search(help_text) is not None


@dataclass(frozen=True)
class Symbol:
    """One Kconfig symbol, as every definition of it together says."""

    name: str
    type: str  # bool | tristate | string | int | hex | unknown
    prompt: str | None
    help: str
    defined_at: tuple[tuple[str, int], ...]
    depends: tuple[str, ...] = ()  # symbols named by its dependencies (if/menu included)
    selects: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    selected_by: tuple[str, ...] = ()
    implied_by: tuple[str, ...] = ()
    menu: tuple[str, ...] = ()  # titles of the menus above it, outermost first
    has_default: bool = False
    # select/imply statements naming it, each definition counted (every board's
    # `config BOARD_SPECIFIC_OPTIONS ... select X` is one)
    select_sites: int = 0

    @property
    def user_visible(self) -> bool:
        return self.prompt is not None


@dataclass(frozen=True)
class KconfigModel:
    symbols: Mapping[str, Symbol]
    files: tuple[str, ...] = ()  # the Kconfig files read
    warnings: tuple[str, ...] = ()
    engine: str = "kconfiglib"  # kconfiglib | text
    env: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Symbol | None:
        return self.symbols.get(name)


def is_kconfig_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("Kconfig") or name.endswith((".kconfig", ".Kconfig"))
