"""What `collect` counts, read from the policy: the window and the mechanical rules.

The policy file (policies/default.yaml) holds every constant; this module only reads
them and applies them. A commit is *mechanical* (churn, not care for a driver) when
any rule holds, and *substantive* otherwise:

- the whole commit touches more than `collect.mechanical.max_files` files (a sweep);
- its subject matches one of `collect.mechanical.subject_patterns` (searched by RE2,
  in linear time: checker/core/saferegex.py);
- its author's name or e-mail (after `.mailmap`) matches one of
  `collect.mechanical.bot_authors` (the same way);
- it belongs to a series split across subsystems (`collect.mechanical.series`,
  found by checker/collect/series.py before the walk).

Some commits are not work on a driver at all, and are left out of its history (all
but its first commit's date): a commit that changes files in more than
`collect.sweep_directories` directories (a tree-wide sweep), and with
`collect.exclude_reverts`, reverts, the commits they revert and their re-applies
(found by checker/collect/reverts.py while history is listed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checker.core.days import shift_months
from checker.core.errors import CheckerError

BOT_MEMO_LIMIT = 100_000


@dataclass(frozen=True)
class CollectRules:
    """The policy's window length and mechanical-commit rules (see module docstring)."""

    window_months: int
    max_files: int
    subject_patterns: tuple[str, ...]
    bot_authors: tuple[str, ...]
    source_extensions: tuple[str, ...]
    series_min_commits: int = 0  # 0: no series detection (see checker/collect/series.py)
    series_within_days: int = 0
    sweep_directories: int = 0  # 0: no sweep rule
    exclude_reverts: bool = False
    _subjects: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _bots: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _any_subject: Any = field(init=False, repr=False, compare=False)
    _any_bot: Any = field(init=False, repr=False, compare=False)
    # author name or e-mail -> whether a bot pattern matches it: a tree's few thousand
    # authors sign tens of thousands of commits
    _bot_memo: dict[str, bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.window_months < 1:
            raise CheckerError(
                f"policy: window.months must be at least 1, not {self.window_months}"
            )
        if self.max_files < 1:
            raise CheckerError(
                f"policy: collect.mechanical.max_files must be at least 1, not {self.max_files}"
            )
        if self.sweep_directories < 0 or self.sweep_directories == 1:
            raise CheckerError("policy: collect.sweep_directories must be at least 2, not "
                               f"{self.sweep_directories}")
        object.__setattr__(self, "_subjects", _compile(self.subject_patterns, "subject_patterns"))
        object.__setattr__(self, "_bots", _compile(self.bot_authors, "bot_authors"))
        object.__setattr__(self, "_any_subject", _combine(self.subject_patterns))
        object.__setattr__(self, "_any_bot", _combine(self.bot_authors))
        object.__setattr__(self, "_bot_memo", {})

    @classmethod
    def from_policy(cls, mapping: Mapping[str, Any]) -> CollectRules:
        """Read the rules from a raw policy mapping (policies/default.yaml as a dict)."""
        window = _get(mapping, ("window",), Mapping)
        collect = _get(mapping, ("collect",), Mapping)
        mechanical = _get(collect, ("collect", "mechanical"), Mapping)
        months = _get(window, ("window", "months"), int)
        max_files = _get(mechanical, ("collect", "mechanical", "max_files"), int)
        subjects = _strings(mechanical, ("collect", "mechanical", "subject_patterns"))
        bots = _strings(mechanical, ("collect", "mechanical", "bot_authors"))
        extensions = _strings(collect, ("collect", "source_extensions"))
        series = mechanical.get("series") or {}
        if not isinstance(series, Mapping):
            raise CheckerError("policy: collect.mechanical.series must be a mapping")
        series_min = _get(series, ("collect", "mechanical", "series", "min_commits"), int) \
            if series else 0
        series_days = _get(series, ("collect", "mechanical", "series", "within_days"), int) \
            if series else 0
        sweeps = _get(collect, ("collect", "sweep_directories"), int) \
            if collect.get("sweep_directories") is not None else 0
        reverts = _get(collect, ("collect", "exclude_reverts"), bool) \
            if collect.get("exclude_reverts") is not None else False
        return cls(
            window_months=months,
            max_files=max_files,
            subject_patterns=subjects,
            bot_authors=bots,
            source_extensions=tuple(e if e.startswith(".") else f".{e}" for e in extensions),
            series_min_commits=series_min,
            series_within_days=series_days,
            sweep_directories=sweeps,
            exclude_reverts=reverts,
        )

    def mechanical_reason(self, subject: str, author_name: str, author_email: str,
                          files_touched: int) -> str | None:
        """Why a commit is mechanical, or None when it is substantive."""
        if files_touched > self.max_files:
            return f"touches {files_touched} files (more than {self.max_files})"
        for regex in self._subjects:
            if regex.search(subject):
                return f"subject matches {regex.pattern!r}"
        for regex in self._bots:
            if regex.search(author_name) or regex.search(author_email):
                return f"author matches {regex.pattern!r}"
        return None

    def is_mechanical(self, subject: str, author_name: str, author_email: str,
                      files_touched: int) -> bool:
        """mechanical_reason(...) is not None, with one regex search per field."""
        if files_touched > self.max_files:
            return True
        if self._any_subject is None or self._any_bot is None:
            return self.mechanical_reason(subject, author_name, author_email,
                                          files_touched) is not None
        return bool(self._any_subject.search(subject)) or self._bot(author_name) \
            or self._bot(author_email)

    def _bot(self, author: str) -> bool:
        memo = self._bot_memo
        found = memo.get(author)
        if found is None:
            if len(memo) > BOT_MEMO_LIMIT:
                memo.clear()
            found = memo[author] = bool(self._any_bot.search(author))
        return found

    def is_sweep(self, paths: Iterable[bytes | None]) -> bool:
        """Whether the changed paths (both sides of a rename) lie in more than
        `sweep_directories` directories (a top-level file's is the tree's root)."""
        limit = self.sweep_directories
        if not limit:
            return False
        seen: set[bytes] = set()
        for path in paths:
            if path is not None:
                seen.add(path[:path.rfind(b"/") + 1])
                if len(seen) > limit:
                    return True
        return False

    def is_source(self, path: str) -> bool:
        """Whether a file's lines count as source lines (every file if no extensions)."""
        if not self.source_extensions:
            return True
        return path.endswith(self.source_extensions)

    def window(self, end: date) -> tuple[date, date]:
        """The window ending on `end`: (end minus N calendar months, same day) .. end.

        A day that does not exist in the start month is clamped to its last day
        (2026-03-31 minus one month is 2026-02-28).
        """
        return months_before(end, self.window_months), end


def months_before(day: date, months: int) -> date:
    return shift_months(day, -months)


def month_keys(start: date, end: date) -> list[str]:
    """Every calendar month from `start`'s to `end`'s, inclusive, as YYYY-MM."""
    keys = []
    index, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    while index <= last:
        year, month = divmod(index, 12)
        keys.append(f"{year:04d}-{month + 1:02d}")
        index += 1
    return keys


def _get(mapping: Mapping[str, Any], keypath: tuple[str, ...], kind: type) -> Any:
    value = mapping.get(keypath[-1]) if isinstance(mapping, Mapping) else None
    where = ".".join(keypath)
    if value is None:
        raise CheckerError(f"policy: {where} is missing (collect needs it)")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise CheckerError(f"policy: {where} must be an integer, not {value!r}")
    if not isinstance(value, kind):
        raise CheckerError(f"policy: {where} must be a {kind.__name__}, not {value!r}")
    return value


def _strings(mapping: Mapping[str, Any], keypath: tuple[str, ...]) -> tuple[str, ...]:
    value = _get(mapping, keypath, Sequence)
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise CheckerError(f"policy: {'.'.join(keypath)} must be a list of strings")
    return tuple(value)


_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def _combine(patterns: Sequence[str]) -> Any:
    """One alternation of all patterns (RE2, linear time), each in its own group with its
    own flags (`(?i)x` becomes `(?i:x)`); None when that cannot be built (then each is
    tried)."""
    from checker.core.saferegex import RegexError, compile_policy_regex

    if not patterns:
        return compile_policy_regex(r"[^\s\S]")  # matches nothing
    parts = []
    for pattern in patterns:
        match = _LEADING_FLAGS.match(pattern)
        if match:
            parts.append(f"(?{match.group(1)}:{pattern[match.end():]})")
        else:
            parts.append(f"(?:{pattern})")
    try:
        return compile_policy_regex("|".join(parts))
    except RegexError:
        return None


def _compile(patterns: Sequence[str], name: str) -> tuple[Any, ...]:
    """Each pattern compiled by RE2 (checker.core.saferegex): a policy's regex runs in time
    linear in the subject, whatever the pattern."""
    from checker.core.saferegex import RegexError, compile_policy_regex

    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_policy_regex(pattern))
        except RegexError as exc:
            raise CheckerError(
                f"policy: collect.mechanical.{name}: {pattern!r} {exc}"
            ) from None
    return tuple(compiled)
