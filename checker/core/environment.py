"""The environment variables the checker reads, each validated where it is read.

A value that cannot mean anything (`DRIVER_POLICY_TEST_PAUSE_WRITE=soon`) is a
UsageError naming the variable (exit 2), raised by `check_environment` before a command
runs and again by the accessor that reads it (a test calling the library directly gets
the same message), never a traceback or a silent default.

| variable | kind | read by |
|---|---|---|
| DRIVER_POLICY_NO_CACHE | flag | the check cache, the compiled-template cache |
| DRIVER_POLICY_NO_PROGRESS | flag | progress bars |
| DRIVER_POLICY_TIMINGS | flag | `collect` (prints its stages' times) |
| DRIVER_POLICY_TEST_PAUSE_WRITE | seconds, 0 to 3600 | durable writes (tests/test_faults.py) |
| DRIVER_POLICY_CACHE_DIR, XDG_CACHE_HOME | a directory (any text) | the caches |
| NO_COLOR, TERM | any text | colour on a terminal (the no-color.org convention) |
"""

from __future__ import annotations

import math
import os

from checker.core.errors import UsageError

PAUSE_WRITE = "DRIVER_POLICY_TEST_PAUSE_WRITE"
NO_CACHE = "DRIVER_POLICY_NO_CACHE"
NO_PROGRESS = "DRIVER_POLICY_NO_PROGRESS"
TIMINGS = "DRIVER_POLICY_TIMINGS"

FLAGS = (NO_CACHE, NO_PROGRESS, TIMINGS)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
MAX_PAUSE = 3600.0


def flag(name: str) -> bool:
    """A yes/no variable: unset, empty, 0, false, no or off is no; 1, true, yes or on is
    yes (any case); anything else is a UsageError."""
    value = os.environ.get(name, "")
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise UsageError(f"environment variable {name}={value!r}: must be 1 or 0 (also true/false, "
                     "yes/no, on/off), or unset")


def pause_seconds() -> float:
    """DRIVER_POLICY_TEST_PAUSE_WRITE as seconds (0 when unset or empty)."""
    value = os.environ.get(PAUSE_WRITE, "")
    if not value.strip():
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_PAUSE:  # NaN fails both
        raise UsageError(f"environment variable {PAUSE_WRITE}={value!r}: must be a number of "
                         f"seconds from 0 to {MAX_PAUSE:g}, or unset (it is for tests only)")
    return seconds


def check_environment() -> None:
    """Every variable the checker reads, validated up front (a UsageError for the first
    one that is invalid)."""
    for name in FLAGS:
        flag(name)
    pause_seconds()
