"""`driver-policy candidates` on a repository onboarded from a real tree (`init`, then
`new --discover`): drafts ranked by how likely they are removable, what decided, and
what to gather next."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from collect_fixtures import History, lines
from conftest import Run
from tree_shapes import KBUILD

from checker.evaluate.probes.common import unknown
from checker.report.candidates import NEXT_STEPS, next_steps


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree where the Acme driver is worked on and built by both defconfigs, and the
    NE2000 drivers were last touched at their import six years before."""
    base = tmp_path_factory.mktemp("candidates")
    h = History(base / "linux")
    built = "CONFIG_NETDEVICES=y\nCONFIG_ACME=y\n"
    h.commit("2019-01-10", "initial", {**KBUILD, "arch/arm/configs/a_defconfig": built,
                                       "arch/arm/configs/b_defconfig": built})
    for month in range(1, 13):
        h.commit(f"2024-{month:02d}-03", f"acme: fix {month}",
                 {"drivers/net/acme/main.c": lines(6 + month) + "module_platform_driver(drv);\n"},
                 author=(f"Dev {month % 3}", f"dev{month % 3}@example.org"))
    h.build()
    return base


def onboard(base: Path, cli: Callable[..., Run], target: Path) -> Path:
    assert cli("init", str(target), "--no-git").code == 0
    run = cli("-C", str(target), "new", "--kernel", str(base / "linux"), "--discover",
              "drivers/net", "drivers/rc", "--window-end", "2025-01-01")
    assert run.code == 0, run.err
    return target


def test_candidates_rank_the_dormant_unbuilt_drivers_first(onboarded: Path, tmp_path: Path,
                                                           cli: Callable[..., Run]) -> None:
    root = onboard(onboarded, cli, tmp_path / "repo")
    data = json.loads(cli("-C", str(root), "candidates", "--top", "0", "--format", "json").out)
    ranked = [(c["id"], c["score"], c["verdict"]) for c in data["candidates"]]
    # ne2k-pci's Kconfig help announces deprecation and no configuration builds it; the
    # rc drivers are as dormant and nothing builds them either; ne and hidden are built
    # (+1), by boards nobody changed in the window (config_upkeep -1): the same score,
    # hidden first (the higher confidence)
    assert ranked == [("net/ne2k-pci", -5.0, "deprecate"), ("rc/rc-a", -3.0, "deprecate"),
                      ("rc/rc-b", -3.0, "deprecate"), ("net/hidden", -3.0, "deprecate"),
                      ("net/ne", -3.0, "deprecate"), ("net/acme", 1.0, "keep-annotate")]
    acme = data["candidates"][-1]
    assert [(f["probe"], f["points"]) for f in acme["supporting"]] == [
        ("activity", 1.0), ("configs", 1.0), ("recency", 1.0)]
    assert not any("no shipped configuration" in step for step in acme["next"])
    text = cli("-C", str(root), "candidates", "--top", "1")
    assert text.code == 0, text.err
    assert text.out.splitlines() == [
        "removal candidates under " + data["policy"] + ": 1 of 6 driver(s), most likely "
        "removable first",
        "(lowest score first; ties: higher confidence, then fewer unknowns)",
        "",
        "  1. net/ne2k-pci: deprecate, score -5, confidence 0.60  (drivers/net/ne2k-pci.yaml, "
        "draft)",
        "     decided by rule deprecate-before-remove: without an upstream removal proposal, "
        "code that someone may still run is deprecated before it is removed; only code known "
        "to have no users goes straight to remove",
        "     against  deprecated_help -2  its Kconfig help announces deprecation",
        "              authors -1          0 author(s) in the window (one person or none)",
        "              churn -1            0 lines changed in the window (next to no change)",
        "              recency -1          last substantive commit 2019-01, 72 month(s) before "
        "2025-01-01 (older than every band)",
        "     unknown  deployment, code_age, feature_work, hardware, replacement, maintainers, "
        "user_reports, config_upkeep, dt_users",
        "     next     1. no user report cited: search the mailing lists, bug trackers and "
        "forums for reports of use in the last two years",
        "              2. deployment unknown: look for users, products and distribution "
        "configurations that enable it",
        "              3. no shipped configuration builds it: check out-of-tree users (boards, "
        "distribution and vendor configurations) before removing",
        "              4. hardware.sold_new unknown: find the vendor's product page or "
        "end-of-life notice, and when it was last sold",
        "              5. replacement unknown: does another driver serve the same hardware or "
        "protocol?",
        "              6. it declares no id table: find the board code or platform data that "
        "binds it by name, and whether those boards are still supported",
        "              7. its Kconfig help announces deprecation: find the announcement and its "
        "date, and cite it as an upstream event",
        "              8. no MAINTAINERS section of its own: find who maintains it"]
    markdown = cli("-C", str(root), "candidates", "--top", "5", "--format", "markdown").out
    assert markdown.startswith("## Removal candidates (default v8 (sha256:")
    assert "| 5 | `net/ne` (draft) | deprecate | -3 | 0.50 | " in markdown


def test_next_steps_say_collect_once_when_nothing_was_collected() -> None:
    findings = [unknown(probe, "not collected") for probe in
                ("activity", "configs", "deployment")]
    assert next_steps(findings) == (
        "deployment unknown: look for users, products and distribution configurations that "
        "enable it",
        "signals not collected: run `driver-policy collect`")
    # collected, but too young for the history probes: collecting again would not help
    assert next_steps(findings, collected=True) == (
        "deployment unknown: look for users, products and distribution configurations that "
        "enable it",
        "not evaluated against configurations: collect with --config naming distribution "
        "configurations")
    assert {probe for probe, _, _ in NEXT_STEPS} <= {
        "user_reports", "deployment", "configs", "hardware", "replacement", "dt_users",
        "id_tables", "deprecated_help", "deprecated_dependency", "staging", "broken", "maintainers",
        "activity"}


def test_candidates_escape_what_files_carry(repo: Path, cli: Callable[..., Run]) -> None:
    path = repo / "drivers/net/smc-tcp-ulp.yaml"
    path.write_text(path.read_text().replace(
        "  by: LD_PRELOAD or BPF-based redirection in user space",
        '  by: "LD_PRELOAD \\e]0;owned\\a \\u202e BPF"', 1))
    out = cli("-C", str(repo), "candidates", "--top", "1").out
    assert "\x1b" not in out and "\u202e" not in out
    assert "partial replacement: LD_PRELOAD \\x1b]0;owned\\x07 \\u202e BPF" in out
    markdown = cli("-C", str(repo), "candidates", "--top", "1", "--format", "markdown").out
    assert "\x1b" not in markdown and "\u202e" not in markdown
