"""The indexes: cards/README.md (the summary) and cards/<subsystem>/README.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.load.layout import CARDS_DIR
from checker.render.chart import quarterly, sparkline
from checker.render.seal import SEAL_MARK, UNSEALED, inputs_digest, seal, sealed
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

    def context(self, subsystem: str | None, *, sealed: bool = False) -> dict[str, Any]:
        ordered = self.ordered if subsystem is None else self.by_subsystem.get(subsystem, [])
        counts = Counter(str(r["effective"]) for r in ordered)
        if subsystem is None:  # links from the summary: only the drivers it lists
            linked = [{**r, "link": f"{r['id']}.md"} for r in ordered
                      if r["computed"] in ("deprecate", "remove")]
        else:
            linked = [{**r, "link": f"{str(r['id']).split('/', 1)[1]}.md"} for r in ordered]
        context: dict[str, Any] = {
            "header": generated_header(
                [
                    f"drivers/{subsystem or '*'}/*.yaml ({len(ordered)} files)",
                    self.policy.file,
                    f"{TEMPLATES_DIR}/{INDEX_TEMPLATE}",
                ]
            ) + (f" {SEAL_MARK}{UNSEALED}" if sealed else ""),
            "policy_label": self.policy.label,
            "subsystem": subsystem,
            "verdicts": [(v, counts.get(v, 0)) for v in VERDICTS],
            "total": len(ordered),
            "overrides": sum(1 for r in ordered if r["overridden"]),
            "verdict_names": VERDICTS,
        }
        # Each page is given what it is about, and so changes (its seal too) only when
        # that does: the summary its subsystems, the drivers leaving and the drafts; a
        # subsystem's page its drivers.
        if subsystem is not None:
            context["rows"] = linked
            return context
        context.update({
            "subsystems": self.subsystems,
            "leaving": linked,
            "drafts": sum(1 for r in ordered if r.get("draft")),
            "draft_subsystems": sorted(Counter(str(r["subsystem"]) for r in ordered
                                               if r.get("draft")).items()),
        })
        return context

    def pages(self, key: str | None) -> list[tuple[str, dict[str, Any], str | None]]:
        """(path, context, inputs digest) of every page: the summary, then one per
        subsystem. With `key` (inputs_key) each page is sealed for a digest of `key`, its
        path and everything its template is given, so that `check` can trust a page on
        disk without rendering it (checker.render.seal)."""
        out = []
        for path, subsystem in [(INDEX_FILE, None), *(
                (f"{CARDS_DIR}/{name}/README.md", name) for name in sorted(self.by_subsystem))]:
            context = self.context(subsystem, sealed=key is not None)
            out.append((path, context, None if key is None else page_inputs(key, path, context)))
        return out


def page_inputs(key: str, path: str, context: Mapping[str, Any]) -> str:
    """The inputs of one index page: `key`, its path, and its context as JSON (its header
    aside, which names them); the context's keys, and its rows', come in the order this
    module and index_row build them, the same on every machine."""
    import json

    shown = {name: value for name, value in context.items() if name != "header"}
    return inputs_digest(key, path, json.dumps(
        shown, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def render_index_rows(templates: Path, rows: Sequence[Mapping[str, Any]], policy: Policy,
                      key: str | None = None) -> dict[str, str]:
    """cards/README.md and cards/<subsystem>/README.md from index rows (see index_row);
    sealed with `key` (inputs_key)."""
    env = environment(templates)
    return {path: _rendered(env, templates, context, inputs)
            for path, context, inputs in _Indexes(rows, policy).pages(key)}


def index_digests(templates: Path, rows: Sequence[Mapping[str, Any]], policy: Policy,
                  key: str, current: Callable[[str, str], str | None]) -> dict[str, str]:
    """The digest of the bytes `render` writes for each index page: `current(path,
    inputs)` gives that of a page on disk whose seal holds for its inputs (it is what
    render would write); the others are rendered."""
    from checker.load.cache import digest_bytes

    env = None
    out = {}
    for path, context, inputs in _Indexes(rows, policy).pages(key):
        assert inputs is not None
        digest = current(path, inputs)
        if digest is None:
            env = env or environment(templates)
            digest = digest_bytes(_rendered(env, templates, context, inputs).encode())
        out[path] = digest
    return out


def index_pages(root: Path, rows: Sequence[Mapping[str, Any]], policy: Policy, key: str, *,
                trust_seals: bool = True) -> list[tuple[str, tuple[bytes | None, str]]]:
    """Each index page as render leaves it: (path, (None, "")) when the page on disk is
    what it writes (its seal holds, or its bytes are equal), else (path, (bytes,
    "stale" or "missing")). `trust_seals` False renders every page to compare."""
    import os

    from checker.load.fsutil import read_if_regular

    templates = root / TEMPLATES_DIR
    env = None
    out: list[tuple[str, tuple[bytes | None, str]]] = []
    for path, context, inputs in _Indexes(rows, policy).pages(key):
        assert inputs is not None
        on_disk = read_if_regular(root, path)
        if on_disk is not None and trust_seals and sealed(on_disk, inputs):
            out.append((path, (None, "")))
            continue
        env = env or environment(templates)
        data = _rendered(env, templates, context, inputs).encode()
        state = "" if data == on_disk else "stale" if os.path.lexists(root / path) else "missing"
        out.append((path, (None if data == on_disk else data, state)))
    return out


def _rendered(env: Any, templates: Path, context: Mapping[str, Any], inputs: str | None) -> str:
    text = render_template(env, templates, INDEX_TEMPLATE, context)
    return text if inputs is None else seal(text, inputs)


def render_index(templates: Path, outcomes: Sequence[Outcome], policy: Policy) -> str:
    """cards/README.md alone (the summary)."""
    return render_index_rows(templates, [index_row(o) for o in outcomes], policy)[INDEX_FILE]


def is_index(path: str) -> bool:
    return path == INDEX_FILE or (path.startswith(f"{CARDS_DIR}/") and path.endswith("/README.md"))
