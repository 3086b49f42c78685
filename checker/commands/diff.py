"""`driver-policy diff BASE [HEAD]` and `driver-policy impact --policy FILE`.

diff loads the repository at two revisions straight from git objects (the working tree
is not touched) and reports what the change does to verdicts; impact evaluates the
working tree's drivers under the current and a candidate policy. Both build a
checker.compare.Comparison and print it as text, JSON, or Markdown for a pull-request
comment (templates/diff.md.j2).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from checker.commands.common import add_today, repo_root
from checker.errors import CheckerError, UsageError

if TYPE_CHECKING:
    import jinja2

    from checker.compare import Comparison, DriverChange, PolicyChange, State

FORMATS = ("text", "json", "markdown")
TEMPLATE = "diff.md.j2"
MARKER = "driver-policy-diff"  # the Markdown's first line names it: CI updates that comment

DIFF_EPILOG = """\
examples:
  driver-policy diff main                       # main -> the working tree (uncommitted too)
  driver-policy diff main HEAD                  # main -> the last commit
  driver-policy diff --merge-base origin/main HEAD --format markdown > comment.md
  driver-policy diff v1.0 v1.1 --format json
  driver-policy diff HEAD~1 --fail-on-change    # exit 1 when a verdict changed

exit codes: 0 (whatever changed), 1 with --fail-on-change when a verdict flipped or a
driver was added or removed, 1 when the policy's content changed but its `version` did
not (docs/policy.md), 2 for a revision that does not name a commit.
"""

IMPACT_EPILOG = """\
examples:
  driver-policy impact --policy /tmp/candidate.yaml
  driver-policy impact --policy policies/default.yaml.new --format markdown
  driver-policy impact --policy candidate.yaml --format json | jq '.flips[].id'
"""


def register(sub: Any) -> None:
    diff = sub.add_parser(
        "diff",
        help="what a change does to verdicts, between two git revisions",
        description="Load the repository at BASE and at HEAD straight from git objects "
        "(no checkout; the working tree is not touched), or, without HEAD, compare BASE "
        "with the working tree (uncommitted changes included; the header says which), "
        "and report: drivers added and "
        "removed, every verdict or confidence change with the probes that changed and "
        "what decides the verdict now, overrides added, changed, removed or expired, and "
        "the policy constants and thresholds that changed. --format markdown prints a "
        "pull-request comment (templates/diff.md.j2).",
        epilog=DIFF_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("base", metavar="BASE", help="the revision before the change")
    diff.add_argument(
        "head", metavar="HEAD", nargs="?", default=None,
        help="the revision after (default: the working tree, uncommitted changes included)"
    )
    diff.add_argument(
        "--merge-base",
        action="store_true",
        help="compare HEAD with the merge base of BASE and HEAD (what a pull request changes)",
    )
    _common(diff)
    add_today(diff, "overrides expire against it")
    diff.set_defaults(func=run_diff)

    impact = sub.add_parser(
        "impact",
        help="what-if: the verdicts a candidate policy would flip",
        description="Evaluate every driver of the working tree under the current policy "
        "(policies/default.yaml) and under a candidate policy file, and list every driver "
        "whose verdict would change, with the verdicts before and after, the probes that "
        "decide them, and the verdict distribution before and after. Nothing is written.",
        epilog=IMPACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    impact.add_argument(
        "--policy",
        required=True,
        metavar="CANDIDATE.yaml",
        help="the candidate policy file (relative to the current directory)",
    )
    _common(impact)
    impact.set_defaults(func=run_impact)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--full-report",
        metavar="FILE",
        default=None,
        help=f"with --format markdown: when the report is longer than a comment can be "
        f"({MAX_COMMENT:,} characters), write the whole report to FILE (the comment is cut, "
        "with a note naming FILE)",
    )
    parser.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 1 when a verdict changes (or a driver is added or removed)",
    )


# -- commands -----------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    from checker.compare import compare
    from checker.gitsource import open_repository, resolve_revision
    from checker.repository import load_workspace

    for given in (args.base, args.head):
        if given and ".." in given:
            raise UsageError(
                f"{given!r}: diff takes two revisions, not a range: driver-policy diff "
                + " ".join(part or "HEAD" for part in given.replace("...", "..").split("..", 1))
                + " (or --merge-base BASE HEAD for what a pull request changes)"
            )
    root = repo_root(args)
    opened = open_repository(root)
    head_rev = args.head or "HEAD"
    head = resolve_revision(opened.repo, head_rev)
    base = resolve_revision(opened.repo, args.base)
    base_label = _label(args.base, base)
    if args.merge_base:
        bases = opened.repo.merge_base(base, head)
        if not bases:
            raise UsageError(f"{args.base} and {head_rev} have no common ancestor")
        base = bases[0].hexsha
        base_label = f"merge base of {args.base} and {head_rev} ({base[:12]})"
    before = opened.workspace(base)
    if args.head is None:
        after = load_workspace(root)
        head_label = "working tree (uncommitted changes included)"
    else:
        after = opened.workspace(head)
        head_label = _label(args.head, head)
    comparison = compare(before, after, base_label=base_label, head_label=head_label,
                         today=args.today)
    emit(comparison, args.format, sys.stdout, root, mode="diff", full_report=args.full_report)
    unbumped = version_problem(before.policy, after.policy)
    if unbumped:
        print(f"driver-policy diff: {unbumped}", file=sys.stderr)
        return 1
    return 1 if args.fail_on_change and comparison.verdicts_changed else 0


def version_problem(before: Any, after: Any) -> str | None:
    """A policy whose content changed must change its version (docs/policy.md)."""
    if before is None or after is None or before.digest == after.digest:
        return None
    if after.version > before.version or before.name != after.name:
        return None
    return (
        f"{after.file}: the policy's content changed ({before.digest} -> {after.digest}) "
        f"but its version is still {after.version}; set version: {before.version + 1} "
        "(docs/policy.md says when)"
    )


def run_impact(args: argparse.Namespace) -> int:
    from checker.compare import compare
    from checker.layout import DEFAULT_POLICY
    from checker.policy import load_policy
    from checker.repository import load_workspace

    root = repo_root(args)
    path = Path(args.policy)
    if not path.exists():
        raise UsageError(f"--policy {args.policy}: no such file")
    if not path.is_file():
        raise UsageError(f"--policy {args.policy}: not a file")
    current = load_workspace(root)
    if current.policy is None:
        bad = [str(p) for p in current.problems if p.path.startswith("policies/")]
        raise CheckerError(f"the current policy {DEFAULT_POLICY} is invalid:\n" + "\n".join(bad))
    candidate = load_policy(path, args.policy)
    comparison = compare(
        current,
        dataclasses.replace(current, policy=candidate),
        base_label=f"{DEFAULT_POLICY} ({current.policy.label})",
        head_label=f"{args.policy} ({candidate.label})",
    )
    emit(comparison, args.format, sys.stdout, root, mode="impact",
         full_report=args.full_report)
    return 1 if args.fail_on_change and comparison.verdicts_changed else 0


def _label(text: str, sha: str) -> str:
    return sha[:12] if sha.startswith(text) else f"{text} ({sha[:12]})"


MAX_COMMENT = 65_536  # characters: the most a GitHub comment body may hold


def cap_comment(report: str, full_report: str | None) -> str:
    """The report as one comment: at most MAX_COMMENT characters. A longer one is cut at
    a line before the cap (an open <details> closed), followed by a note; the whole
    report is written to `full_report` when given."""
    if len(report) <= MAX_COMMENT:
        return report
    from checker.fsutil import write_atomic

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


# -- JSON -------------------------------------------------------------------------


def to_json(comparison: Comparison) -> dict[str, Any]:
    data = dataclasses.asdict(comparison)
    data["flips"] = [dataclasses.asdict(c) for c in comparison.flips]
    data["verdicts_changed"] = comparison.verdicts_changed
    for change in data["changed"]:
        change["verdict_changed"] = change["before"]["effective"] != change["after"]["effective"]
    return data


# -- text -------------------------------------------------------------------------


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
        )
    else:
        lines.append("verdicts: not computed (no valid policy on one side)")
    if c.invalid_after:
        side = "candidate" if mode == "impact" else "head"
        lines.append(f"problems at {side} ({len(c.invalid_after)}; run driver-policy check):")
        lines += [f"  {p}" for p in c.invalid_after]
    return "\n".join(lines) + "\n"


# -- Markdown -----------------------------------------------------------------------


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
