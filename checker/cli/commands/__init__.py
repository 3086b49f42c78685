"""One module per subcommand; each exposes `register(subparsers)`.

The order of COMMANDS is the order of `driver-policy --help`: the main job first.
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMANDS = (
    "check", "validate", "verdicts", "candidates", "record", "render", "policy", "diff",
    "history", "init", "collect", "new", "backtest", "calibrate",
    "schema",
)


def command_module(name: str) -> ModuleType:
    """The module of the command `name` (each is its module's name), imported when asked
    for: `driver-policy validate FILE` imports and registers no other command."""
    return importlib.import_module(f"{__name__}.{name}")
