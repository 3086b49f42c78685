"""Validated documents -> models; every schema and cross-field problem -> a located Problem.

Validation never stops at the first problem: it returns all of them for one document,
and the caller gathers them for every file.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import math
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from checker import schemas
from checker.errors import Problem
from checker.load import Document, KeyPath
from checker.model import (
    Driver,
    Hardware,
    KernelFacts,
    Month,
    Override,
    PartialDate,
    RecordedVerdict,
    Replacement,
    Signals,
    Source,
    UpstreamAction,
    UserReport,
)

if TYPE_CHECKING:  # cerberus is imported only when a document fails the compiled pre-check
    from checker.evidence_validator import EvidenceValidator

PARTIAL_DATE_RE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")

# What each regex in the schemas asks for, in words a contributor understands.
REGEX_WORDS = {
    schemas.NAME_RE: "lower-case letters, digits and . _ + - (starting with a letter or digit)",
    schemas.KCONFIG_RE: "a Kconfig symbol (letters, digits, _), without the CONFIG_ prefix",
    schemas.KERNEL_PATH_RE: "a relative kernel path (no leading '/', no '..')",
    schemas.SHA_RE: "a hexadecimal commit id of 7 to 40 lower-case characters",
    schemas.MONTH_RE: 'a month written "YYYY-MM"',
}

TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a finite number",
    "boolean": "true or false",
    "list": "a list",
    "dict": "a mapping",
    "date": "a date YYYY-MM-DD",
    "partial_date": 'a date "YYYY", "YYYY-MM" or YYYY-MM-DD',
    "http_url": "an http:// or https:// URL",
}


def condition_problems(cond: Any, where: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """The closed condition form: {field, op, value} | {all: [...]} | {any: [...]} | {not: c}."""
    if depth > 8:
        yield where, "conditions nest more than 8 levels"
        return
    if not isinstance(cond, dict):
        yield where, "a condition must be a mapping"
        return
    combinators = [k for k in ("all", "any", "not") if k in cond]
    if combinators:
        key = combinators[0]
        extra = sorted(set(cond) - {key})
        if extra:
            yield where, f"{key!r} cannot be combined with {', '.join(map(repr, extra))}"
        inner = cond[key]
        if key == "not":
            yield from condition_problems(inner, f"{where}.not".lstrip("."), depth + 1)
        elif not isinstance(inner, list) or not inner:
            yield where, f"{key!r} takes a non-empty list of conditions"
        else:
            for index, item in enumerate(inner):
                yield from condition_problems(
                    item, f"{where}.{key}[{index + 1}]".lstrip("."), depth + 1
                )
        return
    unknown = sorted(set(cond) - {"field", "op", "value"})
    if unknown:
        yield (
            where,
            f"unknown key(s) {', '.join(map(repr, unknown))}; a condition has "
            "field, op and value, or all / any / not",
        )
    field = cond.get("field")
    if field not in schemas.PROBE_NAMES:
        close = difflib.get_close_matches(str(field), schemas.PROBE_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        yield (
            where,
            f"field {field!r} is not a probe (probes: {', '.join(schemas.PROBE_NAMES)})" + hint,
        )
    op = cond.get("op")
    if op not in schemas.OPERATORS:
        yield where, f"op {op!r} must be one of {', '.join(schemas.OPERATORS)}"
    elif op in ("known", "unknown"):
        if "value" in cond:
            yield where, f"op {op!r} takes no value"
    elif "value" not in cond:
        yield where, f"op {op!r} needs a value"
    elif op in ("in", "not_in") and not isinstance(cond["value"], list):
        yield where, f"op {op!r} needs a list value"
    elif op in ("lt", "le", "gt", "ge") and not is_finite_number(cond["value"]):
        yield where, f"op {op!r} needs a number"


def is_finite_number(value: Any) -> bool:
    """An int or a float other than NaN and the infinities (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def is_partial_date(value: Any) -> bool:
    if isinstance(value, date):
        return not isinstance(value, datetime)
    if not isinstance(value, str) or not PARTIAL_DATE_RE.match(value):
        return False
    parts = value.split("-")
    try:
        date(
            int(parts[0]),
            int(parts[1]) if len(parts) > 1 else 1,
            int(parts[2]) if len(parts) > 2 else 1,
        )
    except ValueError:
        return False
    return True


# The common form, accepted without urlsplit: a lowercase http(s) scheme, an ASCII host
# name, an optional port, and a rest of printable ASCII without the characters refused
# below. Anything else takes the general test.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!#-;=?-_a-~]*)?\Z"
)


def is_http_url(value: str) -> bool:
    if _PLAIN_HTTP_URL.match(value):
        return True
    if any(ch.isspace() or ord(ch) < 32 or ch in '<>"`' for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_VALIDATORS: dict[int, EvidenceValidator] = {}


def validator_for(schema: dict[str, Any]) -> EvidenceValidator:
    """Build each validator once per process: cerberus schema set-up is the costly part."""
    from checker.evidence_validator import EvidenceValidator

    key = id(schema)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = EvidenceValidator(schema)
    return _VALIDATORS[key]


_PRECHECKS: dict[int, Callable[[Any], bool]] = {}


def _custom_checks() -> tuple[dict[str, Callable[[Any], bool]], dict[str, Callable[[Any], bool]]]:
    return (
        {
            "number": is_finite_number,
            "partial_date": is_partial_date,
            "http_url": lambda v: isinstance(v, str) and is_http_url(v),
        },
        {"condition": lambda v: not any(condition_problems(v, "")), "regex_pattern": _compiles},
    )


def precheck_for(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """The compiled pre-check of `schema` (see checker.fastcheck), built once."""
    key = id(schema)
    if key not in _PRECHECKS:
        from checker.fastcheck import compile_schema

        _PRECHECKS[key] = compile_schema(schema, *_custom_checks())
    return _PRECHECKS[key]


_FIELD_CHECKS: dict[int, dict[str, Callable[[Any], bool]]] = {}
_FIELD_VALIDATORS: dict[tuple[int, frozenset[str]], EvidenceValidator] = {}


def _failing_fields(schema: dict[str, Any], data: Any) -> frozenset[str] | None:
    """The top-level fields the pre-check refuses, when the document's only problems are
    inside those fields (none missing, unknown or excluding another); else None.

    Cerberus then validates just those fields, with a validator for just their rules:
    its messages for a field depend on nothing else, and validating a whole driver
    file (its hundreds of months) is what makes an invalid file slow.
    """
    if not isinstance(data, dict) or not data.keys() <= schema.keys():
        return None
    if any(rule.get("required") and key not in data for key, rule in schema.items()):
        return None
    for key, rule in schema.items():
        if key in data and any(other in data for other in rule.get("excludes", ())):
            return None
    checks = _FIELD_CHECKS.get(id(schema))
    if checks is None:
        from checker.fastcheck import compile_fields

        checks = _FIELD_CHECKS[id(schema)] = compile_fields(schema, *_custom_checks())
    failing = frozenset(key for key, value in data.items() if not checks[key](value))
    return failing or None


def _field_validator(schema: dict[str, Any], fields: frozenset[str]) -> EvidenceValidator:
    from checker.evidence_validator import EvidenceValidator

    key = (id(schema), fields)
    validator = _FIELD_VALIDATORS.get(key)
    if validator is None:
        if len(_FIELD_VALIDATORS) >= 64:
            _FIELD_VALIDATORS.clear()
        validator = _FIELD_VALIDATORS[key] = EvidenceValidator(
            {name: rule for name, rule in schema.items() if name in fields}
        )
    return validator


def _compiles(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    from checker.saferegex import regex_problem

    return regex_problem(value) is None


MAX_PROBLEMS = 100  # schema problems reported per document; the rest are counted


class _Budget:
    def __init__(self, left: int) -> None:
        self.left = left
        self.dropped = 0


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def schema_problems(doc: Document, schema: dict[str, Any]) -> list[Problem]:
    if precheck_for(schema)(doc.data):
        return []  # certainly valid: cerberus would report nothing
    from cerberus import errors as cerrors

    # Keys that are not strings (null, numbers, dates, lists) name no field, and cerberus
    # fails sorting errors on some of them: they are reported here, and the rest of the
    # document is validated without them.
    problems = [_odd_key_problem(doc, parent, key) for parent, key in _odd_keys(doc.data)]
    data = _without_odd_keys(doc.data) if problems else doc.data
    failing = _failing_fields(schema, data)
    if failing is None:
        validator = validator_for(schema)
    else:
        validator = _field_validator(schema, failing)
        data = {key: value for key, value in data.items() if key in failing}
    budget = _Budget(MAX_PROBLEMS)
    token = _BUDGET.set(budget)
    try:
        valid = validator.validate(data)
    finally:
        _BUDGET.reset(token)
    if valid:
        return sorted(set(problems))
    for error in _leaf_errors(validator._errors):
        keypath = tuple(error.document_path)
        at_key = error.code == cerrors.UNKNOWN_FIELD.code
        if error.code == cerrors.REQUIRED_FIELD.code:
            line, col = doc.locate(keypath[:-1])
        else:
            line, col = doc.locate(keypath, at_key=at_key)
        message = _message(error, validator, schema)
        problems.append(Problem(doc.path, line, col, field_name((*doc.prefix, *keypath)), message))
    if budget.dropped:
        problems.append(Problem(
            doc.path, 1, 1, "", f"too many problems: {budget.dropped} more are not reported "
            f"(at most {MAX_PROBLEMS} schema problems per file)"))
    return sorted(set(problems))


def _odd_keys(data: Any, parent: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """(path of the mapping, key) for every key that is not a string."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield from _odd_keys(value, (*parent, key))
            else:
                yield parent, key
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _odd_keys(value, (*parent, index))


def _without_odd_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_odd_keys(v) for k, v in data.items() if isinstance(k, str)}
    if isinstance(data, list):
        return [_without_odd_keys(v) for v in data]
    return data


def _odd_key_problem(doc: Document, parent: KeyPath, key: Any) -> Problem:
    line, col = doc.locate(parent)
    shown = "null" if key is None else str(key).lower() if isinstance(key, bool) \
        else key.isoformat() if isinstance(key, date) \
        else "[" + ", ".join(map(str, key)) + "]" if isinstance(key, tuple) else _show(key)
    return Problem(doc.path, line, col, field_name((*doc.prefix, *parent)),
                   f"key {shown} is not a string; field names are strings")


def _leaf_errors(errors: Any) -> Iterator[Any]:
    for error in errors:
        if error.is_group_error:
            yield from _leaf_errors(error.child_errors)
        else:
            yield error


def field_name(keypath: KeyPath) -> str:
    out = ""
    for key in keypath:
        # list positions count from 1, as people count (and as `sources: [1]` refers)
        out += f"[{key + 1}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _message(error: Any, validator: EvidenceValidator, schema: dict[str, Any]) -> str:
    from cerberus import errors as cerrors

    code, constraint, value = error.code, error.constraint, error.value
    if code == cerrors.REQUIRED_FIELD.code:
        return "is required"
    if code == cerrors.UNKNOWN_FIELD.code:
        siblings = _sibling_fields(schema, error.document_path[:-1])
        close = difflib.get_close_matches(str(error.document_path[-1]), siblings, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field{hint}"
    if code == cerrors.BAD_TYPE.code:
        wanted = constraint if isinstance(constraint, (list, tuple)) else [constraint]
        return "must be " + " or ".join(TYPE_WORDS.get(str(t), str(t)) for t in wanted)
    if code == cerrors.UNALLOWED_VALUE.code:
        allowed = ", ".join(_show(v) for v in constraint)
        return f"must be one of {allowed} (found {_show(value)})"
    if code == cerrors.MIN_VALUE.code:
        return f"must be >= {constraint} (found {value})"
    if code == cerrors.MAX_VALUE.code:
        return f"must be <= {constraint} (found {value})"
    if code == cerrors.MIN_LENGTH.code:
        unit = "character(s)" if isinstance(value, str) else "item(s)"
        return f"must have at least {constraint} {unit}"
    if code == cerrors.MAX_LENGTH.code:
        unit = "character(s)" if isinstance(value, str) else "item(s)"
        return f"must have at most {constraint} {unit} (found {len(value)})"
    if code == cerrors.EMPTY_NOT_ALLOWED.code:
        return "must not be empty"
    if code == cerrors.EXCLUDES_FIELD.code:
        return f"cannot be given together with {' or '.join(map(str, constraint))}"
    if code == cerrors.NOT_NULLABLE.code:
        return "must not be null"
    if code == cerrors.REGEX_MISMATCH.code:
        words = REGEX_WORDS.get(constraint, f"in the form {constraint}")
        return f"must be {words} (found {_show(value)})"
    return str(validator.error_handler.messages.get(code, "is invalid")).format(
        *error.info, constraint=constraint, field=error.field, value=value
    )


def _sibling_fields(schema: dict[str, Any], parent: tuple[Any, ...]) -> list[str]:
    rules: Any = {"type": "dict", "schema": schema}
    for key in parent:
        if isinstance(key, int):
            rules = rules.get("schema", {})
        else:
            rules = rules.get("schema", {}).get(key, {})
    inner = rules.get("schema", {})
    return [k for k in inner if isinstance(k, str)]


def _show(value: Any) -> str:
    text = (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
    return text if len(text) <= 60 else text[:57] + "..."


# -- drivers -----------------------------------------------------------------------

DRIVER_FILE_RE = re.compile(r"^drivers/([^/]+)/([^/]+)\.yaml$")


def driver_id(relpath: str) -> str | None:
    match = DRIVER_FILE_RE.match(relpath)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def validate_driver(
    doc: Document, *, ident: str | None = None
) -> tuple[Driver | None, list[Problem]]:
    """Schema, then cross-field rules; a model only for a document with no problem.

    `ident` is given for drivers that do not live in drivers/ (policy fixtures), which
    skips the file-location rule.
    """
    problems = schema_problems(doc, schemas.DRIVER_SCHEMA)
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
GUESSED_RE = re.compile(r"#[^\n]*\bguess(?:ed)?\b", re.IGNORECASE)


def unfinished_items(doc: Document) -> list[tuple[KeyPath, str, str]]:
    """What is unfinished in a driver file: (where, a short name, the message).

    TODO text, no sources, a field a `# guessed` comment marks, no recorded verdict. A
    draft lists them (its card and `check` say what remains); any other file fails.
    """
    items: list[tuple[KeyPath, str, str]] = []
    strings = _strings(doc.data) if "TODO" in doc.text else ()  # the common case: none
    for keypath, value in strings:
        if TODO_RE.search(value):
            name = field_name(keypath)
            items.append((keypath, f"{name}: TODO", "holds TODO text"))
    if not doc.data.get("sources"):
        items.append((("sources",), "sources: none", "cites no source"))
    if GUESSED_RE.search(doc.text):
        lines = doc.text.splitlines()
        for number, line in enumerate(lines, start=1):
            if GUESSED_RE.search(line) and not line.lstrip().startswith("#"):
                keypath = _keypath_at_line(doc, number)
                name = field_name(keypath) if keypath else f"line {number}"
                items.append((keypath, f"{name}: guessed",
                              "is marked as guessed (a `# guessed` comment)"))
    if not doc.data.get("verdict"):
        items.append((("verdict",), "verdict: not recorded", "no recorded verdict"))
    return items


def _strings(data: Any, keypath: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(data, str):
        yield keypath, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*keypath, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*keypath, index))


def _keypath_at_line(doc: Document, line: int) -> KeyPath:
    """The deepest field whose value starts on `line` (for comments that mark a field)."""
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


# -- models ------------------------------------------------------------------------


def _pdate(value: Any) -> PartialDate | None:
    return None if value is None else PartialDate.parse(value)


def to_driver(
    doc: Document, ident: str | None = None, unfinished: tuple[str, ...] = ()
) -> Driver:
    d = doc.data
    facts = d.get("kernel_facts")
    ident = ident or driver_id(doc.path) or doc.path
    hw = d["hardware"]
    sold = hw["sold_new"]
    signals = d.get("signals")
    verdict = d.get("verdict")
    return Driver(
        id=ident,
        file=doc.path,
        name=d["name"],
        subsystem=d["subsystem"],
        category=d["category"],
        path=d["path"],
        include=tuple(d["paths"]["include"]),
        exclude=tuple(d["paths"].get("exclude") or ()),
        granularity=d["granularity"],
        granularity_note=d.get("granularity_note"),
        kconfig=tuple(d["kconfig"]),
        summary=d["summary"],
        provenance=d.get("provenance"),
        deployment=d["deployment"],
        hardware=Hardware(hw["kind"], None if sold == "unknown" else bool(sold), hw["last_sold"]),
        replacement=Replacement(**d["replacement"]),
        maintainers_status=d["maintainers_status"],
        upstream=tuple(
            UpstreamAction(
                action=u["action"],
                date=PartialDate.parse(u["date"]),
                summary=u["summary"],
                sources=tuple(u["sources"]),
                tree=u.get("tree"),
                kernel=u.get("kernel"),
                commit=u.get("commit"),
                subject=u.get("subject"),
            )
            for u in d["upstream"]
        ),
        users_reported=tuple(
            UserReport(r["who"], r["claim"], PartialDate.parse(r["date"]), tuple(r["sources"]),
                       r.get("kind", "unknown"), r.get("scale", "unknown"))
            for r in d["users_reported"]
        ),
        signals=signals_model(signals) if signals else None,
        sources=tuple(
            Source(
                s["url"],
                s["claim"],
                _pdate(s["date"]),
                bool(s.get("domain_only")),
                _pdate(s.get("retrieved")),
                bool(s.get("historical")),
            )
            for s in d["sources"]
        ),
        verdict=RecordedVerdict(
            value=verdict["value"],
            recommendation=verdict["recommendation"],
            confidence=verdict.get("confidence"),
            notes=verdict.get("notes"),
            override=Override(**verdict["override"]) if verdict.get("override") else None,
            recommendation_for=verdict.get("recommendation_for"),
        )
        if verdict
        else None,
        draft=d.get("status") == "draft",
        kernel_facts=KernelFacts(
            sources=tuple(facts["sources"]),
            depends_on_broken=facts.get("depends_on_broken"),
            device_ids=facts.get("device_ids"),
            maintainers_entry=facts.get("maintainers_entry"),
        )
        if facts
        else None,
        unfinished=unfinished,
    )


def signals_model(s: dict[str, Any]) -> Signals:
    return Signals(
        computed_by=s["computed_by"],
        kernel_rev=s["kernel_rev"],
        window_start=s["window"]["start"],
        window_end=s["window"]["end"],
        files=s["files"],
        source_lines=s["source_lines"],
        commits=s["commits"],
        substantive_commits=s.get("substantive_commits"),
        mechanical_commits=s.get("mechanical_commits"),
        lines_added=s["lines_added"],
        lines_removed=s["lines_removed"],
        authors=s["authors"],
        active_months=s["active_months"],
        monthly=tuple(map(Month.from_row, s["monthly"])),
        first_commit=s.get("first_commit"),
        last_commit=s.get("last_commit"),
        last_substantive_commit=s.get("last_substantive_commit"),
        device_ids=s.get("device_ids"),
        depends_on_broken=s.get("depends_on_broken"),
        maintainers_entry=s.get("maintainers_entry"),
        present=s.get("present", True),
        removed_commit=(s.get("removed_in") or {}).get("commit"),
        removed_date=(s.get("removed_in") or {}).get("date"),
    )
