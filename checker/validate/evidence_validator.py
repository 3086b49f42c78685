"""The cerberus validator with the project's own types and rules.

A module of its own so that cerberus is imported only when a document fails the
compiled pre-check (checker.validate.fastcheck): validating clean files never needs it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import cerberus
from cerberus import errors as cerrors

from checker.validate.values import (
    _BUDGET,
    condition_problems,
    is_finite_number,
    is_http_url,
    is_partial_date,
)


class EvidenceValidator(cerberus.Validator):  # type: ignore[misc]
    """Cerberus with the project's own types.

    Cerberus's own `integer` accepts booleans and its `date` accepts timestamps with a
    time of day; evidence means neither, so both are narrowed here. Its `number` accepts
    YAML's `.nan` and `.inf`, which no bound can refuse (every comparison with NaN is
    false) and which break arithmetic later: `number` is finite here.
    """

    types_mapping: ClassVar[dict[str, Any]] = {
        **{k: v for k, v in cerberus.Validator.types_mapping.items() if k != "number"},
        "integer": cerberus.TypeDefinition("integer", (int,), (bool,)),
        "date": cerberus.TypeDefinition("date", (date,), (datetime,)),
    }

    def _error(self, *args: Any) -> None:
        """Record an error, within the budget of the validation in progress.

        Cerberus re-sorts its error list on every error it adds, so a file with many
        thousands of problems would take minutes; past the budget, new errors are only
        counted. Group errors (a child validator's errors, added to its parent) always
        pass, so a document with an error is never taken for valid.
        """
        if len(args) >= 2 and not isinstance(args[1], str) \
                and not args[1].code & cerrors.ERROR_GROUP.code:
            budget = _BUDGET.get()
            if budget is not None:
                if budget.left <= 0:
                    budget.dropped += 1
                    return
                budget.left -= 1
        super()._error(*args)

    def _validate_type_number(self, value: Any) -> bool:
        return is_finite_number(value)

    def _validate_type_partial_date(self, value: Any) -> bool:
        return is_partial_date(value)

    def _validate_type_http_url(self, value: Any) -> bool:
        return isinstance(value, str) and is_http_url(value)

    def _validate_regex_pattern(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        if constraint and isinstance(value, str):
            from checker.core.saferegex import regex_problem

            problem = regex_problem(value)
            if problem is not None:
                self._error(field, problem)

    def _validate_condition(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        if constraint:
            for where, message in condition_problems(value, ""):
                self._error(field, f"{where}: {message}" if where else message)
