"""Validated documents -> models; every schema and cross-field problem -> a located Problem.

Validation never stops at the first problem: it returns all of them for one document,
and the caller gathers them for every file.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from checker.core.errors import Problem
from checker.core.model import Driver, PartialDate
from checker.load.document import Document, KeyPath, field_name
from checker.load.layout import DRIVER_FILE_RE
from checker.validate import schemas
from checker.validate.models import to_driver
from checker.validate.schema_check import REGEX_WORDS, _show, schema_problems

# -- drivers -----------------------------------------------------------------------


def validate_driver(
    doc: Document, *, ident: str | None = None
) -> tuple[Driver | None, list[Problem]]:
    """Schema, then cross-field rules; a model only for a document with no problem.

    `ident` is given for drivers that do not live in drivers/ (policy fixtures), which
    skips the file-location rule.
    """
    problems = schema_problems(doc, schemas.driver_schema(doc.data))
    if ident is None:
        problems += _location_problems(doc)
    if problems:
        return None, sorted(set(problems))
    problems = list(_cross_field_problems(doc))
    unfinished = [] if ident is not None else unfinished_items(doc)
    if doc.data.get("status") == "draft":
        if problems:
            return None, sorted(set(problems))
        return to_driver(doc, ident, tuple(describe for _, describe, _ in unfinished)), []
    problems += [
        Problem(doc.path, *doc.locate(keypath), field_name((*doc.prefix, *keypath)),
                f"{message}; finish it, or mark the file `status: draft`", rule="unfinished")
        for keypath, _, message in unfinished
        if keypath != ("verdict",)  # check says what to record, with the computed verdict
    ]
    if problems:
        return None, sorted(set(problems))
    return to_driver(doc, ident), []


TODO_RE = re.compile(r"\bTODO\b")
# `#[^\n]*\bguess(?:ed)?\b` was quadratic: tried at every `#` of a long run, each try
# scanning to the line's end. The comment's `#` is found by hand, then the word after it.
_GUESS_WORD = re.compile(r"\bguess(?:ed)?\b", re.IGNORECASE)


def guessed_comment(line: str) -> bool:
    """Whether a `#` on this line is followed by the word guess or guessed."""
    hash_at = line.find("#")
    return hash_at >= 0 and _GUESS_WORD.search(line, hash_at) is not None


def has_guessed_comment(text: str) -> bool:
    """Whether any line of `text` has a `# guessed` comment, in time linear in `text`."""
    if _GUESS_WORD.search(text) is None:  # the common case: one pass, no comment to find
        return False
    return any(guessed_comment(line) for line in text.split("\n"))


# str.splitlines breaks lines at these too ("\r\n" counting as one break)
_SPLITLINES_ONLY = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def guessed_lines(text: str) -> list[int]:
    """The 1-based numbers (as str.splitlines counts lines) of the lines a `# guessed`
    comment marks, comment lines aside. Only the lines holding a `#` are looked at,
    from their first `#` (a scaffold has a handful of them in a hundred lines)."""
    if any(other in text for other in _SPLITLINES_ONLY):
        return [number for number, line in enumerate(text.splitlines(), start=1)
                if guessed_comment(line) and not line.lstrip().startswith("#")]
    found: list[int] = []
    number, counted = 1, 0  # the line number at `counted` (a line's start)
    hash_at = text.find("#")
    while hash_at >= 0:
        start = text.rfind("\n", 0, hash_at) + 1
        end = text.find("\n", hash_at)
        end = len(text) if end < 0 else end
        # searched in the line's bounds: its ends are word boundaries, as in the line alone
        if _GUESS_WORD.search(text, hash_at, end) is not None \
                and not text[start:end].lstrip().startswith("#"):
            number += text.count("\n", counted, start)
            counted = start
            found.append(number)
        hash_at = text.find("#", end)
    return found


def unfinished_items(doc: Document) -> list[tuple[KeyPath, str, str]]:
    """What is unfinished in a driver file: (where, a short name, the message).

    TODO text, no sources, a field a `# guessed` comment marks, no recorded verdict. A
    draft lists them (its card and `check` say what remains); any other file fails.
    """
    items: list[tuple[KeyPath, str, str]] = []
    strings = _todo_strings(doc) if "TODO" in doc.text else ()  # the common case: none
    for keypath, value in strings:
        if TODO_RE.search(value):
            name = field_name(keypath)
            items.append((keypath, f"{name}: TODO", "holds TODO text"))
    if not doc.data.get("sources"):
        items.append((("sources",), "sources: none", "cites no source"))
    for number in guessed_lines(doc.text):
        keypath = _keypath_at_line(doc, number)
        name = field_name(keypath) if keypath else f"line {number}"
        items.append((keypath, f"{name}: guessed",
                      "is marked as guessed (a `# guessed` comment)"))
    if not doc.data.get("verdict"):
        items.append((("verdict",), "verdict: not recorded", "no recorded verdict"))
    return items


def _todo_strings(doc: Document) -> list[tuple[KeyPath, str]]:
    """Every string value holding TODO, with its key path, in document order. In a file
    whose top-level keys are located from the text, only the fields whose text holds
    TODO or a backslash (an escape in a double-quoted string) can hold one: the others
    are not walked (a scaffold's `signals`, most of its values)."""
    top = doc.top_level()
    if top is None:
        return _strings(doc.data)
    text, starts, hit = doc.text, top.starts, set()
    for needle in ("TODO", "\\"):
        at = text.find(needle)
        while at >= 0:
            index = bisect.bisect_right(starts, at) - 1  # -1: before the first key
            hit.add(index)
            at = text.find(needle, starts[index + 1] if index + 1 < len(starts) else len(text))
    found = []
    for index in sorted(hit - {-1}):
        key = top.names[index]
        found += [((key, *keypath), string) for keypath, string in _strings(doc.data[key])]
    return found


def _strings(data: Any) -> list[tuple[KeyPath, str]]:
    """Every string value holding TODO, with its key path, in document order (a plain
    walk: a file's hundreds of month values cost one type test each)."""
    found: list[tuple[KeyPath, str]] = []

    def walk(node: Any, keypath: KeyPath) -> None:
        children = node.items() if type(node) is dict else enumerate(node)
        for key, value in children:
            kind = type(value)
            if kind is str:
                if "TODO" in value:
                    found.append(((*keypath, key), value))
            elif kind is dict or kind is list:
                walk(value, (*keypath, key))
            elif isinstance(value, str):
                if "TODO" in value:
                    found.append(((*keypath, key), value))
            elif isinstance(value, (dict, list)):
                walk(value, (*keypath, key))

    if isinstance(data, str):
        return [((), data)] if "TODO" in data else []
    if isinstance(data, (dict, list)):
        walk(data, ())
    return found


def _keypath_at_line(doc: Document, line: int) -> KeyPath:
    """The deepest field whose value starts on `line` (for comments that mark a field)."""
    top = doc.top_level()
    if top is not None:
        key = next((k for k, n in top.lines().items() if n == line), None)
        if key is not None and top.value_column(key) is not None and \
                not isinstance(doc.data[key], (dict, list)):
            return (key,)  # a scalar written on its key's line: nothing deeper starts there
    found: KeyPath = ()

    def walk(data: Any, keypath: KeyPath) -> None:
        nonlocal found
        if keypath and doc.locate(keypath)[0] == line and len(keypath) >= len(found):
            found = keypath
        children = data.items() if isinstance(data, dict) else \
            enumerate(data) if isinstance(data, list) else ()
        for key, value in children:
            walk(value, (*keypath, key))

    walk(doc.data, ())
    return found


def _location_problems(doc: Document) -> list[Problem]:
    match = DRIVER_FILE_RE.match(doc.path)
    if match is None:
        return [Problem(doc.path, 1, 1, "", "driver files live at drivers/<subsystem>/<name>.yaml")]
    subsystem, name = match.groups()
    problems = []
    if not re.match(schemas.NAME_RE, name):
        problems.append(
            Problem(
                doc.path, 1, 1, "", f"file name {name!r} must be " + REGEX_WORDS[schemas.NAME_RE]
            )
        )
    declared = doc.data.get("subsystem")
    if isinstance(declared, str) and declared != subsystem:
        line, col = doc.locate(("subsystem",))
        problems.append(
            Problem(
                doc.path,
                line,
                col,
                "subsystem",
                f"is {declared!r} but the file is in drivers/{subsystem}/",
            )
        )
    return problems


def _cross_field_problems(doc: Document) -> Iterator[Problem]:
    data = doc.data

    def at(keypath: KeyPath, message: str) -> Problem:
        line, col = doc.locate(keypath)
        return Problem(
            doc.path, line, col, field_name((*doc.prefix, *keypath)), message, rule="cross-field"
        )

    for index, source in enumerate(data["sources"]):
        if source.get("domain_only") and urlsplit(source["url"]).path not in ("", "/"):
            yield at(
                ("sources", index, "url"),
                "a domain_only source must be just the site "
                "(https://domain/); record the full address and drop domain_only",
            )
    count = len(data["sources"])
    for section in ("upstream", "users_reported"):
        for index, item in enumerate(data[section]):
            for ref_index, ref in enumerate(item["sources"]):
                if ref > count:
                    yield at(
                        (section, index, "sources", ref_index),
                        f"refers to source {ref} but the file lists {count} source(s)",
                    )
    deployment = data["deployment"]
    if isinstance(deployment, dict):
        for ref_index, ref in enumerate(deployment["sources"]):
            if ref > count:
                yield at(
                    ("deployment", "sources", ref_index),
                    f"refers to source {ref} but the file lists {count} source(s)",
                )
    facts = data.get("kernel_facts")
    if facts:
        for ref_index, ref in enumerate(facts["sources"]):
            if ref > count:
                yield at(
                    ("kernel_facts", "sources", ref_index),
                    f"refers to source {ref} but the file lists {count} source(s)",
                )
        signals = data.get("signals") or {}
        for key in ("depends_on_broken", "device_ids", "maintainers_entry"):
            mine, collected = facts.get(key), signals.get(key)
            if mine is not None and collected is not None and mine != collected:
                yield at(
                    ("kernel_facts", key),
                    f"is {_show(mine)} but the collected signals say {_show(collected)}; "
                    "keep one (the signals are recomputed by collect)",
                )
    yield from _signals_problems(data, at)
    yield from _after_evidence_date(data, at)
    if not data.get("signals") and not any(
        item["date"] is not None
        for section in ("sources", "upstream", "users_reported")
        for item in data[section]
    ):
        yield at(
            ("sources",),
            "the evidence has no date to measure time against: add signals or a dated source",
        )
    last_sold = data["hardware"]["last_sold"]
    if last_sold is not None:
        upper = _evidence_year(data)
        if not 1970 <= last_sold <= upper:
            yield at(
                ("hardware", "last_sold"),
                f"must be a year from 1970 to {upper} (the evidence's year), found {last_sold}",
            )


def _after_evidence_date(
    data: dict[str, Any], at: Callable[[KeyPath, str], Problem]
) -> Iterator[Problem]:
    """With signals, the evidence speaks for their window's end: a claim dated later is
    a typo, or evidence the signals (and so the verdict's time measures) do not cover."""
    signals = data.get("signals")
    if not signals or not isinstance(signals["window"]["end"], date):
        return
    end = signals["window"]["end"]
    if signals["window"]["start"] >= end:
        return  # reported as a window problem
    for section in ("sources", "upstream", "users_reported"):
        for index, item in enumerate(data[section]):
            value = item["date"]
            if value is not None and PartialDate.parse(value).first_day() > end:
                yield at(
                    (section, index, "date"),
                    f"{PartialDate.parse(value)} is after the evidence date {end} "
                    "(signals.window.end); correct the date, or collect the signals again",
                )


def _evidence_year(data: dict[str, Any]) -> int:
    signals = data.get("signals")
    if signals:
        return int(signals["window"]["end"].year)
    years = [PartialDate.parse(s["date"]).year for s in data["sources"] if s["date"] is not None]
    years += [PartialDate.parse(u["date"]).year for u in data["upstream"]]
    return max(years, default=date.max.year)


def _signals_problems(
    data: dict[str, Any], at: Callable[[KeyPath, str], Problem]
) -> Iterator[Problem]:
    signals = data.get("signals")
    if not signals:
        return
    start, end = signals["window"]["start"], signals["window"]["end"]
    if start >= end:
        yield at(("signals", "window", "end"), f"window end {end} must be after its start {start}")
        return
    expected = _month_range(start, end)
    months = tuple([m["month"] for m in signals["monthly"]])
    if months != expected:
        yield at(("signals", "monthly"), _month_mismatch(list(expected), list(months)))
    commits = added = removed = active = 0
    for m in signals["monthly"]:  # one pass: a file holds 61 or more months
        commits += m["commits"]
        added += m["added"]
        removed += m["removed"]
        if m["commits"]:
            active += 1
    for key, total, summed in (
        ("commits", "commits", commits),
        ("added", "lines_added", added),
        ("removed", "lines_removed", removed),
    ):
        if summed != signals[total]:
            yield at(
                ("signals", total), f"is {signals[total]} but the monthly {key} sum to {summed}"
            )
    if active != signals["active_months"]:
        yield at(
            ("signals", "active_months"),
            f"is {signals['active_months']} but {active} month(s) have commits",
        )
    substantive, mechanical = signals.get("substantive_commits"), signals.get("mechanical_commits")
    if (substantive is None) != (mechanical is None):
        missing = "mechanical_commits" if mechanical is None else "substantive_commits"
        yield at(("signals", missing), "must be given when the other half of the split is")
    elif substantive is not None and substantive + mechanical != signals["commits"]:
        yield at(
            ("signals", "substantive_commits"),
            f"{substantive} substantive + {mechanical} mechanical must equal "
            f"commits ({signals['commits']})",
        )
    order = ["first_commit", "last_substantive_commit", "last_commit"]
    for key in order:
        value = signals.get(key)
        if value is not None and value > end:
            yield at(("signals", key), f"{value} is after the window end {end}")
    first, last = signals.get("first_commit"), signals.get("last_commit")
    last_sub = signals.get("last_substantive_commit")
    if first and last and first > last:
        yield at(("signals", "first_commit"), f"{first} is after last_commit {last}")
    if last_sub and last and last_sub > last:
        yield at(("signals", "last_substantive_commit"), f"{last_sub} is after last_commit {last}")
    if signals["commits"] and last is not None and last < start:
        yield at(
            ("signals", "last_commit"),
            f"{last} is before the window start {start} but the window has commits",
        )


@functools.lru_cache(maxsize=64)
def _month_range(start: date, end: date) -> tuple[str, ...]:
    """month_range, remembered: the files of one collect run share their window."""
    return tuple(month_range(start, end))


def month_range(start: date, end: date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_mismatch(expected: list[str], found: list[str]) -> str:
    head = f"must list one entry per month from {expected[0]} to {expected[-1]} ({len(expected)})"
    for index, (want, got) in enumerate(zip(expected, found, strict=False)):
        if want != got:
            return f"{head}; entry {index + 1} is {got}, expected {want}"
    return f"{head}; found {len(found)}"
