"""Reporters by name: problems (and a summary) -> text, json, github, sarif."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from checker import __version__
from checker.core.errors import Problem


def report(
    problems: Sequence[Problem], fmt: str, out: TextIO, *, checked: int, summary: str = "",
    list_drafts: bool = True,
) -> None:
    """Problems in format `fmt`. In text, `list_drafts=False` folds the drafts' notes
    (what each draft lacks) into one line, so that real problems are not buried under
    a freshly onboarded tree's hundreds of drafts."""
    ordered = sorted(problems, key=Problem.sort_key)
    if fmt == "text" and not list_drafts:
        shown = [p for p in ordered if p.rule != "draft"]
        _text(shown, out, checked, summary, folded=len(ordered) - len(shown))
        return
    REPORTERS[fmt](ordered, out, checked, summary)


def summary_line(evaluated: int, label: str, counts: Mapping[str, int], *, overrides: int,
                 drafts: int, fixtures: int) -> str:
    """The one-line summary of a check: drivers evaluated, verdicts in VERDICTS order
    (`counts` by effective verdict, drafts left out), overrides, drafts, fixtures."""
    from checker.validate.schemas import VERDICTS

    return (f"{evaluated} driver(s) evaluated under {label}: "
            + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
            + f"; {overrides} override(s); {drafts} draft(s); {fixtures} fixture(s)")


def errors(problems: Sequence[Problem]) -> list[Problem]:
    """The problems that fail a command: all but notes (a draft is a note)."""
    return [p for p in problems if p.severity != "note"]


def _notes(problems: Sequence[Problem], folded: int = 0) -> str:
    counts = Counter(p.severity for p in problems if p.severity == "note")
    counts["note"] += folded
    return "".join(f"; {n} {kind}(s)" for kind, n in sorted(counts.items()) if n)


def _text(problems: Sequence[Problem], out: TextIO, checked: int, summary: str,
          folded: int = 0) -> None:
    from checker.core.output import paint, quiet

    for problem in problems:
        line = str(problem)
        where = f"{problem.path}:{problem.line}:{problem.col}:"
        style = "cyan" if problem.severity == "note" else "bold"
        if line.startswith(where):  # (an escaped path is printed plain)
            line = paint(where, style, out) + line[len(where):]
        out.write(line + "\n")
    if folded:
        out.write(paint(f"{folded} draft(s)", "cyan", out) + " not finished, not listed "
                  "(--list-drafts lists what each one lacks)\n")
    if quiet():
        return
    failing = errors(problems)
    files = len({p.path for p in failing})
    if failing:
        out.write(paint(f"{len(failing)} problem(s) in {files} file(s)", "red", out)
                  + f"; {checked} file(s) checked{_notes(problems, folded)}\n")
    else:
        out.write(paint("ok:", "green", out)
                  + f" {checked} file(s) checked, no problems{_notes(problems, folded)}\n")
    if summary:
        out.write(summary.rstrip("\n") + "\n")


def _json(problems: Sequence[Problem], out: TextIO, checked: int, summary: str) -> None:
    payload: dict[str, Any] = {
        "files_checked": checked,
        "problems": [
            {
                "path": p.path,
                "line": p.line,
                "col": p.col,
                "field": p.field,
                "message": p.message,
                "severity": p.severity,
                "rule": p.rule,
            }
            for p in problems
        ],
    }
    import json  # here: text, the pre-commit case, needs none

    json.dump(payload, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _escape_data(text: str) -> str:
    """A workflow command's data: `%`, CR and LF as the runner decodes them; every other
    hidden character escaped as for a terminal (the CI log shows escape sequences)."""
    from checker.core.output import terminal

    return terminal(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(problems: Sequence[Problem], out: TextIO, checked: int, summary: str) -> None:
    for p in problems:
        level = {"error": "error", "note": "notice"}.get(p.severity, "warning")
        title = _escape_property(p.field or p.rule)
        out.write(
            f"::{level} file={_escape_property(p.path)},line={p.line},col={p.col},"
            f"title={title}::{_escape_data(p.message)}\n"
        )
    failing = errors(problems)
    _text([], out, checked, summary) if not failing else out.write(
        f"{len(failing)} problem(s); {checked} file(s) checked\n"
    )


def _sarif(problems: Sequence[Problem], out: TextIO, checked: int, summary: str) -> None:
    """SARIF 2.1.0 for code-scanning upload: one result per problem, at its file, line
    and column; paths are URI references relative to the repository (%SRCROOT%)."""
    from urllib.parse import quote

    rules = sorted({p.rule for p in problems})
    index = {rule: position for position, rule in enumerate(rules)}
    payload = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "driver-policy",
                        "version": __version__,
                        "rules": [
                            {"id": r, "shortDescription": {"text": f"driver-policy {r} check"}}
                            for r in rules
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [
                    {
                        "ruleId": p.rule,
                        "ruleIndex": index[p.rule],
                        "level": {"error": "error", "note": "note"}.get(p.severity, "warning"),
                        "message": {"text": f"{p.field}: {p.message}" if p.field else p.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {
                                        "uri": quote(p.path, safe="/"),
                                        "uriBaseId": "%SRCROOT%",
                                    },
                                    "region": {
                                        "startLine": max(1, p.line),
                                        "startColumn": max(1, p.col),
                                    },
                                }
                            }
                        ],
                    }
                    for p in problems
                ],
            }
        ],
    }
    import json  # here: text, the pre-commit case, needs none

    json.dump(payload, out, indent=2, ensure_ascii=False)
    out.write("\n")


REPORTERS: dict[str, Callable[[Sequence[Problem], TextIO, int, str], None]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "sarif": _sarif,
}
# A new format is one function above and one line in REPORTERS; commands offer them all
# (`check`) or all but sarif (FORMATS[:3]).
FORMATS = tuple(REPORTERS)
