"""Run a function in a forked child: its own environment, a time limit, no shared state.

Used for work that reads a tree with a third-party parser (kconfiglib) that consults
the process environment, imports modules named by it and may recurse deeply: the
child gets a clean environment, and a crash, a hang or a RecursionError there is a
result the caller turns into a warning, never the command's end.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Failed:
    """What went wrong in the child, in one line."""

    reason: str


def run_isolated(fn: Callable[[], Any], timeout: float,
                 environ: Mapping[str, str] | None = None) -> Any:
    """`fn()` in a forked child with `environ` as its whole environment; its result, or
    `Failed` when it raised, died or ran longer than `timeout` seconds. Where fork is
    not available the function runs here, with the environment swapped for the call."""
    return start_isolated(fn, environ).result(timeout)


class Running:
    """A forked child at work; `result(timeout)` waits for what it returns."""

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self.read_end = read_end
        self.started = time.monotonic()

    def result(self, timeout: float) -> Any:
        chunks: list[bytes] = []
        deadline = self.started + timeout
        timed_out = False
        with os.fdopen(self.read_end, "rb") as pipe:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([pipe], [], [], min(left, 1.0))
                if not ready:
                    continue
                chunk = os.read(pipe.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        if timed_out:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        if timed_out:
            return Failed(f"stopped after {timeout:.0f} s")
        try:
            kind, value = pickle.loads(b"".join(chunks))
        except Exception:
            return Failed(f"the reading process ended without a result (status {status})")
        return value if kind == "ok" else Failed(str(value))


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, timeout: float) -> Any:
        return self.value


def start_isolated(fn: Callable[[], Any], environ: Mapping[str, str] | None = None
                   ) -> Running | _Done:
    """Fork a child that runs `fn()`; the caller goes on and asks for the result later
    (the child works on the other core meanwhile)."""
    if not hasattr(os, "fork"):
        return _Done(_in_process(fn, environ))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        code = 0
        try:
            if environ is not None:
                os.environ.clear()
                os.environ.update(environ)
            sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
            try:
                payload = pickle.dumps(("ok", fn()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"[:2000]))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return Running(pid, read_end)


def _in_process(fn: Callable[[], Any], environ: Mapping[str, str] | None) -> Any:
    saved = dict(os.environ)
    try:
        if environ is not None:
            os.environ.clear()
            os.environ.update(environ)
        try:
            return fn()
        except Exception as exc:
            return Failed(f"{type(exc).__name__}: {exc}"[:2000])
    finally:
        os.environ.clear()
        os.environ.update(saved)
