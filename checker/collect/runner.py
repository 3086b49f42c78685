"""Running collect's work: runs of commits cut evenly, on several processes when there
are several cores (and a tree read beside the walk)."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from checker.collect.activity import Activity, merge_into
from checker.collect.gitrepo import Kernel
from checker.collect.history import Pending, Task
from checker.collect.rules import CollectRules
from checker.collect.tree import TreeFacts, read_tree
from checker.collect.walker import run_task
from checker.core.paths import PathSpec

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


# Commits are walked in runs of at most this many, handed to the worker processes once
# they are listed (a process that finishes early takes the next run). Each run is a new
# git process whose caches start cold, so runs are long: 5,000 cost about 15% more CPU
# than 20,000 on the benchmark repository. With several processes (or, with --jobs 1,
# the two walking threads), each kind of run (window, before it) is cut into at least
# RUNS_PER_JOB runs per process, of at least MIN_RUN commits, so that no process walks
# alone at the end (on rdma-core's window of 1,424 commits, four runs cost git about
# 10% more CPU than two). The window's commits
# listed before the older history are cut into runs as soon as they are listed, the
# rest once the listing is over. Every commit is in exactly one run: the result does
# not depend on how many runs or processes there are.
RUN_SIZE = 20000
RUNS_PER_JOB = 2
MIN_RUN = 500
WALK_THREADS = 2  # with --jobs 1 (see Runner)


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
        # With one process, two threads walk, each with its own git: the window's runs
        # are cut for two walkers, so that both cores walk while this thread lists.
        self.jobs = max(1, jobs)
        self.walkers = self.jobs if self.jobs > 1 else WALK_THREADS
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
        merge_into(self.totals, found)


def _drain(channel: Any, progress: Callable[[int], None] | None) -> None:
    if channel is None or progress is None:
        return
    while True:
        try:
            progress(channel.get_nowait())
        except queue.Empty:
            return
