"""Probes over usage: is the driver built by the tree's own configurations (and is not
being built unusual there), are those still maintained, is it selected by its boards,
used by its device trees, announced as deprecated (itself or what it needs), in
staging?"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.core.model import Driver, Finding, Usage
from checker.evaluate.probes.common import at_least, band, months_between, unknown


def _usage(driver: Driver) -> Usage | None:
    return driver.signals.usage if driver.signals is not None else None


def configs(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """In how many of the tree's shipped configurations is it enabled?"""
    usage = _usage(driver)
    if usage is None or usage.configs is None:
        return unknown("configs", "not evaluated against the tree's configurations")
    points, label = at_least(usage.configs, config)
    shown = f", e.g. {usage.enabled_in[0]}" if usage.enabled_in else ""
    return Finding("configs", usage.configs, points,
                   f"enabled in {usage.configs} of {usage.configs_read} shipped "
                   f"configurations{shown} ({label})")


def unbuilt(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Is it built by none of the shipped configurations of a tree that builds nearly all
    of its drivers? There, code no board builds is an outlier; in a tree whose
    configurations build few of its drivers, not being built says little."""
    usage = _usage(driver)
    if usage is None or usage.configs is None or usage.tree_built is None:
        return unknown("unbuilt", "the share of the tree its configurations build is not "
                                  "known")
    share = usage.tree_built
    if usage.configs > 0:
        return Finding("unbuilt", False, 0.0, "built by a shipped configuration")
    if share < float(config["tree_share_at_least"]):
        return Finding("unbuilt", False, 0.0,
                       f"built by no shipped configuration, like many drivers of this tree "
                       f"(its configurations build {share:.0%} of them)")
    return Finding("unbuilt", True, float(config["points"]),
                   f"built by none of the shipped configurations, which build {share:.0%} "
                   f"of the tree's drivers")


def config_upkeep(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How long since a configuration that builds it last changed (not counting
    refreshes of every board)? A driver only dormant boards build goes with them."""
    usage = _usage(driver)
    if usage is None or usage.configs_changed is None:
        return unknown("config_upkeep", "no shipped configuration builds it, or their "
                                        "history was not read")
    changed = usage.configs_changed
    months = max(0, months_between(changed, as_of))
    hit = band(months, config["bands"], "at_most_months", higher_is_better=False)
    points = float(hit["points"]) if hit else float(config["older"])
    label = hit["label"] if hit else "older than every band"
    signals = driver.signals
    if signals is not None and changed <= signals.window_start:
        what = f"no configuration that builds it changed since {changed:%Y-%m}"
    else:
        what = f"a configuration that builds it last changed {changed:%Y-%m}"
    return Finding("config_upkeep", months, points,
                   f"{what}, {months} month(s) before {as_of} ({label})")


def selected(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many Kconfig select/imply statements (boards, other drivers) name it?"""
    usage = _usage(driver)
    if usage is None or usage.selected is None:
        return unknown("selected", "its Kconfig symbols are not known")
    points, label = at_least(usage.selected, config)
    return Finding("selected", usage.selected, points,
                   f"selected or implied {usage.selected} time(s) ({label})")


def dt_users(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many of the tree's device trees use one of its compatibles?"""
    usage = _usage(driver)
    if usage is None or usage.dt_users is None:
        return unknown("dt_users", "no device-tree compatible, or no device tree")
    points, label = at_least(usage.dt_users, config)
    return Finding("dt_users", usage.dt_users, points,
                   f"used by {usage.dt_users} device tree(s) ({label})")


def deprecated_help(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Does its Kconfig help announce deprecation or removal?"""
    usage = _usage(driver)
    if usage is None or usage.deprecated is None:
        return unknown("deprecated_help", "its Kconfig help is not known")
    if not usage.deprecated:
        return Finding("deprecated_help", False, 0.0, "Kconfig announces no deprecation")
    return Finding("deprecated_help", True, float(config["points"]),
                   "its Kconfig help announces deprecation")


def deprecated_dependency(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Can it be built only with a symbol whose Kconfig help announces deprecation (the
    SoC family, bus or board support it depends on is to be removed)?"""
    usage = _usage(driver)
    if usage is None or usage.needs_deprecated is None:
        return unknown("deprecated_dependency", "what its Kconfig symbols depend on is not "
                                                "known")
    if not usage.needs_deprecated:
        return Finding("deprecated_dependency", False, 0.0,
                       "needs nothing the Kconfig announces as deprecated")
    names = ", ".join(usage.needs_deprecated[:3])
    more = f" and {len(usage.needs_deprecated) - 3} more" if len(usage.needs_deprecated) > 3 \
        else ""
    return Finding("deprecated_dependency", True, float(config["points"]),
                   f"cannot be built without {names}{more}, whose Kconfig help announces "
                   f"deprecation")


def staging(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Is it in a staging directory (not yet, or no longer, up to the tree's standard)?"""
    usage = _usage(driver)
    if usage is None:
        return unknown("staging", "usage not collected")
    if not usage.staging:
        return Finding("staging", False, 0.0, "not in staging")
    return Finding("staging", True, float(config["points"]), "in a staging directory")
