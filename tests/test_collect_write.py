"""Writing signals into driver files: only their own bytes change, and they read back."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from strategies import signals

from checker.collect.driverfile import DriverFile, read_driver, split_segments
from checker.collect.rules import month_keys
from checker.collect.run import SIGNAL_KEYS
from checker.collect.write import render, write_if_changed
from checker.collect.yamltext import double_quoted, escaped, render_signals

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "drivers" / "infiniband" / "ipoib.yaml"


def values(entry: str | None = "IPOIB DRIVER", commits: int = 3) -> dict[str, Any]:
    start, end = date(2021, 4, 21), date(2026, 4, 21)
    monthly = [{"month": m, "commits": 0, "added": 0, "removed": 0}
               for m in month_keys(start, end)]
    monthly[5] = {"month": monthly[5]["month"], "commits": commits, "added": 10, "removed": 2}
    data = {
        "computed_by": "driver-policy collect 0.1.0",
        "kernel_rev": "0123456789012345678901234567890123456789",  # all digits: must be quoted
        "window": {"start": start, "end": end},
        "files": 12, "source_lines": 8987, "commits": commits, "substantive_commits": commits,
        "mechanical_commits": 0, "lines_added": 10, "lines_removed": 2, "authors": 2,
        "active_months": 1, "monthly": monthly, "first_commit": date(2005, 4, 16),
        "last_commit": date(2021, 9, 3), "last_substantive_commit": None, "device_ids": 0,
        "depends_on_broken": False, "maintainers_entry": entry,
    }
    assert tuple(data) == SIGNAL_KEYS
    return data


def load(text: str) -> Any:
    return YAML(typ="rt").load(text)


def plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def seed_file(tmp_path: Path, text: str | None = None) -> DriverFile:
    path = tmp_path / "drivers" / "infiniband" / "ipoib.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else SEED.read_text())
    doc, paths, problem = read_driver(tmp_path, path)
    assert doc is not None and paths is not None, problem
    assert paths.include == ("drivers/infiniband/ulp/ipoib/",)
    return doc


def test_only_the_signals_segment_changes(tmp_path: Path) -> None:
    doc = seed_file(tmp_path)
    new = render(doc, values())
    old_segments = {s.key: s.lines for s in split_segments(doc.text)}
    new_segments = {s.key: s.lines for s in split_segments(new)}
    assert list(old_segments) == list(new_segments)  # key order kept
    for key, lines in old_segments.items():
        if key != "signals":
            assert new_segments[key] == lines, key  # every untouched byte kept
    assert plain(load(new)["signals"]) == values()
    # the comment that introduces signals and the blank line after it stay
    assert "# Repository signals as given by the seed card" in new
    assert "\n\nsources:\n" in new


def test_rendering_is_idempotent(tmp_path: Path) -> None:
    doc = seed_file(tmp_path)
    once = render(doc, values())
    doc.text = once
    assert render(doc, values()) == once


def test_comments_inside_signals_survive(tmp_path: Path) -> None:
    text = SEED.read_text().replace(
        "  files: 12\n", "  files: 12  # counted by hand\n")
    doc = seed_file(tmp_path, text)
    new = render(doc, values())
    assert "  files: 12  # counted by hand\n" in new
    assert plain(load(new)["signals"]) == values()
    doc.text = new
    assert render(doc, values()) == new


def test_status_and_kconfig_keep_their_comments(tmp_path: Path) -> None:
    doc = seed_file(tmp_path)
    new = render(doc, values(), kconfig=["INFINIBAND_IPOIB", "INFINIBAND_IPOIB_CM"],
                 status="Odd Fixes")
    assert "maintainers_status: Odd Fixes   # not stated by the seed card\n" in new
    assert "kconfig: [INFINIBAND_IPOIB, INFINIBAND_IPOIB_CM]\n" in new
    # the same values again: nothing to rewrite, even in another style
    doc.text = new.replace("kconfig: [INFINIBAND_IPOIB, INFINIBAND_IPOIB_CM]\n",
                           "kconfig:\n  - INFINIBAND_IPOIB\n  - INFINIBAND_IPOIB_CM\n")
    assert render(doc, values(), kconfig=["INFINIBAND_IPOIB", "INFINIBAND_IPOIB_CM"],
                  status="Odd Fixes") == doc.text


def test_missing_keys_are_inserted_in_place(tmp_path: Path) -> None:
    text = SEED.read_text()
    start = text.index("# Repository signals")
    end = text.index("\nsources:") + 1
    doc = seed_file(tmp_path, text[:start] + text[end:])
    new = render(doc, values())
    keys = [s.key for s in split_segments(new) if s.key]
    assert keys.index("signals") == keys.index("users_reported") + 1
    assert plain(load(new)["signals"]) == values()


def test_write_is_atomic_keeps_mode_and_skips_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)
    assert write_if_changed(path, "a: 2\n")
    assert path.read_text() == "a: 2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not write_if_changed(path, "a: 2\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x.yaml"]  # no temporary file left


@pytest.mark.slow  # 200 examples, each a render and a parse: `pytest -m slow`
@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=60).filter(lambda t: t.strip() == t and "\x85" not in t))
def test_any_maintainers_title_reads_back(title: str) -> None:
    text = render_signals(values(title))
    assert plain(load(text)["signals"])["maintainers_entry"] == title


def test_error_driver_without_paths(tmp_path: Path) -> None:
    path = tmp_path / "drivers" / "x" / "y.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("schema: 1\nname: y\n")
    doc, paths, problem = read_driver(tmp_path, path)
    assert (doc, paths) == (None, None)
    assert problem == "drivers/x/y.yaml: no `paths:` mapping (collect needs paths.include)"


def test_error_driver_with_bad_pattern(tmp_path: Path) -> None:
    path = tmp_path / "drivers" / "x" / "y.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("paths:\n  include: [../etc/]\n")
    _, _, problem = read_driver(tmp_path, path)
    assert problem == ("drivers/x/y.yaml: paths: path pattern '../etc/' must name files "
                       "inside the tree")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(max_codepoint=0x2FF),
                                   st.sampled_from("\u2028\u2029\x85\ufeff")), max_size=12))
def test_the_quick_double_quoted_path_writes_what_the_general_one_writes(text: str) -> None:
    """Printable ASCII without `"` or `\\` is written as it is; the rest looked at
    character by character: the same bytes either way, read back as the same string."""
    assert double_quoted(text) == escaped(text)
    assert YAML(typ="safe", pure=True).load(f"k: {double_quoted(text)}\n") == {"k": text}
    assert YAML(typ="safe").load(f"k: {double_quoted(text)}\n") == {"k": text}  # libyaml


@settings(max_examples=150, deadline=None)
@given(st.lists(signals(), min_size=2, max_size=3))
def test_any_signals_replace_any_signals(tmp_path_factory: pytest.TempPathFactory,
                                         series: list[dict[str, Any]]) -> None:
    """Collect after collect, whatever each one found (usage or not, absent or not):
    each edit reads back as what was collected (render verifies it and raises
    otherwise), and only the signals segment changes."""
    doc = seed_file(tmp_path_factory.mktemp("w"))
    for drawn in series:
        # collect writes every key; what the strategy leaves out, as collect writes it
        collected = {"substantive_commits": drawn["commits"], "mechanical_commits": 0,
                     **{key: None for key in SIGNAL_KEYS if key not in drawn}, **drawn}
        text = render(doc, collected)
        assert plain(load(text)["signals"]) == dict(collected)
        doc = DriverFile(doc.path, doc.id, text, text.encode())
