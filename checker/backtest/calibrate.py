"""Per-tree calibration: fit the policy's numbers on the removals before a date, and
test the fitted policy on the removals after it (a temporal hold-out).

Train: the units present at OLD (default: `calibration.train_months` before DATE), their
signals as of OLD, judged by what was removed between OLD and DATE; with several OLD
points, their samples are pooled (each point its own stratum of the fit). Test: the units
present at DATE, signals as of DATE, judged by what was removed between DATE and NEW.
Each point is collected once (`engine.gather`); the fit re-scores the same samples
under candidate policies (`fit.py`). The units at DATE take part in the fit with their
outcomes left out: deprecate + remove may flag at most `calibration.flag_share` of them
as well (what a user who calibrates today sees flagged). Nothing after DATE reaches the
fit.

The candidate policy is the input policy's text with only the fitted numbers, the
thresholds and the version changed (every other byte kept), a comment saying how and on
what it was fitted, and the changed numbers marked on their lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path as FilePath
from typing import Any

from checker.backtest.coding import Guard, Path, code, number, path_text, slots_of, with_numbers
from checker.backtest.engine import Gathered, UnitSource, gather, months_after
from checker.backtest.fit import Fit, Settings, fit
from checker.collect.usage import UsageOptions
from checker.core.errors import CheckerError, UsageError
from checker.evaluate.engine import evaluate
from checker.validate.policy import Fixture, Policy
from checker.validate.schemas import VERDICTS

Progress = Callable[[str], Callable[[int], None] | None]


@dataclass
class Calibration:
    kernel: str
    train_until: str
    policy: Policy  # the input
    candidate: Policy
    settings: Settings
    train: Gathered
    test: Gathered
    fit: Fit


def train_start(train_until: str, settings: Settings, policy: Policy) -> str:
    """The default OLD: `calibration.train_months` (else the window) before DATE."""
    try:
        day = date.fromisoformat(train_until)
    except ValueError:
        raise UsageError(f"--train-until {train_until!r}: give a day YYYY-MM-DD") from None
    months = settings.train_months or policy.window_months
    return months_after(day, -months).isoformat()


def fixture_guard(policy: Policy, fixtures: Sequence[Fixture]) -> Guard:
    """A candidate passes when every fixture that agrees with `policy` still agrees (its
    verdict, and its deciding rule where the fixture names one), and every verdict some
    fixture's score reached is still reached (what `policy test` requires)."""

    def outcome(candidate: Policy) -> tuple[frozenset[str], frozenset[str]]:
        agreeing, reached = set(), set()
        for fixture in fixtures:
            verdict = evaluate(fixture.driver, candidate)
            reached.add(verdict.score_verdict)
            if verdict.value == fixture.expect_verdict and fixture.expect_rule in (
                    None, verdict.rule):
                agreeing.add(fixture.file)
        return frozenset(agreeing), frozenset(reached)

    base_ok, base_reached = outcome(policy)
    seen: dict[tuple[Any, ...], bool] = {}

    def guard(numbers: Mapping[Path, float], thresholds: Mapping[str, float]) -> bool:
        key = (tuple(sorted((repr(p), v) for p, v in numbers.items())),
               tuple(sorted(thresholds.items())))
        if key not in seen:
            ok, reached = outcome(with_numbers(policy, numbers, thresholds))
            seen[key] = base_ok <= ok and base_reached <= reached
        return seen[key]

    return guard


def training_samples(data: Gathered, recall_months: int | None, stratum: str | None = None
                     ) -> list[tuple[str, Any, bool, bool]]:
    """(stratum, driver, removed?, removed within `recall_months` of its point?) of each
    sample gathered: the stratum is the sample's point unless one is named."""
    days = {point.label: point.day for point in data.points}
    out = []
    for sample in data.samples:
        removal = sample.removal
        soon = removal is not None and (recall_months is None or removal.day <= months_after(
            days[sample.at], recall_months))
        out.append((stratum or sample.at, sample.driver, sample.removed, soon))
    return out


def present_samples(data: Gathered, stratum: str) -> list[tuple[str, Any, bool, bool]]:
    """The units at DATE with what became of them left out (each read as kept): the fit
    holds the share it flags of them to `flag_share` too, as of the present a user
    calibrates for (a share fitted on the past grows as code ages), and learns nothing of
    their outcomes (a stratum without removals adds nothing to the AUC or to the
    informedness)."""
    return [(stratum, sample.driver, False, False) for sample in data.samples]


def fit_samples(policy: Policy, settings: Settings,
                samples: Sequence[tuple[str, Any, bool] | tuple[str, Any, bool, bool]],
                fixtures: Sequence[Fixture]) -> tuple[Fit, Policy]:
    """Fit `policy` on (stratum, driver, removed?[, soon?]) samples (`code`); the
    candidate (version + 1)."""
    slots = slots_of(policy, settings.probes)
    found = fit(code(samples, policy, slots), policy, settings,
                fixture_guard(policy, fixtures))
    candidate = with_numbers(policy, found.numbers(), found.thresholds,
                             version=policy.version + 1)
    return found, candidate


def run_calibration(kernel: FilePath, train_until: str, policy: Policy,
                    units_for: UnitSource, fixtures: Sequence[Fixture], *,
                    at: Sequence[str] = (), to: str = "HEAD", jobs: int = 0,
                    usage: UsageOptions | None = None,
                    progress: Progress | None = None) -> Calibration:
    settings = Settings.from_policy(policy)
    olds = list(dict.fromkeys(at)) or [train_start(train_until, settings, policy)]
    train = gather(kernel, olds, train_until, policy, units_for, jobs=jobs,
                   progress=progress, usage=usage)
    test = gather(kernel, [train_until], to, policy, units_for, jobs=jobs,
                  progress=progress, usage=usage)
    for point in train.points:
        if point.sha == test.points[0].sha:
            raise CheckerError(f"--at {point.label} and --train-until {train_until} are the "
                               f"same revision ({point.sha[:12]}): nothing to train on")
    samples = [*training_samples(train, settings.recall_months),
               *present_samples(test, f"{train_until}, outcomes not read")]
    found, candidate = fit_samples(policy, settings, samples, fixtures)
    if not found.points_fitted:
        earlier = months_after(train.points[0].day, -24).isoformat()
        found.warnings.append(f"to fit the points, pool more training points: --at is "
                              f"repeatable (e.g. add --at {earlier}); a unit removed "
                              "before DATE counts at each point it was present at")
    return Calibration(str(kernel), train_until, policy, candidate, settings, train, test,
                       found)


# -------------------------------------------------------------------------------------
# The candidate policy's text

_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def candidate_text(text: str, locate: Callable[[Path], tuple[int, int]],
                   changes: Mapping[Path, tuple[float, float]], version: tuple[int, int],
                   header: Sequence[str]) -> str:
    """`text` (the input policy) with each changed number replaced where it stands, the
    version bumped, `header` as a comment after the first comment line, and each line
    whose numbers changed marked `# calibrated: ...`."""
    lines = text.split("\n")
    marks: dict[int, list[str]] = {}
    edits = [(locate(p), p, before, after) for p, (before, after) in changes.items()]
    edits.append((locate(("version",)), ("version",), float(version[0]), float(version[1])))
    edits.sort(key=lambda e: (e[0][0], -e[0][1]))  # right to left within a line
    for (line_no, col), path, before, after in edits:
        line = lines[line_no - 1]
        found = _NUMBER.match(line, col - 1)
        if found is None or float(found.group()) != before:
            raise CheckerError(f"cannot place the fitted value of {path_text(path)} "
                               f"at line {line_no}: the policy's text there is not "
                               f"{number(before)}")
        lines[line_no - 1] = line[:found.start()] + str(number(after)) + line[found.end():]
        if path != ("version",):
            marks.setdefault(line_no, []).append(f"{_short(path)} {number(before)} -> "
                                                 f"{number(after)}")
    for line_no, notes in marks.items():
        line = lines[line_no - 1]
        line = line[:line.index("  # calibrated: ")] if "  # calibrated: " in line else line
        lines[line_no - 1] = line + "  # calibrated: " + ", ".join(reversed(notes))
    first = 1 if lines and lines[0].startswith("#") else 0
    block = ["#", *(f"# {h}" if h else "#" for h in header)]
    return "\n".join(lines[:first] + block + lines[first:])


def _short(path: Path) -> str:
    """The part of a path a reader needs on its own line: `bands[1]`, `Odd Fixes`."""
    if path[0] == "thresholds":
        return str(path[1])
    rest = path[2:]
    if rest and rest[0] == "bands":
        return f"band {int(rest[1]) + 1}"
    if rest and rest[0] == "points" and len(rest) > 1:
        return str(rest[1])
    return str(rest[0]) if rest else str(path[1])


def changed_numbers(policy: Policy, candidate: Policy, found: Fit
                    ) -> dict[Path, tuple[float, float]]:
    """Every number that differs between the input and the candidate: fitted points and
    thresholds."""
    out: dict[Path, tuple[float, float]] = {
        s.path: (s.value, v) for s, v in zip(found.slots, found.values, strict=True)
        if v != s.value}
    for name in VERDICTS[:-1]:
        before, after = float(policy.thresholds[name]), float(candidate.thresholds[name])
        if before != after:
            out[("thresholds", name)] = (before, after)
    return out


def header_lines(calibration: Calibration, command: str) -> list[str]:
    """The comment that says how and on what the candidate was fitted."""
    train, test, found = calibration.train, calibration.test, calibration.fit
    held = test.points[0]
    lines = [
        f"Candidate v{calibration.candidate.version}, calibrated from "
        f"{calibration.policy.name} v{calibration.policy.version} by `driver-policy "
        "calibrate` (docs/backtest.md, Calibration):",
        f"  {command}",
        *(f"{'Trained on' if i == 0 else '    and on'} {point.units} units present at "
          f"{point.sha[:12]} ({point.day}), {point.removed} of them removed by "
          f"{point.outcome_day} ({point.outcome_sha[:12]});"
          for i, point in enumerate(train.points)),
        f"tested on {held.units} units present at {held.sha[:12]} ({held.day}), "
        f"{held.removed} removed by {held.outcome_day} ({held.outcome_sha[:12]}).",
        f"Training AUC {_fmt(found.auc_before)} -> {_fmt(found.auc)}; changed numbers are "
        "marked `# calibrated:`. Review with `driver-policy impact --policy` and "
        "`policy test`.",
    ]
    lines.extend(f"Warning: {w}" for w in found.warnings)
    return lines


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
