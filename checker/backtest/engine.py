"""Run a backtest: at each OLD point, units present, signals as of OLD, verdicts, truth.

Nothing after OLD reaches the signals: `collect` walks only commits reachable from
OLD, reads the tree and `.mailmap` at OLD, and ends its window on OLD's committer
date; the units are the ones claiming files of the tree at OLD. Only the ground
truth reads OLD..NEW.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from checker.backtest.truth import Fate, Removal, fates, removed_units, tree_paths
from checker.backtest.units import Unit, present
from checker.collect.gitrepo import Revision, check_rev_syntax, open_repo, resolve
from checker.collect.history import RENAME_LIMIT, pathspecs_for
from checker.collect.rules import CollectRules
from checker.collect.usage import UsageOptions
from checker.core.days import shift_months
from checker.core.errors import CheckerError, UsageError
from checker.core.model import Driver, Hardware, Replacement
from checker.evaluate.engine import evaluate
from checker.evaluate.probes.common import months_between
from checker.validate.policy import Policy

DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# Single signals measured next to the score: name -> what it is. For each, a higher
# value is read as "more likely kept" when the AUC is computed.
FEATURES: dict[str, str] = {
    "age_months": "months from the first commit to OLD",
    "commits": "commits in the window",
    "substantive_commits": "substantive commits in the window",
    "authors": "distinct authors in the window",
    "active_months": "months with a commit in the window",
    "lines_changed": "lines added + removed in the window",
    "source_lines": "source lines at OLD",
    "copyright_year": "the newest year its sources' copyright lines state",
    "months_since_substantive": "months from the last substantive commit to OLD",
    "months_since_commit": "months from the last commit to OLD",
    # usage at OLD: units without the signal (no symbol, no configuration, no device
    # tree) are left out of its AUC
    "configs": "shipped configurations that build it",
    "config_upkeep": "months since a configuration that builds it changed",
    "selected": "select/imply statements naming its symbols",
    "dt_users": "device trees using its compatibles",
    "id_entries": "entries of its id tables (devices it declares it matches)",
    "free_of_deprecated": "1 when it needs no Kconfig symbol announced as deprecated, else 0",
}

# (repo, commit OLD, the files of the tree at OLD) -> the units to score
UnitSource = Callable[[Any, str, list[str]], list[Unit]]


@dataclass(frozen=True)
class Row:
    """One unit at one OLD point: what the policy said and what happened."""

    at: str
    unit: str
    score: float
    verdict: str
    rule: str
    confidence: float
    removal: Removal | None
    features: dict[str, float | None]
    findings: tuple[tuple[str, str, float], ...]  # (probe, value, contribution)

    @property
    def removed(self) -> bool:
        return self.removal is not None


@dataclass(frozen=True)
class Point:
    """One OLD point of the backtest."""

    label: str
    sha: str
    day: date
    units: int
    removed: int
    commits_read: int
    warnings: tuple[str, ...] = ()
    outcome_sha: str = ""  # the revision whose tree is the outcome for this point
    outcome_day: date | None = None


@dataclass
class Result:
    kernel: str
    to_label: str
    to_sha: str
    to_day: date
    policy: str
    horizon_months: int | None = None
    points: list[Point] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def resolve_point(repo: Any, text: str, to: Revision, option: str) -> Revision:
    """A revision, or a day YYYY-MM-DD: the last first-parent commit of NEW on or
    before that day (so that --at 2021-01-01 needs no tag)."""
    if DATE_RE.match(text):
        try:
            date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{option} {text}: not a valid date") from None
        found = last_commit_by(repo, date.fromisoformat(text), to)
        if found is None:
            raise CheckerError(f"{option} {text}: no commit of {to.sha[:12]} on or before "
                               "that day")
        return resolve(repo, found)
    check_rev_syntax(text)
    return resolve(repo, text)


@dataclass(frozen=True)
class Sample:
    """One unit at one OLD point as the policy sees it (a scaffolded driver: signals as of
    OLD, every assessment unknown) and what happened to it afterwards. Evaluation is
    pure, so a sample can be scored under any policy that collects the same way
    (calibration re-scores the same samples under candidate policies)."""

    at: str
    unit: str
    driver: Driver
    removal: Removal | None
    features: dict[str, float | None]

    @property
    def removed(self) -> bool:
        return self.removal is not None


@dataclass
class Gathered:
    """What a backtest collected: its points and every unit's sample, not yet scored."""

    kernel: str
    to_label: str
    to_sha: str
    to_day: date
    horizon_months: int | None = None
    points: list[Point] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


def last_commit_by(repo: Any, day: date, to: Revision) -> str | None:
    """The last first-parent commit of `to` committed on or before `day` (UTC), as
    `git rev-list -1 --first-parent --before=DAY` would give it, but compared here with
    each commit's timestamp: git's date parser misreads days it cannot hold without a
    word (`--before='9999-12-31 23:59:59 +0000'` let no commit through)."""
    from checker.collect.gitrepo import Stream

    bound = (day - date(1970, 1, 1)).days * 86400 + 86399  # 23:59:59 UTC, may be negative
    stream = Stream(repo, "rev-list", ["--first-parent", "--timestamp", to.sha, "--"])
    try:
        pending = b""
        for chunk in stream.chunks():
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                stamp, _, sha = line.partition(b" ")
                if int(stamp) <= bound:
                    stream.kill()  # the rest of history is not needed
                    return sha.decode("ascii")
        stamp, _, sha = pending.partition(b" ")
        if pending and int(stamp) <= bound:
            stream.kill()
            return sha.decode("ascii")
    except BaseException:
        stream.kill()
        raise
    stream.finish()  # git's own failure, if it failed, is the message
    return None


def run_backtest(
    kernel: Path,
    ats: Sequence[str],
    to: str,
    policy: Policy,
    units_for: UnitSource,
    *,
    jobs: int = 0,
    horizon_months: int | None = None,
    progress: Callable[[str], Callable[[int], None] | None] | None = None,
    usage: UsageOptions | None = None,
) -> Result:
    """Backtest `policy` at every OLD in `ats` against what NEW (`to`) holds, or, with
    `horizon_months`, what the tree held that many months after OLD (at most NEW)."""
    return score(gather(kernel, ats, to, policy, units_for, jobs=jobs,
                        horizon_months=horizon_months, progress=progress, usage=usage),
                 policy)


def gather(
    kernel: Path,
    ats: Sequence[str],
    to: str,
    policy: Policy,
    units_for: UnitSource,
    *,
    jobs: int = 0,
    horizon_months: int | None = None,
    progress: Callable[[str], Callable[[int], None] | None] | None = None,
    usage: UsageOptions | None = None,
) -> Gathered:
    """Collect every unit present at each OLD in `ats` (signals as of OLD, under the
    policy's collect rules and window) and its fate by NEW or the horizon (the
    policy's removal patterns). Nothing is scored."""
    from checker.collect.run import DriverPaths, collect

    rules = CollectRules.from_policy(policy.raw)
    patterns = removal_patterns(policy)
    repo = open_repo(kernel)
    try:
        new = resolve(repo, to) if not DATE_RE.match(to) else None
        if new is None:
            head = resolve(repo, "HEAD")
            new = resolve_point(repo, to, head, "--to")
        olds = [resolve_point(repo, text, new, "--at") for text in ats]
        for text, old in zip(ats, olds, strict=True):
            if not _is_ancestor(repo, old.sha, new.sha):
                raise CheckerError(f"--at {text} ({old.sha[:12]}) is not an ancestor of "
                                   f"--to {to} ({new.sha[:12]}): nothing to compare")
        trees: dict[str, set[str]] = {}
        plan = []
        for text, old in zip(ats, olds, strict=True):
            outcome = new
            if horizon_months is not None:
                end = months_after(old.day, horizon_months)
                if end < new.day:
                    outcome = resolve_point(repo, end.isoformat(), new, "--horizon")
            if outcome.sha not in trees:
                trees[outcome.sha] = set(tree_paths(repo, outcome.sha))
            paths = tree_paths(repo, old.sha)
            units = units_for(repo, old.sha, paths)
            claimed = present(units, paths)
            specs = {u.id: u.spec for u in units if u.id in claimed}
            events, warning = _fates(repo, old.sha, outcome.sha, policy, specs.values())
            truth = removed_units(claimed, specs, trees[outcome.sha], events, patterns)
            plan.append((text, old, outcome, [u for u in units if u.id in claimed], truth,
                         warning))
    finally:
        repo.close()
    result = Gathered(str(kernel), to, new.sha, new.day, horizon_months)
    if not any(units for _, _, _, units, _, _ in plan):
        text, old = plan[0][0], plan[0][1]
        raise CheckerError(f"--at {text}: no unit has a file in the tree at {old.sha[:12]} "
                           "(with --discover: the discovery rules find nothing there; the "
                           "tree's build files or markers may then have been others)")
    for text, old, outcome, units, truth, warning in plan:
        if not units:
            # one OLD without units among others: said, and left out of the pooled figures
            result.points.append(Point(text, old.sha, old.day, 0, 0, 0, (
                f"no unit has a file in the tree at {old.sha[:12]}: the discovery rules "
                "match nothing there (build files or markers under other names?); this "
                "point is left out",), outcome.sha, outcome.day))
            continue
        tick = progress(text) if progress is not None else None
        collected = collect(kernel, [DriverPaths(u.id, u.include, u.exclude, u.kconfig)
                                     for u in units],
                            rules, rev=old.sha, jobs=jobs, progress=tick, usage=usage)
        if warning:
            collected.warnings.append(warning)
        for unit in units:
            signals = collected.signals[unit.id]
            status = collected.maintainers_status.get(unit.id, "unknown")
            result.samples.append(Sample(text, unit.id, unit_driver(unit, signals, status),
                                         truth.get(unit.id),
                                         features(signals, collected.end)))
        result.points.append(Point(text, old.sha, old.day, len(units), len(truth),
                                   collected.commits_read, tuple(collected.warnings),
                                   outcome.sha, outcome.day))
    return result


def score(gathered: Gathered, policy: Policy) -> Result:
    """Every sample evaluated under `policy`: the rows a report summarises."""
    result = Result(gathered.kernel, gathered.to_label, gathered.to_sha, gathered.to_day,
                    policy.label, gathered.horizon_months, list(gathered.points))
    for sample in gathered.samples:
        verdict = evaluate(sample.driver, policy)
        result.rows.append(Row(
            at=sample.at,
            unit=sample.unit,
            score=verdict.score,
            verdict=verdict.value,
            rule=verdict.rule,
            confidence=verdict.confidence,
            removal=sample.removal,
            features=sample.features,
            findings=tuple((f.probe, "unknown" if f.value is None else str(f.value),
                            f.contribution) for f in verdict.findings),
        ))
    return result


def _fates(repo: Any, old: str, new: str, policy: Policy, specs: Any
           ) -> tuple[dict[str, Fate], str | None]:
    """fates() over OLD..NEW; when git cannot read an object on the way (a clone whose
    largest files are missing), again over the units' directories only, with a warning."""
    limit = int((policy.raw.get("backtest") or {}).get("rename_limit", RENAME_LIMIT))
    try:
        return fates(repo, old, new, limit), None
    except CheckerError as exc:
        if "unable to read" not in str(exc):
            raise
        where = pathspecs_for(specs, limit=16)
        shown = ", ".join(p.removeprefix(":(literal)") for p in where)
        return fates(repo, old, new, limit, where), (
            f"git could not read every object of {old[:12]}..{new[:12]} (missing from the "
            f"clone): removals were read below {shown} only (a move out of there counts "
            "as a deletion)")


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later (clamped to the month's end, and to
    9999-12-31: past NEW either way, so the outcome is NEW)."""
    return shift_months(day, months)


def _is_ancestor(repo: Any, old: str, new: str) -> bool:
    from git.exc import GitCommandError

    try:
        repo.git.merge_base("--is-ancestor", old, new)
    except GitCommandError:
        return False
    return True


def removal_patterns(policy: Policy) -> list[Any]:
    section = policy.raw.get("backtest") or {}
    patterns = section.get("removal_patterns") or []
    if not patterns:
        raise CheckerError(f"{policy.file}: backtest.removal_patterns is missing or empty "
                           "(the subjects of commits that remove a driver)")
    from checker.core.saferegex import RegexError, compile_policy_regex

    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_policy_regex(str(pattern)))
        except RegexError as exc:
            raise CheckerError(f"{policy.file}: backtest.removal_patterns: {pattern!r} "
                               f"{exc}") from None
    return compiled


def unit_driver(unit: Unit, signals: dict[str, Any], status: str) -> Driver:
    """A unit as a freshly scaffolded repository would hold it: collected signals and
    MAINTAINERS status, every assessment field unknown."""
    from checker.validate.models import signals_model

    return Driver(
        id=unit.id,
        file=f"<backtest {unit.id}>",
        name=unit.id,
        subsystem=unit.id.split("/", 1)[0],
        category="misc",
        path=unit.include[0],
        include=unit.include,
        exclude=unit.exclude,
        granularity="directory",
        kconfig=unit.kconfig,
        summary="",
        deployment="unknown",
        hardware=Hardware("unknown", None, None),
        replacement=Replacement("unknown"),
        maintainers_status=status,
        upstream=(),
        users_reported=(),
        signals=signals_model(signals),
        sources=(),
        verdict=None,
    )


def features(signals: dict[str, Any], as_of: date) -> dict[str, float | None]:
    first = signals["first_commit"]
    last = signals["last_commit"]
    last_sub = signals["last_substantive_commit"]
    age = months_between(first, as_of) if first else None
    return {
        "age_months": age,
        "commits": signals["commits"],
        "substantive_commits": signals["substantive_commits"],
        "authors": signals["authors"],
        "active_months": signals["active_months"],
        "lines_changed": signals["lines_added"] + signals["lines_removed"],
        "source_lines": signals["source_lines"],
        "copyright_year": signals.get("copyright_year"),
        # Never a substantive commit: as long ago as the first commit.
        "months_since_substantive": months_between(last_sub, as_of) if last_sub else age,
        "months_since_commit": months_between(last, as_of) if last else age,
        # usage at OLD (null without a configuration, a symbol or a device tree)
        "configs": (signals.get("usage") or {}).get("configs"),
        "selected": (signals.get("usage") or {}).get("selected"),
        "dt_users": (signals.get("usage") or {}).get("dt_users"),
        "id_entries": signals.get("id_entries"),
        # months since a configuration building it changed (null: none builds it)
        "config_upkeep": _months_since((signals.get("usage") or {}).get("configs_changed"),
                                       as_of),
        "free_of_deprecated": _free((signals.get("usage") or {}).get("needs_deprecated")),
    }


def _free(needs: Any) -> float | None:
    return None if needs is None else float(not needs)


def _months_since(day: Any, as_of: date) -> float | None:
    return None if day is None else months_between(day, as_of)
