"""One module per subcommand; each exposes `register(subparsers)`.

The order here is the order of `driver-policy --help`: the main job first.
"""

from __future__ import annotations

from types import ModuleType

from checker.cli.commands import (
    backtest,
    calibrate,
    candidates,
    check,
    collect,
    diff,
    history,
    init,
    new,
    policy,
    record,
    render,
    schema,
    validate,
    verdicts,
)

COMMAND_MODULES: list[ModuleType] = [
    check, validate, verdicts, candidates, record, render, policy, diff, history, init,
    collect, new, backtest, calibrate,
    schema,
]
