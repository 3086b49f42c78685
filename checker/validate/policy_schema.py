"""Cerberus schemas of the policy file and of policy fixtures, as module-level data."""

from __future__ import annotations

from typing import Any

from checker.validate.schemas import (
    KERNEL_PATH_RE,
    MAINTAINERS_STATUS,
    NAME_RE,
    REPORT_KINDS,
    REPORT_SCALES,
    SHORT_TEXT,
    TEXT,
    VERDICTS,
    _list_of,
    _mapping,
)

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "known", "unknown")


SCALAR = {"type": ["string", "number", "boolean", "list"], "nullable": True}


# Every number in a policy has a range (tests/test_policy.py walks this schema to hold
# it): a 400-digit threshold reached float() and crashed check, verdicts, explain,
# render and impact (issue 23). The ranges are far wider than any sensible policy and
# keep every computation from them finite; a value outside is a located problem.
QUANTITY = 1_000_000_000  # counts and shares a band or a condition compares with
MONTHS = 1200  # a hundred years: stale limits and "within" windows, in months


def _number(low: float, high: float, kind: str = "number") -> dict[str, Any]:
    return {"type": kind, "min": low, "max": high, "required": True}


POINTS: dict[str, Any] = _number(-100, 100)


WHY: dict[str, Any] = {**TEXT, "required": True}


BAND_BOUNDS = {
    "at_least": _number(-QUANTITY, QUANTITY),
    "at_most_months": _number(0, 10 * MONTHS),
    "at_most_years": _number(0, 1000),
}


def _bands(key: str) -> dict[str, Any]:
    """Ordered bands: the first whose bound holds gives the points."""
    return _list_of(
        _mapping(
            {
                key: BAND_BOUNDS[key],
                "points": POINTS,
                "label": {**SHORT_TEXT, "required": True},
            }
        ),
        required=True,
        minlength=1,
    )


def _points_for(values: tuple[str, ...]) -> dict[str, Any]:
    return _mapping({v: POINTS for v in values}, required=True)


# History probes abstain (unknown) for code in the tree fewer months than this (optional)
MIN_MONTHS: dict[str, Any] = {**_number(0, MONTHS, "integer"), "required": False}

PROBE_CONFIG: dict[str, dict[str, Any]] = {
    "deployment": {"points": _points_for(("none", "low", "medium", "high"))},
    "activity": {"bands": _bands("at_least"), "min_months": MIN_MONTHS},
    "recency": {"bands": _bands("at_most_months"), "older": POINTS, "min_months": MIN_MONTHS},
    "substantive_work": {"bands": _bands("at_least"), "min_months": MIN_MONTHS},
    "authors": {"bands": _bands("at_least"), "min_months": MIN_MONTHS},
    "churn": {"bands": _bands("at_least"), "min_months": MIN_MONTHS},
    "code_age": {"bands": _bands("at_most_years"), "older": POINTS},
    "feature_work": {"within_months": _number(0, MONTHS, "integer"), "points": POINTS},
    "hardware": {
        "software": POINTS,
        "sold_new": POINTS,
        "not_sold_bands": _bands("at_most_years"),
        "not_sold_older": POINTS,
    },
    "replacement": {"points": _points_for(("none", "partial", "full"))},
    "maintainers": {"points": _points_for(MAINTAINERS_STATUS[:-1])},
    "user_reports": {
        "within_months": _number(0, MONTHS, "integer"),
        "points": POINTS,
        "max_points": POINTS,
        "kinds": _mapping(
            {k: {"type": "number", "min": 0, "max": 100, "required": True} for k in REPORT_KINDS},
            required=True,
        ),
        "scales": _mapping(
            {k: {"type": "number", "min": 0, "max": 100, "required": True}
             for k in REPORT_SCALES},
            required=True,
        ),
    },
    "upstream_removal": {"points": _points_for(("none", "proposed", "deprecated", "merged"))},
    "broken": {"points": POINTS},
    "configs": {"bands": _bands("at_least")},
    "unbuilt": {"tree_share_at_least": _number(0, 1), "points": POINTS},
    "config_upkeep": {"bands": _bands("at_most_months"), "older": POINTS},
    "selected": {"bands": _bands("at_least")},
    "dt_users": {"bands": _bands("at_least")},
    "id_tables": {"bands": _bands("at_least")},
    "deprecated_help": {"points": POINTS},
    "deprecated_dependency": {"points": POINTS},
    "staging": {"points": POINTS},
}

# Probes a policy may leave out (it then scores without them): the usage probes,
# code_age and id_tables came after policies were written.
OPTIONAL_PROBES = ("code_age", "configs", "unbuilt", "config_upkeep", "selected", "dt_users",
                   "id_tables", "deprecated_help", "deprecated_dependency", "staging")


# Probes whose numbers `driver-policy calibrate` may fit (checker/backtest/fit.py): the
# signal probes, whose evidence a backtest knows for every unit; their points are bands,
# a points mapping, or one number.
CALIBRATABLE = ("activity", "recency", "substantive_work", "authors", "churn", "code_age",
                "maintainers", "broken", "configs", "unbuilt", "config_upkeep", "selected",
                "dt_users", "id_tables", "deprecated_help", "deprecated_dependency",
                "staging")


# Names a condition may test: one per probe (the probe's value), closed.
PROBE_NAMES = tuple(PROBE_CONFIG)

CONDITION: dict[str, Any] = {
    "type": "dict",
    "condition": True,  # checked by the validator's `condition` rule (recursive, closed form)
}


HARD_RULE = _mapping(
    {
        "id": {"type": "string", "regex": NAME_RE, "required": True},
        "when": {**CONDITION, "required": True},
        "verdict": {"type": "string", "allowed": VERDICTS, "excludes": ["at_most", "at_least"]},
        "at_most": {"type": "string", "allowed": VERDICTS, "excludes": ["verdict", "at_least"]},
        "at_least": {"type": "string", "allowed": VERDICTS, "excludes": ["verdict", "at_most"]},
        "confidence": {"type": "number", "min": 0, "max": 1},
        "why": WHY,
    }
)


POLICY_SCHEMA: dict[str, Any] = {
    "policy": {"type": "string", "regex": NAME_RE, "required": True},
    "version": _number(1, QUANTITY, "integer"),
    "description": {**TEXT, "required": True},
    "window": _mapping(
        {"months": {"type": "integer", "min": 1, "max": 240, "required": True}}, required=True
    ),
    "collect": _mapping(
        {
            "mechanical": _mapping(
                {
                    "max_files": _number(1, QUANTITY, "integer"),
                    "subject_patterns": _list_of(
                        {"type": "string", "regex_pattern": True}, required=True
                    ),
                    "bot_authors": _list_of(
                        {"type": "string", "regex_pattern": True}, required=True
                    ),
                    "series": _mapping(
                        {
                            "min_commits": _number(2, QUANTITY, "integer"),
                            "within_days": _number(1, 36_500, "integer"),
                        }
                    ),
                },
                required=True,
            ),
            "source_extensions": _list_of(
                {"type": "string", "regex": r"^\.[A-Za-z0-9]+$"}, required=True, minlength=1
            ),
            # commits left out of every driver's history (checker/collect/rules.py)
            "sweep_directories": {"type": "integer", "min": 2, "max": 1_000_000},
            "exclude_reverts": {"type": "boolean"},
            # a commit changing more configurations is a refresh (collect/confighistory.py)
            "config_refresh_files": {"type": "integer", "min": 1, "max": 1_000_000},
        },
        required=True,
    ),
    # `new --discover`: how driver units are found (checker/collect/discover.py)
    "discover": _mapping(
        {
            # file names (fnmatch patterns) of the build files to read; the older key
            # `makefiles` says the same (one of the two)
            "build_files": _list_of({"type": "string", "regex": r"^[A-Za-z0-9_.+*?-]+$"}),
            "makefiles": _list_of({"type": "string", "regex": r"^[A-Za-z0-9_.+*?-]+$"}),
            "units": {"type": "string", "allowed": ["kconfig", "markers"]},
            "kconfig": _mapping(
                {
                    "top": _list_of({"type": "string", "regex": r"^[A-Za-z0-9_./+-]+$"},
                                    required=True),
                    # variable -> value (strings; checked where the rules are read)
                    "env": {"type": "dict"},
                }
            ),
            # true, false, or "bool": only symbols that cannot build a module need one
            "require_entry_point": {"type": ["boolean", "string"], "allowed": [True, False,
                                                                                "bool"]},
            "subsystem_base": _list_of({"type": "string", "regex": r"^[A-Za-z0-9_./+-]+$"}),
            "subsystem_core_dependents": {"type": "integer", "min": 0, "max": 100000},
            "unit_markers": _list_of(
                _mapping(
                    {
                        "file": {"type": "string", "regex": r"^[A-Za-z0-9_.+-]+$",
                                 "required": True},
                        "contains": {"type": "string", "regex_pattern": True},
                        # other directories the build file compiles (group 1, a path
                        # relative to `relative_to`, itself relative to the marker's)
                        "adopts": _mapping(
                            {
                                "pattern": {"type": "string", "regex_pattern": True,
                                            "required": True},
                                "relative_to": {"type": "string",
                                                "regex": r"^(\.\.|\.)(/\.\.)*$"},
                            }
                        ),
                    }
                ),
                required=True,
            ),
            "entry_points": _list_of(
                {"type": "string", "regex_pattern": True}, required=True, minlength=1
            ),
            "names": _list_of({"type": "string", "regex_pattern": True}, required=True),
        }
    ),
    "stale": _mapping(
        {
            "source_months": _number(1, MONTHS, "integer"),
            "signals_months": _number(1, MONTHS, "integer"),
        },
        required=True,
    ),
    "probes": _mapping(
        {name: _mapping(config, required=name not in OPTIONAL_PROBES)
         for name, config in PROBE_CONFIG.items()},
        required=True,
    ),
    "thresholds": _mapping(
        {name: _number(-10_000, 10_000) for name in VERDICTS[:-1]},
        required=True,
    ),
    "confidence": _mapping(
        {
            "coverage": {"type": "number", "min": 0, "max": 1, "required": True},
            "agreement": {"type": "number", "min": 0, "max": 1, "required": True},
            "margin": {"type": "number", "min": 0, "max": 1, "required": True},
            "margin_scale": _number(0.1, 10_000),
            # what is unknown bounds how sure a verdict can be: when none of these
            # probes knows anything, confidence is at most `at_most`
            "cap": _mapping(
                {
                    "when_unknown": _list_of({"type": "string", "allowed": list(PROBE_CONFIG)},
                                             required=True, minlength=1),
                    "at_most": {"type": "number", "min": 0, "max": 1, "required": True},
                }
            ),
        },
        required=True,
    ),
    "rules": _list_of(HARD_RULE, required=True),
    # the categories driver files may name, and `new`'s guess from a path (the longest
    # matching prefix's category, else `default`): checker/validate/categories.py
    "categories": _mapping(
        {
            "names": _list_of({"type": "string", "regex": NAME_RE}, required=True,
                              minlength=1),
            "default": {"type": "string", "regex": NAME_RE, "required": True},
            "paths": _list_of(
                _mapping(
                    {
                        "prefix": {"type": "string", "regex": KERNEL_PATH_RE,
                                   "required": True},
                        "category": {"type": "string", "regex": NAME_RE, "required": True},
                    }
                ),
                required=True,
            ),
        }
    ),
    # `driver-policy calibrate`: what is fitted, within which bounds, towards what
    "calibration": _mapping(
        {
            "probes": _list_of({"type": "string", "allowed": list(CALIBRATABLE)},
                               required=True, minlength=1),
            "points": _mapping(
                {
                    "min": {"type": "integer", "min": -20, "max": 20, "required": True},
                    "max": {"type": "integer", "min": -20, "max": 20, "required": True},
                },
                required=True,
            ),
            "flag_share": {"type": "number", "min": 0, "max": 1, "required": True},
            "min_removals": {"type": "integer", "min": 1, "max": 100000, "required": True},
            "min_gain": {"type": "number", "min": 0, "max": 1, "required": True},
            "max_changes": {"type": "integer", "min": 0, "max": 1000, "required": True},
            "train_months": {"type": "integer", "min": 1, "max": 600},
            "recall_months": {"type": "integer", "min": 1, "max": 600},
        }
    ),
    "backtest": _mapping(
        {
            "removal_patterns": _list_of(
                {"type": "string", "regex_pattern": True}, required=True, minlength=1
            ),
            # files added or deleted in one commit past which git finds exact renames only
            "rename_limit": {"type": "integer", "min": 1, "max": 100000},
        }
    ),
}


FIXTURE_SCHEMA: dict[str, Any] = {
    "description": {**TEXT, "required": True},
    "expect": _mapping(
        {
            "verdict": {"type": "string", "allowed": VERDICTS, "required": True},
            "rule": {"type": "string", "regex": NAME_RE},
        },
        required=True,
    ),
    "driver": {"type": "dict", "required": True},
}
