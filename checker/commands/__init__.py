"""One module per subcommand; each exposes `register(subparsers)`."""

from __future__ import annotations

from types import ModuleType

from checker.commands import check, policy, schema, validate, verdicts

COMMAND_MODULES: list[ModuleType] = [check, validate, verdicts, policy, schema]
COMMAND_MODULES.append(__import__("checker.commands.collect", fromlist=["register"]))
COMMAND_MODULES.append(__import__("checker.commands.render", fromlist=["register"]))
COMMAND_MODULES.append(__import__("checker.commands.diff", fromlist=["register"]))
COMMAND_MODULES.append(__import__("checker.commands.history", fromlist=["register"]))
