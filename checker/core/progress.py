"""Progress bars for long work (collect, discover, backtest, render of many cards).

One place decides whether progress is shown: only on a terminal, never with `--quiet`
or `DRIVER_POLICY_NO_PROGRESS=1`, so that CI logs and pipes stay clean. The bar itself
is tqdm's; callers only say how much was done.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Any

from checker.core.environment import NO_PROGRESS, flag


def progress_enabled(stream: IO[str] | None = None, quiet: bool = False) -> bool:
    """True when a progress bar should be drawn on `stream` (default: stderr)."""
    from checker.core.output import quiet as quiet_mode

    if quiet or quiet_mode() or flag(NO_PROGRESS):
        return False
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """A counter shown as a bar on a terminal and silent elsewhere.

    `Progress("collect", unit="commit")` is callable with the amount done since the last
    call, so it can be handed to code that reports increments (`progress(500)`).
    `count` always holds the total, shown or not.
    """

    def __init__(
        self,
        label: str,
        *,
        unit: str = "item",
        total: int | None = None,
        stream: IO[str] | None = None,
        quiet: bool = False,
    ) -> None:
        self.label = label
        self.count = 0
        self._bar: Any = None
        target = stream if stream is not None else sys.stderr
        if progress_enabled(target, quiet):
            from tqdm import tqdm  # only on a terminal: keeps start-up light

            self._bar = tqdm(
                desc=label, unit=f" {unit}", unit_scale=False, total=total, file=target,
                leave=True, dynamic_ncols=True, mininterval=0.2,
            )

    def __call__(self, amount: int = 1) -> None:
        self.count += amount
        if self._bar is not None:
            self._bar.update(amount)

    def set_total(self, total: int) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class BarPerLabel:
    """One progress bar per label (each point of a backtest), the one before closed: the
    `progress` factory of backtest and calibrate."""

    def __init__(self, prefix: str, *, unit: str, quiet: bool) -> None:
        self.prefix, self.unit, self.quiet = prefix, unit, quiet
        self._bar: Progress | None = None

    def __call__(self, label: str) -> Progress:
        self.close()
        self._bar = Progress(f"{self.prefix}{label}", unit=self.unit, stream=sys.stderr,
                             quiet=self.quiet)
        return self._bar

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
