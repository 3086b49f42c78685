"""Generated files that `check` keeps current: schema/ and cards/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.errors import Problem


def stale_generated(root: Path, workspace: Any, outcomes: list[Any]) -> list[Problem]:
    from checker.export_schema import FILES, render

    problems = []
    for kind, rel in FILES.items():
        path = root / rel
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != render(kind):
            state = "missing" if current is None else "stale"
            problems.append(
                Problem(
                    rel,
                    1,
                    1,
                    "",
                    f"generated schema is {state}; run: driver-policy schema --write",
                    rule="generated",
                )
            )
    if workspace.policy is not None:  # without a valid policy there are no verdicts to show
        from checker.render import card_problems

        problems += card_problems(root, workspace.policy, workspace.drivers, outcomes)
    return problems
