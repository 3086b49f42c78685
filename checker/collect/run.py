"""collect(): a kernel checkout and driver path specs in, signal mappings out.

Resolves REV, fixes the window, checks that the history covers it, walks history in
runs of commits on several processes at once (history.py), reads the tree at REV
(tree.py), and assembles each driver's `signals` mapping in the schema's key order.
Writes nothing: write.py puts the result into driver files.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from checker import __version__
from checker.collect.activity import Activity
from checker.collect.gitenv import local_attributes
from checker.collect.gitrepo import (
    Kernel,
    Revision,
    commit_times,
    open_kernel,
    resolve,
    shallow_boundary,
)
from checker.collect.history import Slice, Task, list_history, pathspecs_for, settle
from checker.collect.reverts import RevertFinder
from checker.collect.rules import CollectRules, month_keys
from checker.collect.runner import Runner, _read_tree_task, default_jobs, runs_of
from checker.collect.series import SeriesFinder
from checker.collect.sweeps import SweepFinder
from checker.collect.tree import TreeFacts
from checker.collect.usage import UsageOptions, usage_signals
from checker.collect.walker import owners_for
from checker.core.errors import CheckerError
from checker.core.paths import PathIndex, PathSpec

SIGNAL_KEYS = (
    "computed_by",
    "kernel_rev",
    "window",
    "files",
    "source_lines",
    "commits",
    "substantive_commits",
    "mechanical_commits",
    "lines_added",
    "lines_removed",
    "authors",
    "active_months",
    "monthly",
    "first_commit",
    "last_commit",
    "last_substantive_commit",
    "device_ids",
    "depends_on_broken",
    "maintainers_entry",
)
# Written after those (null when its sources state no copyright year; older files lack it).
COPYRIGHT_KEY = "copyright_year"
# Written after those (null when it has no C source; older files lack it).
ID_ENTRIES_KEY = "id_entries"
# Written after those: the window's months in which the tree has a commit that is not a
# sweep (older files lack it; history.Listing.months).
TREE_MONTHS_KEY = "tree_months"
# Written after those when the tree said anything about usage (collect/usage.py).
USAGE_KEY = "usage"
# Written after those only for a driver none of whose files is in the tree at REV.
ABSENT_KEYS = ("present", "removed_in")


@dataclass(frozen=True)
class DriverPaths:
    """One driver's id and `paths` patterns."""

    id: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    kconfig: tuple[str, ...] = ()  # as the driver file lists them: its own symbol first

    @property
    def spec(self) -> PathSpec:
        return PathSpec(self.include, self.exclude)


@dataclass
class Collected:
    """Everything collect found, ready to be written."""

    sha: str
    start: date
    end: date
    signals: dict[str, dict[str, Any]]
    kconfig: dict[str, tuple[str, ...]]
    maintainers_status: dict[str, str]
    commits_read: int
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase


def computed_by() -> str:
    return f"driver-policy collect {__version__}"


def day_start(day: date) -> int:
    return calendar.timegm(day.timetuple())


def to_day(stamp: int | None) -> date | None:
    from checker.collect.gitrepo import utc_day

    return None if stamp is None else utc_day(stamp)


def collect(
    kernel: Path,
    drivers: Sequence[DriverPaths],
    rules: CollectRules,
    *,
    rev: str = "HEAD",
    window_end: date | None = None,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
    usage: UsageOptions | None = None,
) -> Collected:
    """Signals for every driver in `drivers`, from the checkout at `kernel`.

    With several processes, the tree at REV is read by one of them while this one
    lists the commits, and runs of commits go to the processes once they are listed;
    with one, the tree is read on a thread, and history walked on another while the
    commits are listed. The window's commits are walked as soon as the listing has
    passed them, before the series are known; those are counted once it is over.
    """
    specs = {d.id: d.spec for d in drivers}
    if len(specs) != len(drivers):
        raise CheckerError("collect: the same driver id was given twice")
    repo = open_kernel(kernel)
    revision = resolve(repo, rev)
    end = window_end or revision.day
    start, end = rules.window(end)
    start_ts, end_ts = day_start(start), day_start(end + timedelta(days=1))
    warnings: list[str] = []
    complete = _check_depth(repo, kernel, start, start_ts, warnings)
    attributes = local_attributes(repo.common_dir)
    if attributes is not None:
        warnings.append(f"{attributes}: git applies this checkout's attributes to every "
                        "revision (a file they mark binary counts 0 lines): line counts "
                        "follow it, not the tree")
    mailmap = _mailmap_blob(revision)
    changes = None
    if usage is not None and usage.refresh_files:  # listed beside the walk (confighistory)
        from checker.collect.confighistory import ConfigChanges

        changes = ConfigChanges(repo, revision.sha, start_ts, end_ts, usage.refresh_files)
    try:
        return _collect(repo, revision, specs, drivers, rules, start, end, start_ts, end_ts,
                        warnings, complete, mailmap, jobs, progress, usage, changes)
    finally:
        if changes is not None:
            changes.close()


def _collect(repo: Kernel, revision: Revision, specs: dict[str, PathSpec],
             drivers: Sequence[DriverPaths], rules: CollectRules, start: date, end: date,
             start_ts: int, end_ts: int, warnings: list[str], complete: bool, mailmap: str,
             jobs: int, progress: Callable[[int], None] | None, usage: UsageOptions | None,
             changes: Any) -> Collected:
    timings: dict[str, float] = {}
    spec_data = tuple((d.id, d.include, d.exclude) for d in drivers)
    jobs = jobs or default_jobs()
    pathspecs = pathspecs_for(specs.values())
    counting, before = Slice(start_ts, end_ts, True), Slice(None, start_ts, False)
    with Runner(jobs, progress) as runner:
        # With processes, one of them reads the tree now; with threads, the tree is read
        # once the window's walk has started (its parsing would slow the listing's).
        tree_args = (repo, revision.sha, spec_data, rules)
        tree_jobs = [runner.call(_read_tree_task, *tree_args)] if runner.pool else []

        def read_tree_now() -> None:
            if not tree_jobs:
                tree_jobs.append(runner.call(_read_tree_task, *tree_args))

        clock = time.monotonic()
        finder = SeriesFinder(rules)
        reverts = RevertFinder() if rules.exclude_reverts else None
        sweeps = SweepFinder(rules, owners_for(spec_data), start_ts, end_ts) \
            if rules.sweep_directories else None
        left_out = sweeps.skipped if sweeps is not None else set()

        def walk(window: Slice, commits: list[str], series: frozenset[str] | None,
                 excluded: frozenset[str] = frozenset()) -> None:
            if left_out:  # sweeps and what the listing settled (sweeps.py) are not walked
                commits = [commit for commit in commits if commit not in left_out]
            for revs in runs_of(commits, runner.walkers):
                runner.add(Task(repo, revision.sha, window, pathspecs, spec_data,
                                rules, mailmap, revs, series if series is None else
                                frozenset(r for r in revs if r in series),
                                frozenset(r for r in revs if r in excluded)))

        # One pass lists the commits, finds the series and the reverts; the window's
        # commits (which carry line counts) are walked as soon as they are listed, then
        # the rest.
        def early(commits: list[str]) -> None:
            timings["walk starts"] = time.monotonic() - clock
            known = not finder.enabled and reverts is None
            walk(counting, commits, frozenset() if known else None)
            read_tree_now()

        listing = list_history(repo, revision.sha, start_ts, end_ts, finder, mailmap, early,
                               reverts, sweeps)
        timings["list"] = time.monotonic() - clock
        read_tree_now()
        series, excluded = listing.series, listing.excluded
        walk(counting, listing.window[listing.handed:], series, excluded)
        walk(before, listing.before, series, excluded)
        totals, commits_read, pending = runner.finish()
        settle(totals, pending, series, excluded)
        if sweeps is not None:
            sweeps.settle(totals, series, excluded)
            commits_read += sweeps.touching
        timings["history"] = time.monotonic() - clock
        facts, timings["tree"] = tree_jobs[0]()

    usages: dict[str, dict[str, Any]] = {}
    if usage is not None:
        clock = time.monotonic()
        usages, usage_warnings = usage_signals(
            repo, revision.sha, {d.id: (usage_symbols(d, facts[d.id]), facts[d.id].paths,
                                        facts[d.id].compatibles) for d in drivers},
            replace(usage, jobs=jobs, window=(start_ts, end_ts)), changes)
        warnings.extend(usage_warnings)
        timings["usage"] = time.monotonic() - clock
    months = month_keys(start, end)
    result = Collected(revision.sha, start, end, {}, {}, {}, commits_read, warnings, timings)
    absent = {d.id: d.spec for d in drivers if not facts[d.id].files}
    removals = find_removals(repo, revision.sha, absent) if absent else {}
    for driver in drivers:
        act = totals.get(driver.id) or Activity()
        tree = facts[driver.id]
        result.signals[driver.id] = _signals(revision, start, end, months, act, tree, complete,
                                             usages.get(driver.id), len(listing.months))
        if driver.id in absent:
            result.signals[driver.id]["present"] = False
            removal = removals.get(driver.id)
            result.signals[driver.id]["removed_in"] = None if removal is None else {
                "commit": removal[0], "date": to_day(removal[1])}
        if tree.kconfig:
            result.kconfig[driver.id] = tree.kconfig
        if tree.maintainers_status is not None:
            result.maintainers_status[driver.id] = tree.maintainers_status
    return result


def usage_symbols(driver: DriverPaths, facts: TreeFacts) -> tuple[str, ...]:
    """The symbols whose usage is the driver's: the first its file lists (a discovered
    unit's own; the others are options of it, such as DEBUG_FS), else those that gate
    its files (a directory of several drivers is built when any of them is; which one's
    Kconfig entry is the unit's is then not known: checker/collect/usage.py)."""
    if driver.kconfig:
        return driver.kconfig[:1]
    return facts.kconfig


def _signals(revision: Revision, start: date, end: date, months: list[str], act: Activity,
             tree: TreeFacts, complete: bool, usage: dict[str, Any] | None = None,
             tree_months: int | None = None) -> dict[str, Any]:
    monthly = []
    for month in months:
        commits, added, removed = act.months.get(month, (0, 0, 0))
        monthly.append({"month": month, "commits": commits, "added": added, "removed": removed})
    values: dict[str, Any] = {
        "computed_by": computed_by(),
        "kernel_rev": revision.sha,
        "window": {"start": start, "end": end},
        "files": tree.files,
        "source_lines": tree.source_lines,
        "commits": act.commits,
        "substantive_commits": act.substantive,
        "mechanical_commits": act.mechanical,
        "lines_added": act.added,
        "lines_removed": act.removed,
        "authors": len(act.authors),
        "active_months": sum(1 for item in monthly if item["commits"]),
        "monthly": monthly,
        "first_commit": to_day(act.first) if complete else None,
        "last_commit": to_day(act.last),
        "last_substantive_commit": to_day(act.last_substantive),
        "device_ids": tree.device_ids,
        "depends_on_broken": tree.depends_on_broken,
        "maintainers_entry": tree.maintainers_entry,
    }
    assert tuple(values) == SIGNAL_KEYS
    values[COPYRIGHT_KEY] = tree.copyright_year
    values[ID_ENTRIES_KEY] = tree.id_entries
    if tree_months is not None:
        values[TREE_MONTHS_KEY] = tree_months
    if usage is not None:
        values[USAGE_KEY] = usage
    return values


def find_removals(kernel: Kernel, sha: str, drivers: dict[str, PathSpec]
                  ) -> dict[str, tuple[str, int]]:
    """For drivers with no file at `sha`: the newest commit (reachable from `sha`) that
    deleted a file of theirs, as (sha, committer time); one `git log --diff-filter=D`
    for all of them. A file moved out of a driver's paths counts as deleted there."""
    from checker.collect.gitrepo import Stream

    pathspecs = []
    for spec in drivers.values():
        for pattern in spec.include_patterns:
            text = "/".join(pattern.parts)
            if pattern.is_glob:
                pathspecs.append(f":(glob){text}" + ("/**" if pattern.text.endswith("/")
                                                     else ""))
            else:
                pathspecs.append(f":(literal){text}")
    index = PathIndex(drivers.items())
    found: dict[str, tuple[str, int]] = {}
    data = Stream(kernel, "log", ["--no-merges", "--diff-filter=D", "--no-renames",
                                    "--name-only", "-z", "--format=%x01%H %ct", sha, "--",
                                *sorted(set(pathspecs))]).read_all()
    for record in data.split(b"\x01")[1:]:
        header, _, names = record.partition(b"\0")
        commit, _, stamp = header.decode().partition(" ")
        for name in names.lstrip(b"\n").split(b"\0"):
            if not name:
                continue
            for owner in index.owners(name.decode("utf-8", "surrogateescape")):
                found.setdefault(owner, (commit, int(stamp)))
        if len(found) == len(drivers):
            break
    return found


def _check_depth(repo: Kernel, kernel: Path, start: date, start_ts: int,
                 warnings: list[str]) -> bool:
    """Fail if a shallow clone cuts the window; True when the whole history is there."""
    boundary = shallow_boundary(repo)
    if not boundary:
        return True
    cut = max(commit_times(repo, boundary))
    if cut >= start_ts:
        since = (start - timedelta(days=1)).isoformat()
        raise CheckerError(
            f"--kernel {kernel}: shallow clone: its history stops at "
            f"{to_day(cut)}, but the window starts on {start.isoformat()}; deepen it "
            f"to cover the window: git -C {kernel} fetch --shallow-since={since} "
            "(or --unshallow, which also gives first_commit)"
        )
    warnings.append(
        f"shallow clone (history stops at {to_day(cut)}): the window is covered, "
        "but first_commit is written as null; `git fetch --unshallow` to get it"
    )
    return False


def _mailmap_blob(revision: Revision) -> str:
    """`.mailmap` at REV, and no other: named even when REV has none (git then maps no
    address), so that no later `.mailmap` (the work tree's, HEAD's) is read instead."""
    return f"{revision.sha}:.mailmap"
