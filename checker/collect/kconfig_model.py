"""A tree's Kconfig symbols: the model every reader of Kconfig gives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# whole words (`deprecated-mode registers` is not an announcement)
_DEPRECATION = re.compile(
    r"(?<![-\w])(?:deprecated|obsolete|will be removed|scheduled for removal|to be removed|"
    r"no longer (?:supported|maintained))(?![-\w])", re.IGNORECASE)


def announces_deprecation(text: str) -> bool:
    """Whether a prompt or help text announces deprecation or removal."""
    return _DEPRECATION.search(text) is not None


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
