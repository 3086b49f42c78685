"""A Comparison (checker.evaluate.compare) as text, JSON, or Markdown for a pull-request comment.

The Markdown is templates/diff.md.j2, rendered in the cards' sandbox with the comment's
escaping (mentions, issue references and autolinks made inert) and capped at what one
comment can hold.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from checker.core.errors import CheckerError
from checker.core.output import safe

if TYPE_CHECKING:
    import jinja2

    from checker.evaluate.compare import Comparison, DriverChange, PolicyChange, State


FORMATS = ("text", "json", "markdown")  # what emit writes
TEMPLATE = "diff.md.j2"
MARKER = "driver-policy-diff"  # the Markdown's first line names it: CI updates that comment
MAX_COMMENT = 65_536  # characters: the most a GitHub comment body may hold


def cap_comment(report: str, full_report: str | None) -> str:
    """The report as one comment: at most MAX_COMMENT characters. A longer one is cut at
    a line before the cap (an open <details> closed), followed by a note; the whole
    report is written to `full_report` when given."""
    if len(report) <= MAX_COMMENT:
        return report
    from checker.load.fsutil import write_atomic

    if full_report:
        write_atomic(Path(full_report), report.encode("utf-8"), display=full_report)
        where = (f"the full report ({len(report):,} characters) is in the file "
                 f"`{Path(full_report).name}` of this run")
    else:
        where = "run `driver-policy diff --format markdown --full-report FILE` for all of it"
    note = (f"\n\n---\n**This report is cut**: it is {len(report):,} characters long, more "
            f"than the {MAX_COMMENT:,} a comment can hold; {where}.\n")
    room = MAX_COMMENT - len(note) - len("</details>\n")
    cut = report.rfind("\n", 0, room) + 1
    kept = report[:cut]
    if kept.count("<details>") > kept.count("</details>"):
        kept += "</details>\n"
    return kept + note


def emit(comparison: Comparison, fmt: str, out: TextIO, root: Path, *, mode: str,
         full_report: str | None = None) -> None:
    if fmt == "json":
        json.dump(to_json(comparison), out, indent=2, ensure_ascii=False, default=str)
        out.write("\n")
    elif fmt == "markdown":
        report = markdown(comparison, root / "templates", mode=mode)
        out.write(cap_comment(report, full_report))
    else:
        out.write(text(comparison, mode=mode))


def to_json(comparison: Comparison) -> dict[str, Any]:
    data = dataclasses.asdict(comparison)
    data["flips"] = [dataclasses.asdict(c) for c in comparison.flips]
    data["verdicts_changed"] = comparison.verdicts_changed
    for change in data["changed"]:
        change["verdict_changed"] = change["before"]["effective"] != change["after"]["effective"]
    return data


def _state(state: State | None) -> str:
    if state is None:
        return "(no valid policy)"
    extra = f", override {state.override}" if state.override else ""
    return f"{state.effective} (score {state.score:g}, confidence {state.confidence:.2f}{extra})"


def _arrow(before: object, after: object) -> str:
    return f"{before}" if before == after else f"{before} -> {after}"


def _change_lines(change: DriverChange, mode: str) -> list[str]:
    old, new = change.before, change.after
    head = (
        f"  {change.id}: {_arrow(old.effective, new.effective)} "
        f"(score {_arrow(f'{old.score:g}', f'{new.score:g}')}, "
        f"confidence {_arrow(f'{old.confidence:.2f}', f'{new.confidence:.2f}')})"
    )
    lines = [head]
    if old.override != new.override:
        lines.append(f"    override: {_arrow(old.override or 'none', new.override or 'none')}")
    if old.computed != new.computed and (old.override or new.override):
        lines.append(f"    computed: {old.computed} -> {new.computed}")
    for probe in change.probes:
        lines.append(
            f"    {probe.probe}: {probe.before} ({probe.before_points:+g}) -> "
            f"{probe.after} ({probe.after_points:+g}): {probe.reason}"
        )
    if mode == "diff" and not change.probes and not change.evidence_changed:
        lines.append("    evidence unchanged: the policy change moved it")
    if old.deciding != new.deciding:
        lines.append(f"    before: {old.deciding}")
    lines.append(f"    now: {new.deciding}")
    if mode == "diff" and old.recorded != new.recorded:
        lines.append(f"    recorded verdict: {old.recorded} -> {new.recorded}")
    if not new.consistent:
        lines.append(
            f"    ! recorded verdict is {new.recorded} but {new.effective} stands: "
            "`driver-policy check` fails until it is updated"
        )
    return lines


def _value(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _policy_line(change: PolicyChange) -> str:
    return f"  {change.key}: {_value(change.before)} -> {_value(change.after)}"


def text(comparison: Comparison, *, mode: str = "diff") -> str:
    c = comparison
    lines = [
        f"driver-policy {mode}: {c.base} -> {c.head}",
        f"policy: {_arrow(c.policy_before or 'invalid', c.policy_after or 'invalid')}",
        "",
    ]
    if not c.flips:
        lines.append("no verdict would change" if mode == "impact" else "no verdict changes")
    else:
        title = "verdicts that would change" if mode == "impact" else "verdict changes"
        lines.append(f"{title} ({len(c.flips)}):")
    for change in c.flips:
        lines += _change_lines(change, mode)
    if c.confidence_only:
        lines.append(f"confidence or score changes ({len(c.confidence_only)}):")
        for change in c.confidence_only:
            lines += _change_lines(change, mode)
    if mode == "diff":
        for title, entries in (("drivers added", c.added), ("drivers removed", c.removed)):
            if entries:
                lines.append(f"{title} ({len(entries)}):")
                lines += [f"  {e.id}: {_state(e.state)}" for e in entries]
        if c.overrides:
            lines.append(f"overrides ({len(c.overrides)}):")
            for o in c.overrides:
                now = o.after or o.before
                assert now is not None
                state = " (expired)" if o.expired and o.change != "expired" else ""
                lines.append(
                    f"  {o.id}: {o.change}{state}: {now.verdict} until {now.until} by {now.by}"
                )
    if c.policy:
        lines.append(f"policy changes ({len(c.policy)}):")
        lines += [_policy_line(p) for p in c.policy]
    elif mode == "diff":
        lines.append("policy unchanged")
    before, after = c.distribution_before, c.distribution_after
    if before is not None and after is not None:
        lines.append(
            "verdicts: "
            + ", ".join(f"{name} {_arrow(before[name], after[name])}" for name in after)
            + (f"; drafts (no verdict published, not counted) "
               f"{_arrow(c.drafts_before, c.drafts_after)}"
               if c.drafts_before or c.drafts_after else "")
        )
    else:
        lines.append("verdicts: not computed (no valid policy on one side)")
    if c.invalid_after:
        side = "candidate" if mode == "impact" else "head"
        lines.append(f"problems at {side} ({len(c.invalid_after)}; run driver-policy check):")
        lines += [f"  {p}" for p in c.invalid_after]
    # Revision names, evidence and policy text (a reason, a rule's `why`, an override's
    # `by`) are in these lines: each is escaped for the terminal, so none can carry a
    # control sequence or forge a line.
    return "".join(safe(line) + "\n" for line in lines)


def markdown(comparison: Comparison, templates: Path, *, mode: str = "diff") -> str:
    from checker.render.templates import render_template

    env = _environment(templates)
    return render_template(env, templates, TEMPLATE,
                           {"c": comparison, "mode": mode, "marker": MARKER, "value": _value})


def _environment(templates: Path) -> jinja2.Environment:
    """The report's environment: sandboxed, like the cards' (checker.render.templates.environment),
    since a pull request can change the template."""

    from checker.render.markdown import COMMENT_FILTERS, Markdown
    from checker.render.templates import sandboxed_environment

    if not (templates / TEMPLATE).is_file():
        raise CheckerError(f"templates/{TEMPLATE} is missing: the Markdown report needs it")

    def finalize(value: object) -> object:
        if isinstance(value, Markdown) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise TypeError(f"{TEMPLATE} printed {value!r} without an escaping filter")

    env = sandboxed_environment(templates, finalize)
    env.filters.update(COMMENT_FILTERS)
    env.filters["conf"] = lambda v: Markdown(f"{v:.2f}")
    env.filters["plural"] = lambda n: Markdown("" if n == 1 else "s")
    return env
