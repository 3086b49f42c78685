"""Validated driver documents -> the frozen models of checker.core.model."""

from __future__ import annotations

from typing import Any

from checker.core.model import (
    Driver,
    Hardware,
    KernelFacts,
    Month,
    Override,
    PartialDate,
    RecordedVerdict,
    Replacement,
    Signals,
    Source,
    UpstreamAction,
    Usage,
    UserReport,
)
from checker.load.document import Document
from checker.load.layout import driver_id


def _pdate(value: Any) -> PartialDate | None:
    return None if value is None else PartialDate.parse(value)


def to_driver(
    doc: Document, ident: str | None = None, unfinished: tuple[str, ...] = ()
) -> Driver:
    d = doc.data
    facts = d.get("kernel_facts")
    ident = ident or driver_id(doc.path) or doc.path
    hw = d["hardware"]
    sold = hw["sold_new"]
    signals = d.get("signals")
    verdict = d.get("verdict")
    deployment = d["deployment"]
    return Driver(
        id=ident,
        file=doc.path,
        name=d["name"],
        subsystem=d["subsystem"],
        category=d["category"],
        path=d["path"],
        include=tuple(d["paths"]["include"]),
        exclude=tuple(d["paths"].get("exclude") or ()),
        granularity=d["granularity"],
        granularity_note=d.get("granularity_note"),
        kconfig=tuple(d["kconfig"]),
        summary=d["summary"],
        provenance=d.get("provenance"),
        deployment=deployment["level"] if isinstance(deployment, dict) else deployment,
        deployment_sources=tuple(deployment["sources"]) if isinstance(deployment, dict) else (),
        hardware=Hardware(hw["kind"], None if sold == "unknown" else bool(sold), hw["last_sold"]),
        replacement=Replacement(**d["replacement"]),
        maintainers_status=d["maintainers_status"],
        upstream=tuple(
            UpstreamAction(
                action=u["action"],
                date=PartialDate.parse(u["date"]),
                summary=u["summary"],
                sources=tuple(u["sources"]),
                tree=u.get("tree"),
                kernel=u.get("kernel"),
                commit=u.get("commit"),
                subject=u.get("subject"),
            )
            for u in d["upstream"]
        ),
        users_reported=tuple(
            UserReport(r["who"], r["claim"], PartialDate.parse(r["date"]), tuple(r["sources"]),
                       r.get("kind", "unknown"), r.get("scale", "unknown"))
            for r in d["users_reported"]
        ),
        signals=signals_model(signals) if signals else None,
        sources=tuple(
            Source(
                s["url"],
                s["claim"],
                _pdate(s["date"]),
                bool(s.get("domain_only")),
                _pdate(s.get("retrieved")),
                bool(s.get("historical")),
            )
            for s in d["sources"]
        ),
        verdict=RecordedVerdict(
            value=verdict["value"],
            recommendation=verdict["recommendation"],
            confidence=verdict.get("confidence"),
            notes=verdict.get("notes"),
            override=Override(**verdict["override"]) if verdict.get("override") else None,
            recommendation_for=verdict.get("recommendation_for"),
        )
        if verdict
        else None,
        draft=d.get("status") == "draft",
        kernel_facts=KernelFacts(
            sources=tuple(facts["sources"]),
            depends_on_broken=facts.get("depends_on_broken"),
            device_ids=facts.get("device_ids"),
            maintainers_entry=facts.get("maintainers_entry"),
        )
        if facts
        else None,
        unfinished=unfinished,
    )


def signals_model(s: dict[str, Any]) -> Signals:
    return Signals(
        computed_by=s["computed_by"],
        kernel_rev=s["kernel_rev"],
        window_start=s["window"]["start"],
        window_end=s["window"]["end"],
        files=s["files"],
        source_lines=s["source_lines"],
        commits=s["commits"],
        substantive_commits=s.get("substantive_commits"),
        mechanical_commits=s.get("mechanical_commits"),
        lines_added=s["lines_added"],
        lines_removed=s["lines_removed"],
        authors=s["authors"],
        active_months=s["active_months"],
        monthly=tuple(map(Month.from_row, s["monthly"])),
        first_commit=s.get("first_commit"),
        last_commit=s.get("last_commit"),
        last_substantive_commit=s.get("last_substantive_commit"),
        device_ids=s.get("device_ids"),
        depends_on_broken=s.get("depends_on_broken"),
        maintainers_entry=s.get("maintainers_entry"),
        present=s.get("present", True),
        removed_commit=(s.get("removed_in") or {}).get("commit"),
        removed_date=(s.get("removed_in") or {}).get("date"),
        usage=_usage(s.get("usage")),
        copyright_year=s.get("copyright_year"),
        id_entries=s.get("id_entries"),
        tree_months=s.get("tree_months"),
    )


def _usage(u: dict[str, Any] | None) -> Usage | None:
    if u is None:
        return None
    return Usage(configs=u.get("configs"), configs_read=u["configs_read"],
                 enabled_in=tuple(u.get("enabled_in") or ()), selected=u.get("selected"),
                 configs_changed=u.get("configs_changed"),
                 tree_built=u.get("tree_built"),
                 dt_users=u.get("dt_users"), deprecated=u.get("deprecated"),
                 needs_deprecated=None if u.get("needs_deprecated") is None
                 else tuple(u["needs_deprecated"]),
                 staging=bool(u.get("staging", False)))
