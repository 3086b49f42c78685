"""Two loaded workspaces -> what the change does: verdicts, overrides, the policy.

    Workspace (base) + Workspace (head) --compare--> Comparison --(commands.diff)--> text |
    json | Markdown

Pure: no I/O, no git, no clock (the date overrides expire against is an argument). The
same function serves `diff` (two revisions) and `impact` (one set of drivers under two
policies). Every list in a Comparison is sorted, so the reports are deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checker.core.model import Driver, Override, Verdict
from checker.evaluate.consistency import deciding_text
from checker.evaluate.direction import finding_value
from checker.evaluate.engine import evaluate
from checker.load.layout import DEFAULT_POLICY, kind_of
from checker.validate.policy import Policy
from checker.validate.schemas import VERDICTS
from checker.validate.workspace import Workspace

# How policy keys are grouped in the report, by their top-level key.
POLICY_GROUPS = {
    "thresholds": "thresholds",
    "probes": "probe constants",
    "rules": "hard rules",
    "confidence": "confidence",
    "window": "constants",
    "stale": "constants",
    "collect": "collect rules",
}


@dataclass(frozen=True)
class State:
    """One driver's verdict on one side of the comparison."""

    effective: str  # what stands: the override's verdict when there is one, else computed
    computed: str
    recorded: str | None
    override: str | None
    score: float
    confidence: float
    rule: str
    deciding: str  # the rule and the probes that decided (consistency.deciding_text)
    reasons: tuple[str, ...] = ()  # the verdict's reasons: score band, rules, deciding probes

    @property
    def consistent(self) -> bool:
        """The recorded verdict is the one that stands (what `check` requires)."""
        return self.recorded == self.effective


@dataclass(frozen=True)
class ProbeChange:
    """A probe whose value or contribution differs between the two sides."""

    probe: str
    before: str
    after: str
    before_points: float
    after_points: float
    reason: str  # the probe's reason on the head side


@dataclass(frozen=True)
class DriverChange:
    id: str
    file: str
    before: State
    after: State
    probes: tuple[ProbeChange, ...]
    evidence_changed: bool

    @property
    def verdict_changed(self) -> bool:
        return self.before.effective != self.after.effective

    @property
    def direction(self) -> str:
        """"up" (towards keep), "down" (towards remove) or "same"."""
        before, after = VERDICTS.index(self.before.effective), VERDICTS.index(self.after.effective)
        return "same" if before == after else ("up" if after < before else "down")


@dataclass(frozen=True)
class DriverEntry:
    """A driver present on one side only; `state` is None when there is no valid policy."""

    id: str
    file: str
    state: State | None


@dataclass(frozen=True)
class OverrideChange:
    id: str
    file: str
    change: str  # "added", "removed", "changed" or "expired" (present, unchanged, expired)
    before: Override | None
    after: Override | None
    expired: bool  # the head side's override has passed its `until`


@dataclass(frozen=True)
class PolicyChange:
    key: str  # a dotted key: "thresholds.keep", "probes.deployment.points.low", "rules.<id>"
    group: str  # see POLICY_GROUPS; "metadata" for name, version, description
    before: Any  # None when the key is new
    after: Any  # None when the key was removed


@dataclass(frozen=True)
class Comparison:
    base: str  # labels of the two sides, e.g. "main (1a2b3c4d5e6f)"
    head: str
    policy_before: str | None  # policy labels, None when that side's policy is invalid
    policy_after: str | None
    added: tuple[DriverEntry, ...]
    removed: tuple[DriverEntry, ...]
    changed: tuple[DriverChange, ...]  # verdict, confidence or score changes, by id
    overrides: tuple[OverrideChange, ...]
    policy: tuple[PolicyChange, ...]
    # verdicts that stand, drafts left out (they publish none); None: that side has no
    # valid policy
    distribution_before: dict[str, int] | None
    distribution_after: dict[str, int] | None
    invalid_before: tuple[str, ...]  # problems of files that fail validation, as text
    invalid_after: tuple[str, ...]
    inconsistent_after: tuple[str, ...] = field(default=())  # ids whose recorded verdict
    # differs from the one that stands on the head side (`check` fails on them)
    today: date | None = None
    drafts_before: int | None = None  # drafts on each side (None: no valid policy)
    drafts_after: int | None = None

    @property
    def flips(self) -> tuple[DriverChange, ...]:
        return tuple(c for c in self.changed if c.verdict_changed)

    @property
    def confidence_only(self) -> tuple[DriverChange, ...]:
        return tuple(c for c in self.changed if not c.verdict_changed)

    @property
    def verdicts_changed(self) -> bool:
        """A verdict flipped, or a driver was added or removed (`diff --fail-on-change`)."""
        return bool(self.flips or self.added or self.removed)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.overrides
            or self.policy
            or self.invalid_after
        )


def state_of(driver: Driver, policy: Policy) -> tuple[State, Verdict]:
    verdict = evaluate(driver, policy)
    recorded = driver.verdict
    override = recorded.override.verdict if recorded and recorded.override else None
    state = State(
        effective=override or verdict.value,
        computed=verdict.value,
        recorded=recorded.value if recorded else None,
        override=override,
        score=verdict.score,
        confidence=verdict.confidence,
        rule=verdict.rule,
        deciding=deciding_text(verdict),
        reasons=verdict.reasons,
    )
    return state, verdict


def probe_changes(before: Verdict, after: Verdict) -> tuple[ProbeChange, ...]:
    old = {f.probe: f for f in before.findings}
    out = []
    for new in after.findings:
        was = old.get(new.probe)
        if was is None:
            out.append(ProbeChange(new.probe, "absent", finding_value(new), 0.0,
                                   new.contribution, new.reason))
            continue
        if (finding_value(was), was.contribution) != (finding_value(new), new.contribution):
            out.append(ProbeChange(new.probe, finding_value(was), finding_value(new),
                                   was.contribution, new.contribution, new.reason))
    # The largest swing first: that is the probe that explains the change.
    return tuple(sorted(out, key=lambda c: (-abs(c.after_points - c.before_points), c.probe)))


def distribution(states: Iterable[State]) -> dict[str, int]:
    counts = Counter(s.effective for s in states)
    return {name: counts.get(name, 0) for name in VERDICTS}


def _driver_files(workspace: Workspace) -> dict[str, str]:
    """id -> file of every driver file the workspace saw, valid or not."""
    from checker.load.layout import driver_id

    files = {d.file for d in workspace.drivers}
    files |= {rel for rel in workspace.documents if kind_of(rel) == "driver"}
    files |= {p.path for p in workspace.problems if kind_of(p.path) == "driver"}
    out = {}
    for rel in files:
        ident = driver_id(rel) or rel.removeprefix("drivers/").removesuffix(".yaml")
        out[ident] = rel
    return out


def _invalid(workspace: Workspace) -> tuple[str, ...]:
    return tuple(str(p) for p in sorted(workspace.problems))


def compare(
    base: Workspace,
    head: Workspace,
    *,
    base_label: str = "base",
    head_label: str = "head",
    today: date | None = None,
) -> Comparison:
    """What changes from `base` to `head`; `today` judges override expiry (None: not judged)."""
    base_drivers = {d.id: d for d in base.drivers}
    head_drivers = {d.id: d for d in head.drivers}
    base_files, head_files = _driver_files(base), _driver_files(head)

    base_states: dict[str, tuple[State, Verdict]] = {}
    head_states: dict[str, tuple[State, Verdict]] = {}
    if base.policy is not None:
        base_states = {i: state_of(d, base.policy) for i, d in sorted(base_drivers.items())}
    if head.policy is not None:
        head_states = {i: state_of(d, head.policy) for i, d in sorted(head_drivers.items())}

    added = tuple(
        DriverEntry(i, head_drivers[i].file, head_states[i][0] if i in head_states else None)
        for i in sorted(head_drivers)
        if i not in base_files
    )
    removed = tuple(
        DriverEntry(i, base_drivers[i].file, base_states[i][0] if i in base_states else None)
        for i in sorted(base_drivers)
        if i not in head_files
    )
    changed = []
    for ident in sorted(set(base_states) & set(head_states)):
        (old, old_verdict), (new, new_verdict) = base_states[ident], head_states[ident]
        keys = ("effective", "computed", "recorded", "override", "score", "confidence")
        if all(getattr(old, k) == getattr(new, k) for k in keys):
            continue
        changed.append(
            DriverChange(
                ident,
                head_drivers[ident].file,
                old,
                new,
                probe_changes(old_verdict, new_verdict),
                evidence_changed=_evidence(base_drivers[ident]) != _evidence(head_drivers[ident]),
            )
        )
    overrides = _override_changes(base_drivers, head_drivers, today)
    old_data, new_data = _policy_data(base), _policy_data(head)
    policy = (
        policy_changes(old_data, new_data) if old_data is not None and new_data is not None else ()
    )
    inconsistent = tuple(i for i, (s, _) in head_states.items() if not s.consistent)
    return Comparison(
        base=base_label,
        head=head_label,
        policy_before=base.policy.label if base.policy else None,
        policy_after=head.policy.label if head.policy else None,
        added=added,
        removed=removed,
        changed=tuple(changed),
        overrides=overrides,
        policy=policy,
        distribution_before=(
            distribution(s for i, (s, _) in base_states.items() if not base_drivers[i].draft)
            if base.policy else None
        ),
        distribution_after=(
            distribution(s for i, (s, _) in head_states.items() if not head_drivers[i].draft)
            if head.policy else None
        ),
        invalid_before=_invalid(base),
        invalid_after=_invalid(head),
        inconsistent_after=inconsistent,
        today=today,
        drafts_before=sum(d.draft for d in base_drivers.values()) if base.policy else None,
        drafts_after=sum(d.draft for d in head_drivers.values()) if head.policy else None,
    )


def _policy_data(workspace: Workspace) -> Mapping[str, Any] | None:
    """The default policy's data, valid or not (a change may be what broke it)."""
    if workspace.policy is not None:
        return workspace.policy.raw
    doc = workspace.documents.get(DEFAULT_POLICY)
    return doc.data if doc is not None and isinstance(doc.data, Mapping) else None


def _evidence(driver: Driver) -> Driver:
    """The driver without its recorded verdict: what the probes see."""
    from dataclasses import replace

    return replace(driver, verdict=None)


def _override_changes(
    base: Mapping[str, Driver], head: Mapping[str, Driver], today: date | None
) -> tuple[OverrideChange, ...]:
    def override(driver: Driver | None) -> Override | None:
        return driver.verdict.override if driver and driver.verdict else None

    out = []
    for ident in sorted(set(base) | set(head)):
        old, new = override(base.get(ident)), override(head.get(ident))
        if old is None and new is None:
            continue
        expired = new is not None and today is not None and new.until < today
        file = (head.get(ident) or base[ident]).file
        if old is None:
            change = "added"
        elif new is None:
            if ident not in head:  # the driver went away; reported as removed already
                continue
            change = "removed"
        elif old != new:
            change = "changed"
        elif expired:
            change = "expired"
        else:
            continue
        out.append(OverrideChange(ident, file, change, old, new, expired))
    return tuple(out)


# -- policy -------------------------------------------------------------------------


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Policy data as {dotted key: leaf}. A hard rule is keyed by its id and each of its
    keys is one leaf (`rules.<id>.when`); other lists of mappings are keyed by index
    (`probes.activity.bands[0].points`); lists of plain values are one leaf."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        if not value and prefix:
            out[prefix] = {}
        for key in value:
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
    elif prefix == "rules" and isinstance(value, list) and _keyed(value):
        for rule in value:
            for key, item in rule.items():
                if key != "id":
                    out[f"rules.{rule['id']}.{key}"] = item
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index + 1}]"))
    else:
        out[prefix] = value
    return out


def _keyed(rules: list[Any]) -> bool:
    return all(isinstance(r, Mapping) and isinstance(r.get("id"), str) for r in rules)


def _rules(policy: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    rules = policy.get("rules")
    if not isinstance(rules, list) or not _keyed(rules):
        return {}
    return {r["id"]: {k: v for k, v in r.items() if k != "id"} for r in rules}


def policy_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[PolicyChange, ...]:
    """Every changed constant. A rule added or removed as a whole is one change
    (`rules.<id>`), a changed rule one change per changed key."""
    old, new = flatten(before), flatten(after)
    old_rules, new_rules = _rules(before), _rules(after)
    whole = {f"rules.{i}": (old_rules.get(i), new_rules.get(i))
             for i in set(old_rules) ^ set(new_rules)}
    out = [PolicyChange(key, "hard rules", b, a) for key, (b, a) in whole.items()]
    for key in set(old) | set(new):
        if old.get(key, _MISSING) == new.get(key, _MISSING):
            continue
        if any(key.startswith(rule + ".") for rule in whole):
            continue
        top = key.split(".")[0].split("[")[0]
        out.append(PolicyChange(key, POLICY_GROUPS.get(top, "metadata"), old.get(key),
                                new.get(key)))
    return tuple(sorted(out, key=lambda c: _key_order(c.key)))


_MISSING = object()
_ORDER = ("policy", "version", "description", "thresholds", "probes", "rules", "confidence",
          "window", "stale", "collect")


def _key_order(key: str) -> tuple[int, str]:
    top = key.split(".")[0].split("[")[0]
    return (_ORDER.index(top) if top in _ORDER else len(_ORDER), key)


def summarize_policy(changes: Sequence[PolicyChange]) -> dict[str, list[str]]:
    """group -> the changed keys, in report order (for a one-line summary)."""
    out: dict[str, list[str]] = {}
    for change in changes:
        out.setdefault(change.group, []).append(change.key)
    return out
