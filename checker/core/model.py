"""Frozen dataclasses: what validated files become, and what evaluation produces."""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@functools.total_ordering
@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day ("2025", "2025-11", "2025-11-03").

    Ordered by the first day it may stand for, then by precision ("2025" < "2025-01").
    """

    year: int
    month: int | None = None
    day: int | None = None

    def _key(self) -> tuple[int, int, int, int]:
        return (self.year, self.month or 1, self.day or 1,
                (self.month is not None) + (self.day is not None))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        if isinstance(value, date):
            return cls(value.year, value.month, value.day)
        parts = [int(p) for p in str(value).split("-")]
        return cls(*parts)

    def first_day(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> date:
        if self.day is not None and self.month is not None:
            return date(self.year, self.month, self.day)
        month = self.month or 12
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class Source:
    url: str
    claim: str
    date: PartialDate | None
    domain_only: bool = False
    retrieved: PartialDate | None = None
    historical: bool = False

    @property
    def domain(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or self.url


@dataclass(frozen=True)
class Month:
    month: str
    commits: int
    added: int
    removed: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Month:
        """The month of a validated `signals.monthly` row (exactly these four keys).

        A driver file holds 61 or more of them: this skips the frozen __init__'s four
        object.__setattr__ calls, for an equal object at less than half the cost."""
        month = object.__new__(cls)
        month.__dict__.update(row)
        return month


@dataclass(frozen=True)
class Usage:
    """Does anything the tree ships build or use the driver (collect's usage signals;
    None where the tree could not say)?"""

    configs: int | None  # shipped configurations that enable its symbol
    configs_read: int
    enabled_in: tuple[str, ...] = ()
    selected: int | None = None  # select/imply statements naming its symbols
    # the newest change in the window to a configuration enabling it (or the window's
    # first day when none changed); None when none enables it or it was not computed
    configs_changed: date | None = None
    # the share of the tree's drivers its shipped configurations build (collect's census)
    tree_built: float | None = None
    dt_users: int | None = None  # device trees using one of its compatibles
    deprecated: bool | None = None  # its Kconfig help announces deprecation
    # symbols announcing deprecation it cannot be built without ([]: none; None: unknown)
    needs_deprecated: tuple[str, ...] | None = None
    staging: bool = False


@dataclass(frozen=True)
class Signals:
    computed_by: str
    kernel_rev: str | None
    window_start: date
    window_end: date
    files: int
    source_lines: int
    commits: int
    substantive_commits: int | None
    mechanical_commits: int | None
    lines_added: int
    lines_removed: int
    authors: int
    active_months: int
    monthly: tuple[Month, ...]
    first_commit: date | None = None
    last_commit: date | None = None
    last_substantive_commit: date | None = None
    device_ids: int | None = None
    depends_on_broken: bool | None = None
    maintainers_entry: str | None = None
    present: bool = True  # False: no file of its paths is in the tree at kernel_rev
    removed_commit: str | None = None  # the commit that deleted its last file, if known
    removed_date: date | None = None
    usage: Usage | None = None
    copyright_year: int | None = None  # the newest year its sources' copyright lines state
    id_entries: int | None = None  # entries of its id tables (None: no C source, not collected)
    # the window's months in which the tree has a commit that is not a sweep (None: not
    # collected): a tree imported release by release has none, and its history says
    # nothing of any driver
    tree_months: int | None = None

    @property
    def months(self) -> int:
        return len(self.monthly)

    def last_active_month(self) -> str | None:
        active = [m.month for m in self.monthly if m.commits]
        return active[-1] if active else None


@dataclass(frozen=True)
class UpstreamAction:
    action: str
    date: PartialDate
    summary: str
    sources: tuple[int, ...]
    tree: str | None = None
    kernel: str | None = None
    commit: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class UserReport:
    who: str
    claim: str
    date: PartialDate
    sources: tuple[int, ...]
    kind: str = "unknown"  # production, distribution, hobbyist, unknown
    scale: str = "unknown"  # single, several, fleet, unknown


@dataclass(frozen=True)
class Hardware:
    kind: str
    sold_new: bool | None  # None: unknown
    last_sold: int | None


@dataclass(frozen=True)
class Replacement:
    status: str
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Override:
    verdict: str
    reason: str
    by: str
    until: date


@dataclass(frozen=True)
class RecordedVerdict:
    value: str
    recommendation: str
    confidence: float | None = None
    notes: str | None = None
    override: Override | None = None
    recommendation_for: str | None = None  # None: not recorded (taken as `value`)

    @property
    def needs_review(self) -> bool:
        """The recommendation was written for another verdict than the recorded one."""
        return self.recommendation_for is not None and self.recommendation_for != self.value


@dataclass(frozen=True)
class KernelFacts:
    """Kernel-tree facts recorded by hand (no signals needed), with their sources."""

    sources: tuple[int, ...]
    depends_on_broken: bool | None = None
    device_ids: int | None = None
    maintainers_entry: str | None = None


@dataclass(frozen=True)
class Driver:
    id: str
    file: str
    name: str
    subsystem: str
    category: str
    path: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    granularity: str
    kconfig: tuple[str, ...]
    summary: str
    deployment: str
    hardware: Hardware
    replacement: Replacement
    maintainers_status: str
    upstream: tuple[UpstreamAction, ...]
    users_reported: tuple[UserReport, ...]
    signals: Signals | None
    sources: tuple[Source, ...]
    verdict: RecordedVerdict | None
    granularity_note: str | None = None
    provenance: str | None = None
    draft: bool = False
    kernel_facts: KernelFacts | None = None
    # what is unfinished in a draft (TODO text, no sources, `# guessed` fields, no verdict)
    unfinished: tuple[str, ...] = ()
    deployment_sources: tuple[int, ...] = ()  # the sources backing `deployment`, if any

    def depends_on_broken(self) -> bool | None:
        """From the collected signals, else from the recorded kernel facts; None: unknown."""
        if self.signals is not None and self.signals.depends_on_broken is not None:
            return self.signals.depends_on_broken
        return self.kernel_facts.depends_on_broken if self.kernel_facts else None

    def evidence_date(self) -> date | None:
        """The date the evidence speaks for: the signals' window end, else the first day of
        the newest dated source, upstream event or user report (a claim dated "2025-11"
        is only known to hold from 2025-11-01). Time-based probes measure against this."""
        if self.signals is not None:
            return self.signals.window_end
        dated = [s.date for s in self.sources if s.date is not None]
        dated += [u.date for u in self.upstream] + [r.date for r in self.users_reported]
        return max((d.first_day() for d in dated), default=None)


@dataclass(frozen=True)
class Finding:
    """One probe's answer: its value, its contribution to the score, and why."""

    probe: str
    value: Any  # None means unknown
    contribution: float
    reason: str
    known: bool = True


@dataclass(frozen=True)
class Verdict:
    value: str
    score: float
    confidence: float
    rule: str  # "score" or the id of the hard rule that decided
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...] = field(default=())
    score_verdict: str = ""  # what the score alone gives, before hard rules
    rules_held: tuple[str, ...] = ()  # every hard rule whose condition held
    confidence_parts: tuple[tuple[str, float, float], ...] = ()  # (part, value, weight)
