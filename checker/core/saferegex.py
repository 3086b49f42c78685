"""Regular expressions that come from policies, run in linear time.

A policy arrives in a pull request, so its patterns (collect's
`collect.mechanical.subject_patterns` and `bot_authors`) are hostile: Python's `re`
backtracks, and `^(.+)+Z` against a long subject runs for minutes. They are compiled by
RE2 (the `google-re2` package), whose matching time is linear in the text whatever the
pattern, with a memory bound on the compiled program. A pattern must also be valid for
Python's `re` (the policy's documented syntax), so it means the same in both: RE2
refuses what it cannot run in linear time (back-references, look-around), and a
pattern RE2 refuses is a validation problem, not a slow run.

Every failure of either compiler (re.error, but also OverflowError for `a{4294967295}`
and RecursionError for deeply nested groups) becomes a RegexError with a message.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from checker.core.errors import CheckerError

MAX_PATTERN = 1000  # characters; the longest real pattern is under 60
MAX_MEMORY = 8 * 1024 * 1024  # bytes of RE2 program per pattern


class RegexError(CheckerError):
    """A policy pattern that cannot be used."""


def check_syntax(pattern: str) -> None:
    """A RegexError unless Python's `re` compiles the pattern (every failure caught) and
    it is at most MAX_PATTERN characters."""
    if len(pattern) > MAX_PATTERN:
        raise RegexError(f"is {len(pattern)} characters long; the limit is {MAX_PATTERN}")
    try:
        with warnings.catch_warnings():  # `[<!--`: a FutureWarning printed on the terminal
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError, MemoryError) as exc:
        raise RegexError(f"is not a valid regular expression ({_first_line(exc)})") from None


def compile_policy_regex(pattern: str) -> Any:
    """A compiled RE2 pattern (with `.search`); a RegexError saying why not."""
    import re2

    check_syntax(pattern)
    options = re2.Options()
    options.max_mem = MAX_MEMORY
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except (re2.error, ValueError, TypeError) as exc:
        raise RegexError("cannot be run in linear time (RE2 refuses it: "
                         f"{_first_line(exc) or 'unsupported'}); back-references and "
                         "look-around are not allowed") from None


def compile_alternation(patterns: list[str], flags: str = "") -> Any:
    """One RE2 program matching any of `patterns` (each checked as a policy regex on its
    own first): a file is searched once for all of them. Its memory bound grows with
    the number of patterns, each of which is bounded."""
    import re2

    for pattern in patterns:
        compile_policy_regex(f"{flags}{pattern}")
    options = re2.Options()
    options.max_mem = MAX_MEMORY * max(1, len(patterns))
    options.log_errors = False
    joined = flags + "|".join(f"(?:{p})" for p in patterns)
    try:
        return re2.compile(joined, options)
    except (re2.error, ValueError, TypeError) as exc:
        raise RegexError(f"the patterns together cannot be run ({_first_line(exc)})") from None


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be used as a policy regex run by RE2, or None."""
    try:
        compile_policy_regex(pattern)
    except RegexError as exc:
        return str(exc)
    return None


def syntax_problem(pattern: str) -> str | None:
    """Why `pattern` is not a valid regular expression (for the schema), or None: the
    schema checks syntax for every pattern field; collect's patterns must in addition
    run in RE2, which collect checks when it compiles them (an error naming the
    pattern, exit 1)."""
    try:
        check_syntax(pattern)
    except RegexError as exc:
        return str(exc)
    return None


def _first_line(exc: BaseException) -> str:
    first = exc.args[0] if exc.args else ""
    text = (first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)).strip()
    return text.splitlines()[0] if text else type(exc).__name__
