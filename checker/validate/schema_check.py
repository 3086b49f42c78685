"""A document against a cerberus schema: every problem, located (path:line:col).

A compiled pre-check (checker.validate.fastcheck) clears clean documents without
cerberus; cerberus is imported only to word the problems of one that fails it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from checker.core.errors import Problem
from checker.load.document import Document, KeyPath, field_name
from checker.validate import schemas
from checker.validate.values import (
    _BUDGET,
    MAX_PROBLEMS,
    _Budget,
    condition_problems,
    is_finite_number,
    is_http_url,
    is_partial_date,
)

if TYPE_CHECKING:  # cerberus is imported only when a document fails the compiled pre-check
    from checker.validate.evidence_validator import EvidenceValidator


# What each regex in the schemas asks for, in words a contributor understands.
REGEX_WORDS = {
    schemas.NAME_RE: "lower-case letters, digits and . _ + - (starting with a letter or digit)",
    schemas.KCONFIG_RE: "a Kconfig symbol (letters, digits, _), without the CONFIG_ prefix",
    schemas.KERNEL_PATH_RE: "a relative path in the tree (no leading '/', no '..')",
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


_VALIDATORS: dict[int, EvidenceValidator] = {}


def validator_for(schema: dict[str, Any]) -> EvidenceValidator:
    """Build each validator once per process: cerberus schema set-up is the costly part."""
    from checker.validate.evidence_validator import EvidenceValidator

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
    """The compiled pre-check of `schema` (see checker.validate.fastcheck), built once."""
    key = id(schema)
    if key not in _PRECHECKS:
        from checker.validate.fastcheck import compile_schema

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
        from checker.validate.fastcheck import compile_fields

        checks = _FIELD_CHECKS[id(schema)] = compile_fields(schema, *_custom_checks())
    failing = frozenset(key for key, value in data.items() if not checks[key](value))
    return failing or None


def _field_validator(schema: dict[str, Any], fields: frozenset[str]) -> EvidenceValidator:
    from checker.validate.evidence_validator import EvidenceValidator

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
    from checker.core.saferegex import regex_problem

    return regex_problem(value) is None


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


def _message(error: Any, validator: EvidenceValidator, schema: dict[str, Any]) -> str:
    from cerberus import errors as cerrors

    code, constraint, value = error.code, error.constraint, error.value
    if code == cerrors.REQUIRED_FIELD.code:
        return "is required"
    if code == cerrors.UNKNOWN_FIELD.code:
        siblings = _sibling_fields(schema, error.document_path[:-1])
        import difflib

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
