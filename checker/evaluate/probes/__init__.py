"""Probes: one small pure function per question about a driver's evidence.

Each takes (driver, its config from the policy, as_of) and returns a Finding with its
value (None when the evidence does not say), its contribution to the score and a
one-line reason. Adding a probe is one function plus one line here (and its config
schema in checker.validate.policy_schema.PROBE_CONFIG).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from checker.core.model import Driver, Finding
from checker.evaluate.probes import assessment, hardware, maintenance, upstream, usage

Probe = Callable[[Driver, Mapping[str, Any], date], Finding]

PROBES: dict[str, Probe] = {
    "deployment": assessment.deployment,
    "activity": maintenance.activity,
    "recency": maintenance.recency,
    "substantive_work": maintenance.substantive_work,
    "authors": maintenance.authors,
    "churn": maintenance.churn,
    "code_age": maintenance.code_age,
    "feature_work": maintenance.feature_work,
    "hardware": hardware.hardware,
    "replacement": assessment.replacement,
    "maintainers": assessment.maintainers,
    "user_reports": assessment.user_reports,
    "upstream_removal": upstream.upstream_removal,
    "broken": upstream.broken,
    # usage: optional in a policy (a policy without them scores without them)
    "configs": usage.configs,
    "unbuilt": usage.unbuilt,
    "config_upkeep": usage.config_upkeep,
    "selected": usage.selected,
    "dt_users": usage.dt_users,
    "id_tables": hardware.id_tables,
    "deprecated_help": usage.deprecated_help,
    "deprecated_dependency": usage.deprecated_dependency,
    "staging": usage.staging,
}
