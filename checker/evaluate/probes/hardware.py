"""Probes over hardware: is what the driver serves still obtainable, and does the driver
say which devices it matches?"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.core.model import Driver, Finding
from checker.evaluate.probes.common import at_least, band, unknown


def hardware(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """Software needs no hardware; otherwise: sold new, or how many years since last sold?"""
    hw = driver.hardware
    if hw.kind == "software":
        return Finding(
            "hardware",
            "software",
            float(config["software"]),
            "software-only: needs no hardware that can disappear",
        )
    if hw.sold_new is True:
        return Finding(
            "hardware", "sold", float(config["sold_new"]), f"{hw.kind} it serves is still sold new"
        )
    if hw.sold_new is None and hw.last_sold is None:
        return unknown("hardware", "whether the hardware is still sold is unknown")
    if hw.last_sold is None:
        return unknown("hardware", "no longer sold, but since when is unknown")
    years = max(0, as_of.year - hw.last_sold)
    hit = band(years, config["not_sold_bands"], "at_most_years", higher_is_better=False)
    points = float(hit["points"]) if hit else float(config["not_sold_older"])
    label = hit["label"] if hit else "older than every band"
    return Finding(
        "hardware", years, points, f"last sold {hw.last_sold}, {years} years ago ({label})"
    )


def id_tables(driver: Driver, config: Mapping[str, Any], as_of: date) -> Finding:
    """How many entries do its id tables hold (`of_device_id`, `pci_device_id`, ...)? A
    driver that declares the devices it matches is bound by the driver model; one that
    declares none is bound by name from board code, or serves no device."""
    signals = driver.signals
    if signals is None or signals.id_entries is None:
        return unknown("id_tables", "its id tables were not read (no C source, or collected "
                       "before id_entries)")
    points, label = at_least(signals.id_entries, config)
    return Finding("id_tables", signals.id_entries, points,
                   f"{signals.id_entries} id table entr"
                   f"{'y' if signals.id_entries == 1 else 'ies'} ({label})")
