"""Cerberus schemas of driver files, and the vocabulary both schemas share, as data.

Custom types (`partial_date`, `http_url`, `verdict`) are implemented in
checker.validate.evidence_validator.EvidenceValidator; checker.validate.export_schema
maps them for editors. The policy's schema is checker.validate.policy_schema.
"""

from __future__ import annotations

from typing import Any

VERDICTS = ("keep", "keep-annotate", "deprecate", "remove")
DEPLOYMENT = ("none", "low", "medium", "high", "unknown")
HARDWARE_KIND = ("hardware", "software", "protocol", "unknown")
MAINTAINERS_STATUS = ("Supported", "Maintained", "Odd Fixes", "Orphan", "Obsolete", "unknown")
GRANULARITY = ("directory", "files", "feature")
REPLACEMENT_STATUS = ("none", "partial", "full", "unknown")
UPSTREAM_ACTIONS = (
    "removal-proposed",  # a patch or thread proposing removal
    "removal-merged",  # the code was deleted upstream
    "revert-merged",  # the code was reverted upstream (removal by revert)
    "removal-withdrawn",  # a removal was proposed or merged and then undone
    "deprecation-proposed",
    "deprecated",  # marked deprecated upstream (Kconfig, docs, warning)
    "feature-work",  # new functionality landed
    "maintenance",  # fixes, refactoring, backports
)

NAME_RE = r"^[a-z0-9][a-z0-9_.+-]*$"
KCONFIG_RE = r"^(?!CONFIG_)[A-Za-z0-9_]+$"  # as in the tree: mixed case exists (I2C_MUX_PCA954x)
# A relative path (or glob) in the kernel tree: no `..` component, and no component
# longer than a file name can be (255, NAME_MAX in checker/core/paths.py).
KERNEL_PATH_RE = r"^(?!/)(?!.*(^|/)\.\.(/|$))(?!.*[^/]{256})[A-Za-z0-9_.,+*?\[\]/-]+$"
SHA_RE = r"^[0-9a-f]{7,40}$"
MONTH_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

TEXT: dict[str, Any] = {"type": "string", "empty": False, "maxlength": 20000}
SHORT_TEXT: dict[str, Any] = {"type": "string", "empty": False, "maxlength": 500}
COUNT: dict[str, Any] = {"type": "integer", "min": 0}
OPTIONAL_COUNT: dict[str, Any] = {"type": "integer", "min": 0, "nullable": True}
SOURCE_REF: dict[str, Any] = {"type": "integer", "min": 1}


def _list_of(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "list", "schema": item, **extra}


def _mapping(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "dict", "schema": schema, **extra}


SOURCE = _mapping(
    {
        "url": {"type": "http_url", "required": True},
        "domain_only": {"type": "boolean"},
        "claim": {**TEXT, "required": True},
        # null: the evidence gives no date for the claim (said on the card, never guessed)
        "date": {"type": "partial_date", "required": True, "nullable": True},
        "retrieved": {"type": "partial_date"},
        # true: the claim is about an event (a commit, a release, a removal) that stays
        # true however old it is; `stale` does not ask for it to be checked again
        "historical": {"type": "boolean"},
    }
)

UPSTREAM_ACTION = _mapping(
    {
        "action": {"type": "string", "allowed": UPSTREAM_ACTIONS, "required": True},
        "date": {"type": "partial_date", "required": True},
        "tree": {**SHORT_TEXT, "nullable": True},
        "kernel": {"type": "string", "regex": r"^v?[0-9]+\.[0-9]+(-rc[0-9]+)?$", "nullable": True},
        "commit": {"type": "string", "regex": SHA_RE, "nullable": True},
        "subject": {**SHORT_TEXT, "nullable": True},
        "summary": {**TEXT, "required": True},
        "sources": _list_of(SOURCE_REF, required=True, minlength=1),
    }
)

REPORT_KINDS = ("production", "distribution", "hobbyist", "unknown")
REPORT_SCALES = ("single", "several", "fleet", "unknown")

USER_REPORT = _mapping(
    {
        "who": {**SHORT_TEXT, "required": True},
        "claim": {**TEXT, "required": True},
        "date": {"type": "partial_date", "required": True},
        "sources": _list_of(SOURCE_REF, required=True, minlength=1),
        # what kind of use the report shows, and on how many systems; the policy
        # decides what each weighs (probes.user_reports.kinds / scales)
        "kind": {"type": "string", "allowed": REPORT_KINDS},
        "scale": {"type": "string", "allowed": REPORT_SCALES},
    }
)

MONTH = _mapping(
    {
        "month": {"type": "string", "regex": MONTH_RE, "required": True},
        "commits": {**COUNT, "required": True},
        "added": {**COUNT, "required": True},
        "removed": {**COUNT, "required": True},
    }
)

# Does anything the tree ships build or use the driver (checker/collect/usage.py)?
USAGE = _mapping(
    {
        "configs": OPTIONAL_COUNT,
        "configs_read": {**COUNT, "required": True},
        "enabled_in": _list_of(SHORT_TEXT, maxlength=10),
        "configs_changed": {"type": "date", "nullable": True},
        "tree_built": {"type": "number", "min": 0, "max": 1, "nullable": True},
        "selected": OPTIONAL_COUNT,
        "dt_users": OPTIONAL_COUNT,
        "deprecated": {"type": "boolean", "nullable": True},
        "needs_deprecated": {**_list_of(SHORT_TEXT, maxlength=50), "nullable": True},
        "staging": {"type": "boolean"},
    },
    nullable=True,
)

SIGNALS = _mapping(
    {
        "computed_by": {**SHORT_TEXT, "required": True},
        "kernel_rev": {"type": "string", "regex": SHA_RE, "nullable": True, "required": True},
        "window": _mapping(
            {
                "start": {"type": "date", "required": True},
                "end": {"type": "date", "required": True},
            },
            required=True,
        ),
        "files": {**COUNT, "required": True},
        "source_lines": {**COUNT, "required": True},
        "copyright_year": {"type": "integer", "min": 1970, "max": 2099, "nullable": True},
        "id_entries": OPTIONAL_COUNT,
        "tree_months": {**COUNT, "max": 600},
        "commits": {**COUNT, "required": True},
        "substantive_commits": OPTIONAL_COUNT,
        "mechanical_commits": OPTIONAL_COUNT,
        "lines_added": {**COUNT, "required": True},
        "lines_removed": {**COUNT, "required": True},
        "authors": {**COUNT, "required": True},
        "active_months": {**COUNT, "required": True},
        "monthly": _list_of(MONTH, required=True, minlength=1, maxlength=600),
        "first_commit": {"type": "date", "nullable": True},
        "last_commit": {"type": "date", "nullable": True},
        "last_substantive_commit": {"type": "date", "nullable": True},
        "device_ids": OPTIONAL_COUNT,
        "depends_on_broken": {"type": "boolean", "nullable": True},
        "maintainers_entry": {**SHORT_TEXT, "nullable": True},
        "usage": USAGE,
        # written only when no file of the driver's paths is in the tree at kernel_rev:
        # the code is gone (the upstream-removal probe reads it as a merged removal)
        "present": {"type": "boolean"},
        "removed_in": _mapping(
            {
                "commit": {"type": "string", "regex": SHA_RE, "required": True},
                "date": {"type": "date", "required": True},
            },
            nullable=True,
        ),
    },
    nullable=True,
)

# Facts read from the kernel tree (Kconfig, device tables, MAINTAINERS) recorded by hand,
# with their sources, for a driver whose signals were not collected.
KERNEL_FACTS = _mapping(
    {
        "depends_on_broken": {"type": "boolean", "nullable": True},
        "device_ids": OPTIONAL_COUNT,
        "maintainers_entry": {**SHORT_TEXT, "nullable": True},
        "sources": _list_of(SOURCE_REF, required=True, minlength=1),
    },
    nullable=True,
)

STATUSES = ("draft",)

# `deployment`: a level, as before, or the level with the sources that back it, like the
# other claims (upstream events, user reports, kernel facts):
#   deployment: {level: low, sources: [2]}
DEPLOYMENT_LEVEL: dict[str, Any] = {"type": "string", "allowed": DEPLOYMENT, "required": True}
DEPLOYMENT_CLAIM = _mapping(
    {
        "level": {"type": "string", "allowed": DEPLOYMENT, "required": True},
        "sources": _list_of(SOURCE_REF, required=True, minlength=1),
    },
    required=True,
)

OVERRIDE = _mapping(
    {
        "verdict": {"type": "string", "allowed": VERDICTS, "required": True},
        "reason": {**TEXT, "required": True},
        "by": {**SHORT_TEXT, "required": True},
        "until": {"type": "date", "required": True},
    },
    nullable=True,
)

DRIVER_SCHEMA: dict[str, Any] = {
    "schema": {"type": "integer", "allowed": (1,), "required": True},
    # draft: unfinished (as `driver-policy new` writes it); no verdict is published
    "status": {"type": "string", "allowed": STATUSES},
    "name": {**SHORT_TEXT, "required": True},
    "subsystem": {"type": "string", "regex": NAME_RE, "required": True},
    # one of the policy's categories (checker/validate/categories.py checks it against
    # the policy's `categories.names`)
    "category": {"type": "string", "regex": NAME_RE, "required": True},
    "path": {"type": "string", "regex": KERNEL_PATH_RE, "required": True},
    "paths": _mapping(
        {
            "include": _list_of(
                {"type": "string", "regex": KERNEL_PATH_RE}, required=True, minlength=1
            ),
            "exclude": _list_of({"type": "string", "regex": KERNEL_PATH_RE}),
        },
        required=True,
    ),
    "granularity": {"type": "string", "allowed": GRANULARITY, "required": True},
    "granularity_note": {**TEXT, "nullable": True},
    "kconfig": _list_of({"type": "string", "regex": KCONFIG_RE}, required=True),
    "summary": {**TEXT, "required": True},
    "provenance": {**TEXT, "nullable": True},
    "deployment": DEPLOYMENT_LEVEL,
    "hardware": _mapping(
        {
            "kind": {"type": "string", "allowed": HARDWARE_KIND, "required": True},
            "sold_new": {
                "type": ["boolean", "string"],
                "allowed": (True, False, "unknown"),
                "required": True,
            },
            "last_sold": {"type": "integer", "nullable": True, "required": True},
        },
        required=True,
    ),
    "replacement": _mapping(
        {
            "status": {"type": "string", "allowed": REPLACEMENT_STATUS, "required": True},
            "by": {**SHORT_TEXT, "nullable": True},
            "note": {**TEXT, "nullable": True},
        },
        required=True,
    ),
    "maintainers_status": {"type": "string", "allowed": MAINTAINERS_STATUS, "required": True},
    "upstream": _list_of(UPSTREAM_ACTION, required=True),
    "users_reported": _list_of(USER_REPORT, required=True),
    "signals": SIGNALS,
    "kernel_facts": KERNEL_FACTS,
    "sources": _list_of(SOURCE, required=True),
    "verdict": _mapping(
        {
            "value": {"type": "string", "allowed": VERDICTS, "required": True},
            "confidence": {"type": "number", "min": 0, "max": 1, "nullable": True},
            "recommendation": {**TEXT, "required": True},
            # the verdict the recommendation was written for; `driver-policy record`
            # leaves it behind when it changes `value`, and `check` fails until a person
            # has reviewed the recommendation and set it to `value`
            "recommendation_for": {"type": "string", "allowed": VERDICTS},
            "notes": {**TEXT, "nullable": True},
            "override": OVERRIDE,
        },
        # absent on a new file: `check` then says what the policy computes
        nullable=True,
    ),
}

# The same, for a file whose deployment is a mapping (the form with sources).
DRIVER_SCHEMA_SOURCED: dict[str, Any] = {**DRIVER_SCHEMA, "deployment": DEPLOYMENT_CLAIM}


def driver_schema(data: Any) -> dict[str, Any]:
    """The schema a driver document is checked against: its deployment's form decides
    (a level, or a mapping with the level and its sources)."""
    if isinstance(data, dict) and isinstance(data.get("deployment"), dict):
        return DRIVER_SCHEMA_SOURCED
    return DRIVER_SCHEMA
