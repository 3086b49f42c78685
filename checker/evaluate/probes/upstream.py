"""Probes over upstream decisions: removal/deprecation actions, BROKEN dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.core.model import Driver, Finding
from checker.evaluate.probes.common import unknown

# The latest decisive action wins: a withdrawn removal undoes an earlier proposal.
STATE_OF = {
    "removal-proposed": "proposed",
    "deprecation-proposed": "proposed",
    "deprecated": "deprecated",
    "removal-merged": "merged",
    "revert-merged": "merged",
    "removal-withdrawn": "none",
}


def upstream_removal(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Has upstream proposed, marked or merged the code's removal?"""
    decisive = [u for u in driver.upstream if u.action in STATE_OF]
    signals = driver.signals
    if signals is not None and not signals.present:
        withdrawn = [u for u in decisive if u.action == "removal-withdrawn"]
        # a withdrawal dated after the deletion undoes it (the tree at REV disagrees,
        # but the evidence is newer than what the tree says about it)
        later = any(signals.removed_date is None
                    or u.date.last_day() > signals.removed_date for u in withdrawn)
        if not (withdrawn and later):
            by = (f" (deleted by commit {signals.removed_commit[:12]} on "
                  f"{signals.removed_date})" if signals.removed_commit else "")
            rev = f" {signals.kernel_rev[:12]}" if signals.kernel_rev else ""
            return Finding(
                "upstream_removal",
                "merged",
                float(config["points"]["merged"]),
                f"no file of its paths is in the tree at{rev}{by}",
            )
    if not decisive:
        return Finding(
            "upstream_removal",
            "none",
            float(config["points"]["none"]),
            "no removal or deprecation action upstream",
        )
    latest = max(decisive, key=lambda u: u.date)
    state = STATE_OF[latest.action]
    where = f" in {latest.tree}" if latest.tree else ""
    commit = f" (commit {latest.commit[:12]})" if latest.commit else ""
    return Finding(
        "upstream_removal",
        state,
        float(config["points"][state]),
        f"upstream {latest.action}{where} {latest.date}{commit}",
    )


def broken(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Does the Kconfig entry depend on BROKEN, so nobody can build it?"""
    depends = driver.depends_on_broken()
    if depends is None:
        return unknown("broken", "whether it depends on BROKEN is unknown")
    if depends:
        return Finding("broken", True, float(config["points"]), "Kconfig depends on BROKEN")
    return Finding("broken", False, 0.0, "Kconfig does not depend on BROKEN")
