"""checker.core.workers: one function over many items in forked processes, in order."""

from __future__ import annotations

import os

import pytest

from checker.core.workers import fork_map


def square_and_pid(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_in_order_whatever_the_workers(jobs: int) -> None:
    results = fork_map(square_and_pid, list(range(200)), jobs, smallest_chunk=7)
    assert [value for value, _ in results] == [n * n for n in range(200)]
    pids = {pid for _, pid in results}
    assert (pids == {os.getpid()}) == (jobs == 1)  # one job: this process, no fork
