"""The indexes: cards/README.md (the summary) and cards/<subsystem>/README.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.load.layout import CARDS_DIR
from checker.render.chart import quarterly, sparkline
from checker.render.templates import (
    INDEX_TEMPLATE,
    TEMPLATES_DIR,
    environment,
    generated_header,
    render_template,
)
from checker.validate.schemas import VERDICTS

if TYPE_CHECKING:
    from checker.evaluate.consistency import Outcome
    from checker.validate.policy import Policy


INDEX_FILE = f"{CARDS_DIR}/README.md"


def index_row(outcome: Outcome) -> dict[str, Any]:
    """What the index shows of one driver: plain data (picklable), so that a pipeline can
    compute rows in worker processes and render the index from them."""
    driver = outcome.driver
    signals = driver.signals
    return {
        "id": driver.id,
        "subsystem": driver.subsystem,
        "name": driver.name,
        "effective": outcome.effective,
        "computed": outcome.computed.value,
        "overridden": outcome.overridden,
        "confidence": outcome.computed.confidence,
        "deployment": driver.deployment,
        "sparkline": sparkline(quarterly(signals.monthly)) if signals else None,
        "commits": signals.commits if signals else None,
        # a draft (status: draft) or no recorded verdict yet: a scaffold to finish
        "draft": driver.draft or driver.verdict is None,
    }


def index_context(rows: Sequence[Mapping[str, Any]], policy: Policy,
                  subsystem: str | None = None) -> dict[str, Any]:
    """The summary (cards/README.md, `subsystem` None) or one subsystem's index
    (cards/<subsystem>/README.md): no page lists every driver of a large tree."""
    return _Indexes(rows, policy).context(subsystem)


class _Indexes:
    """What every index page shares, computed once: the rows in order, grouped by
    subsystem, and each subsystem's counts (a tree of 9,000 drivers has 130 pages)."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], policy: Policy) -> None:
        self.policy = policy
        self.ordered = sorted(rows, key=lambda r: str(r["id"]))
        self.by_subsystem: dict[str, list[Mapping[str, Any]]] = {}
        for row in self.ordered:
            self.by_subsystem.setdefault(str(row["subsystem"]), []).append(row)
        self.subsystems = [
            (name, len(group), [counts.get(v, 0) for v in VERDICTS])
            for name, group in sorted(self.by_subsystem.items())
            for counts in (Counter(str(r["effective"]) for r in group),)
        ]

    def context(self, subsystem: str | None) -> dict[str, Any]:
        ordered = self.ordered if subsystem is None else self.by_subsystem.get(subsystem, [])
        counts = Counter(str(r["effective"]) for r in ordered)
        prefix = "" if subsystem is None else "../"
        linked = [{**r, "link": f"{prefix}{r['id']}.md" if subsystem is None
                   else f"{str(r['id']).split('/', 1)[1]}.md"} for r in ordered]
        return {
            "header": generated_header(
                [
                    f"drivers/{subsystem or '*'}/*.yaml ({len(ordered)} files)",
                    self.policy.file,
                    f"{TEMPLATES_DIR}/{INDEX_TEMPLATE}",
                ]
            ),
            "policy_label": self.policy.label,
            "subsystem": subsystem,
            "verdicts": [(v, counts.get(v, 0)) for v in VERDICTS],
            "total": len(ordered),
            "overrides": sum(1 for r in ordered if r["overridden"]),
            "subsystems": self.subsystems,
            "verdict_names": VERDICTS,
            "rows": linked,
            "leaving": [r for r in linked if r["computed"] in ("deprecate", "remove")],
            "drafts": sum(1 for r in ordered if r.get("draft")),
            "draft_subsystems": sorted(Counter(str(r["subsystem"]) for r in ordered
                                               if r.get("draft")).items()),
        }


def render_index_rows(templates: Path, rows: Sequence[Mapping[str, Any]], policy: Policy,
                      ) -> dict[str, str]:
    """cards/README.md and cards/<subsystem>/README.md from index rows (see index_row)."""
    env = environment(templates)
    indexes = _Indexes(rows, policy)
    pages = {INDEX_FILE: render_template(env, templates, INDEX_TEMPLATE,
                                         indexes.context(None))}
    for subsystem in sorted(indexes.by_subsystem):
        pages[f"{CARDS_DIR}/{subsystem}/README.md"] = render_template(
            env, templates, INDEX_TEMPLATE, indexes.context(subsystem))
    return pages


def render_index(templates: Path, outcomes: Sequence[Outcome], policy: Policy) -> str:
    """cards/README.md alone (the summary)."""
    return render_index_rows(templates, [index_row(o) for o in outcomes], policy)[INDEX_FILE]


def is_index(path: str) -> bool:
    return path == INDEX_FILE or (path.startswith(f"{CARDS_DIR}/") and path.endswith("/README.md"))
