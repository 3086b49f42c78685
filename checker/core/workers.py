"""One function over many items, in forked worker processes (check, render).

The work is cut into chunks (several per worker, so that a slow chunk does not leave
the other cores idle); what the parent process holds when the workers fork is shared
with them, frozen so that no garbage collection in a worker walks (and so copies) it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def fork_map(function: Callable[[Item], Result], items: Sequence[Item], jobs: int,
             *, chunks_per_job: int = 8, smallest_chunk: int = 16) -> list[Result]:
    """[function(item) for item in items], in order, on `jobs` forked processes.
    `function` must be a module-level function (the workers find it by name) and read
    what else it needs from module state set before the call."""
    if jobs <= 1:
        return [function(item) for item in items]
    import gc
    import multiprocessing

    chunk = max(smallest_chunk, len(items) // (jobs * chunks_per_job))
    parts = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    context = multiprocessing.get_context("fork")
    gc.freeze()
    try:
        with context.Pool(jobs) as pool:
            return [r for part in pool.imap(functools.partial(_each, function), parts)
                    for r in part]
    finally:
        gc.unfreeze()


def _each(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    return [function(item) for item in items]
