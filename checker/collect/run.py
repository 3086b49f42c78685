"""collect(): a kernel checkout and driver path specs in, signal mappings out.

Resolves REV, fixes the window, checks that the history covers it, walks history in
runs of commits on several processes at once (history.py), reads the tree at REV
(tree.py), and assembles each driver's `signals` mapping in the schema's key order.
Writes nothing: write.py puts the result into driver files.
"""

from __future__ import annotations

import calendar
import os
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker import __version__
from checker.collect.gitrepo import (
    GitFailed,
    Kernel,
    Revision,
    commit_times,
    open_kernel,
    resolve,
    shallow_boundary,
)
from checker.collect.history import (
    Activity,
    Pending,
    Slice,
    Task,
    list_history,
    pathspecs_for,
    run_task,
    settle,
)
from checker.collect.rules import CollectRules, month_keys
from checker.collect.series import SeriesFinder
from checker.collect.tree import TreeFacts, read_tree
from checker.errors import CheckerError
from checker.paths import PathIndex, PathSpec

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Commits are walked in runs of at most this many, handed to the worker processes once
# they are listed (a process that finishes early takes the next run). Each run is a new
# git process whose caches start cold, so runs are long: 5,000 cost about 15% more CPU
# than 20,000 on the benchmark repository. With several processes, each kind of run
# (window, before it) is cut into at least RUNS_PER_JOB runs per process, of at least
# MIN_RUN commits, so that no process walks alone at the end (on rdma-core's window of
# 1,424 commits, four runs cost git about 10% more CPU than two). The window's commits
# listed before the older history are cut into runs as soon as they are listed, the
# rest once the listing is over. Every commit is in exactly one run: the result does
# not depend on how many runs or processes there are.
RUN_SIZE = 20000
WALK_THREADS = 2  # with --jobs 1 (see Runner)
RUNS_PER_JOB = 2
MIN_RUN = 500

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
# Written after those only for a driver none of whose files is in the tree at REV.
ABSENT_KEYS = ("present", "removed_in")


@dataclass(frozen=True)
class DriverPaths:
    """One driver's id and `paths` patterns."""

    id: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

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
) -> Collected:
    """Signals for every driver in `drivers`, from the checkout at `kernel`.

    With several processes, the tree at REV is read by one of them while this one
    lists the commits, and runs of commits go to the processes once they are listed;
    with one, the tree is read on a thread, and history walked on another while the
    commits are listed. The window's commits are walked as soon as the listing has
    passed them, before the series are known; those are counted once it is over.
    """
    timings: dict[str, float] = {}
    specs = {d.id: d.spec for d in drivers}
    if len(specs) != len(drivers):
        raise CheckerError("collect: the same driver id was given twice")
    spec_data = tuple((d.id, d.include, d.exclude) for d in drivers)
    repo = open_kernel(kernel)
    revision = resolve(repo, rev)
    end = window_end or revision.day
    start, end = rules.window(end)
    start_ts, end_ts = day_start(start), day_start(end + timedelta(days=1))
    warnings: list[str] = []
    complete = _check_depth(repo, kernel, start, start_ts, warnings)
    mailmap = _mailmap_blob(repo, revision)
    pathspecs = pathspecs_for(specs.values())
    jobs = jobs or default_jobs()
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

        def walk(window: Slice, commits: list[str], series: frozenset[str] | None) -> None:
            for revs in runs_of(commits, jobs):
                runner.add(Task(repo, revision.sha, window, pathspecs, spec_data,
                                rules, mailmap, revs, series if series is None else
                                frozenset(r for r in revs if r in series)))

        # One pass lists the commits and finds the series; the window's commits (which
        # carry line counts) are walked as soon as they are listed, then the rest.
        def early(commits: list[str]) -> None:
            timings["walk starts"] = time.monotonic() - clock
            walk(counting, commits, None if finder.enabled else frozenset())
            read_tree_now()

        listing = list_history(repo, revision.sha, start_ts, end_ts, finder, mailmap, early)
        timings["list"] = time.monotonic() - clock
        read_tree_now()
        series = listing.series
        walk(counting, listing.window[listing.handed:], series)
        walk(before, listing.before, series)
        totals, commits_read, pending = runner.finish()
        settle(totals, pending, series)
        timings["history"] = time.monotonic() - clock
        facts, timings["tree"] = tree_jobs[0]()

    months = month_keys(start, end)
    result = Collected(revision.sha, start, end, {}, {}, {}, commits_read, warnings, timings)
    absent = {d.id: d.spec for d in drivers if not facts[d.id].files}
    removals = find_removals(repo, revision.sha, absent) if absent else {}
    for driver in drivers:
        act = totals.get(driver.id) or Activity()
        tree = facts[driver.id]
        result.signals[driver.id] = _signals(revision, start, end, months, act, tree, complete)
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


def _signals(revision: Revision, start: date, end: date, months: list[str], act: Activity,
             tree: TreeFacts, complete: bool) -> dict[str, Any]:
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


def _mailmap_blob(repo: Kernel, revision: Revision) -> str | None:
    """`.mailmap` at REV, so that a bare or differently checked-out tree agrees."""
    try:
        repo.run("cat-file", "-e", f"{revision.sha}:.mailmap")
    except GitFailed:
        return None
    return f"{revision.sha}:.mailmap"


# ---------------------------------------------------------------------------------
# Running the work, on several processes when there are several cores.

_progress_queue: Any = None


def _init_worker(channel: Any) -> None:
    global _progress_queue
    _progress_queue = channel


def _worker(task: Task) -> tuple[dict[str, Activity], int, list[Pending]]:
    channel = _progress_queue
    return run_task(task, channel.put if channel is not None else None)


def default_jobs() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


def _read_tree_task(repo: Kernel, sha: str,
                    spec_data: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...],
                    rules: CollectRules) -> tuple[dict[str, TreeFacts], float]:
    clock = time.monotonic()
    specs = {owner: PathSpec(inc, exc) for owner, inc, exc in spec_data}
    return read_tree(repo, sha, specs, rules), time.monotonic() - clock


def runs_of(commits: list[str], jobs: int) -> list[tuple[str, ...]]:
    """`commits` cut into runs of nearly equal size: at most RUN_SIZE each and, with
    several processes, RUNS_PER_JOB per process where each keeps MIN_RUN commits."""
    if not commits:
        return []
    count = -(-len(commits) // RUN_SIZE)
    if jobs > 1:
        count = max(count, min(jobs * RUNS_PER_JOB, len(commits) // MIN_RUN))
    size = -(-len(commits) // count)
    return [tuple(commits[at:at + size]) for at in range(0, len(commits), size)]


class Runner:
    """Runs work on a thread of this process (jobs == 1) or in a pool of worker
    processes.

    The pool is started (its workers forked) before this process starts any thread
    or git command of its own; work is then handed out as it is planned, and this
    process goes on planning (listing history) meanwhile.
    """

    def __init__(self, jobs: int, progress: Callable[[int], None] | None) -> None:
        # With one process, two threads walk: the window's runs, and the history before
        # it once listed (its git runs meanwhile, on the other core) instead of after.
        self.jobs = max(1, jobs)
        self.progress = progress
        self.pool: ProcessPoolExecutor | None = None
        self.thread: ThreadPoolExecutor | None = None
        self.channel: Any = None
        self.pending: set[Future[tuple[dict[str, Activity], int, list[Pending]]]] = set()
        self.totals: dict[str, Activity] = {}
        self.unsettled: list[Pending] = []
        self.read = 0

    def __enter__(self) -> Runner:
        if self.jobs > 1:
            import multiprocessing  # only here: one process starts without it
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            self.channel = context.Queue() if self.progress is not None else None
            self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=context,
                                            initializer=_init_worker,
                                            initargs=(self.channel,))
        else:
            self.thread = ThreadPoolExecutor(max_workers=WALK_THREADS)
        return self

    def __exit__(self, *exc: object) -> None:
        for executor in (self.pool, self.thread):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def call(self, function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        """Start function(*args); the returned callable waits for its result. With one
        process, it runs on a thread of this one (the tree is read while git walks)."""
        if self.pool is None:
            threads = ThreadPoolExecutor(max_workers=1)
            future = threads.submit(function, *args)
            threads.shutdown(wait=False)
            return future.result
        future = self.pool.submit(function, *args)
        return future.result

    def add(self, task: Task) -> None:
        """Start walking one run of history (after the runs before it, with one process)."""
        if self.pool is None:
            assert self.thread is not None
            self.pending.add(self.thread.submit(run_task, task, self.progress))
        else:
            self.pending.add(self.pool.submit(_worker, task))
            _drain(self.channel, self.progress)

    def finish(self) -> tuple[dict[str, Activity], int, list[Pending]]:
        """Wait for every run; per-driver activity summed, the commits read, and those
        walked before the series were known (see history.settle)."""
        try:
            while self.pending:
                done, self.pending = wait(self.pending, timeout=0.2,
                                          return_when=FIRST_COMPLETED)
                _drain(self.channel, self.progress)
                for future in done:
                    self._absorb(*future.result())
        except BaseException:
            for future in self.pending:
                future.cancel()
            raise
        _drain(self.channel, self.progress)
        return self.totals, self.read, self.unsettled

    def _absorb(self, found: dict[str, Activity], count: int, pending: list[Pending]) -> None:
        self.read += count
        self.unsettled += pending
        for driver, act in found.items():
            if driver in self.totals:
                self.totals[driver].merge(act)
            else:
                self.totals[driver] = act


def _drain(channel: Any, progress: Callable[[int], None] | None) -> None:
    if channel is None or progress is None:
        return
    while True:
        try:
            progress(channel.get_nowait())
        except queue.Empty:
            return
