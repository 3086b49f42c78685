"""collect's YAML-aware edit (checker/collect/write.py `render`), as properties.

Driver files are generated in the styles people and editors write: CRLF line endings,
Unicode line separators (U+2028, U+0085, U+2029) inside quoted values, quoted, folded
and literal multi-line values, comments anywhere between keys, odd indentation, quoted
keys, no final newline. For every such file that the checker's loader accepts, writing
new collected values must change no byte outside the nodes collect owns (`signals`,
`kconfig`, `maintainers_status`), keep the line endings, and read back as collected.
The owned spans are found here independently of the code under test: from PyYAML's
pure-Python parser, not libyaml.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from conftest import env_count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.collect.driverfile import DriverFile
from checker.collect.rules import month_keys
from checker.collect.run import SIGNAL_KEYS
from checker.collect.write import EditError, render
from checker.load.document import parse_document

OWNED = ("signals", "kconfig", "maintainers_status")
PROPERTY = settings(max_examples=env_count("SPLICE_EXAMPLES", 150), deadline=None,
                    suppress_health_check=list(HealthCheck))


def signal_values(commits: int, entry: str | None) -> dict[str, Any]:
    start, end = date(2021, 4, 21), date(2026, 4, 21)
    monthly = [{"month": m, "commits": 0, "added": 0, "removed": 0}
               for m in month_keys(start, end)]
    monthly[3] = {"month": monthly[3]["month"], "commits": commits, "added": 4, "removed": 1}
    return {
        "computed_by": "driver-policy collect 0.1.0", "kernel_rev": "0" * 40,
        "window": {"start": start, "end": end}, "files": 3, "source_lines": 120,
        "commits": commits, "substantive_commits": commits, "mechanical_commits": 0,
        "lines_added": 4, "lines_removed": 1, "authors": 1, "active_months": 1,
        "monthly": monthly, "first_commit": date(2005, 4, 16), "last_commit": date(2021, 9, 3),
        "last_substantive_commit": None, "device_ids": 0, "depends_on_broken": False,
        "maintainers_entry": entry,
    }


# -- generated files -------------------------------------------------------------------

WORDS = st.text("abcdefgh ij:#-", min_size=1, max_size=12).map(str.strip).filter(bool)
SEPARATORS = st.sampled_from(["\u2028", "\u0085", "\u2029", " ", "\t"])


@st.composite
def quoted_value(draw: st.DrawFn, indent: int) -> str:
    """A scalar in one of YAML's styles, possibly over several lines."""
    words = draw(st.lists(WORDS, min_size=1, max_size=4))
    pad = " " * (indent + 2)
    style = draw(st.sampled_from(["double", "single", "folded", "literal", "plain-quoted",
                                  "double-lines", "escapes"]))
    if style == "double":
        sep = draw(SEPARATORS)
        return '"' + sep.join(w.replace("\\", "") for w in words).replace('"', "") + '"'
    if style == "escapes":
        return '"' + "\\u2028".join(words).replace('"', "") + '\\x85\\t"'
    if style == "single":
        return "'" + "\n\n".join(w.replace("'", "''") for w in words) \
            .replace("\n\n", "\n" + pad + "\n" + pad) + "'"
    if style == "double-lines":  # continuation lines that look like keys
        body = "\n".join(f"{w}: x" if i else w for i, w in enumerate(words))
        return '"' + body.replace('"', "").replace("\n", "\n" + pad) + '"'
    if style in ("folded", "literal"):
        head = ">-" if style == "folded" else "|"
        lines = [w.replace("#", "") or "x" for w in words]
        return head + "".join("\n" + pad + line for line in lines)
    return json.dumps(" ".join(words))


@st.composite
def driver_texts(draw: st.DrawFn) -> str:
    indent = draw(st.sampled_from([2, 3, 4, 6]))
    pad = " " * indent
    comment = st.sampled_from(["", "# a comment\n", "\n", "#\n", "  # indented comment\n"])
    lines: list[str] = [draw(comment), "schema: 1\n"]
    lines.append(f"name: {draw(quoted_value(0))}\n")
    lines.append("paths:\n" + pad + "include:\n" + pad + "  - drivers/x/\n")
    lines.append(draw(comment))
    present = draw(st.sets(st.sampled_from(OWNED)))
    if "kconfig" in present:
        lines.append(draw(st.sampled_from(
            ["kconfig: [A_B, C]\n", "kconfig:\n" + pad + "- A_B\n", "kconfig: []  # none\n"])))
    lines.append(f"summary: {draw(quoted_value(0))}\n")
    if "maintainers_status" in present:
        lines.append(draw(st.sampled_from(["maintainers_status: Odd Fixes  # stated\n",
                                           "maintainers_status: 'Supported'\n",
                                           "maintainers_status:\n"])))
    lines.append(draw(comment))
    if "signals" in present:
        key = draw(st.sampled_from(["signals", '"signals"', "'signals'"]))
        lines.append(f"{key}:{draw(st.sampled_from(['', '  # collected']))}\n")
        old = signal_values(draw(st.integers(0, 3)), draw(st.sampled_from([None, "X DRIVER"])))
        keys = draw(st.permutations(list(SIGNAL_KEYS)))
        keys = keys[: draw(st.integers(1, len(keys)))]
        for name in keys:
            if draw(st.booleans()):
                lines.append(pad + "# about " + name + "\n")
            value = old[name]
            if name == "monthly":
                items = "".join(f"\n{pad}  - {{month: \"{m['month']}\", commits: {m['commits']}, "
                                f"added: {m['added']}, removed: {m['removed']}}}"
                                for m in value[:3])
                lines.append(f"{pad}{name}:{items}\n")
            elif name == "window":
                lines.append(f"{pad}window: {{start: {value['start']}, end: {value['end']}}}\n")
            else:
                lines.append(f"{pad}{name}: {json.dumps(value, default=str)}\n")
    lines.append("sources:\n" + pad + "- url: https://example.org/\n" + pad
                 + f"  claim: {draw(quoted_value(indent + 2))}\n")
    lines.append(draw(comment))
    text = "".join(lines)
    if draw(st.booleans()):
        text = text.rstrip("\n")
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


# -- the owned spans, found independently ------------------------------------------------


def owned_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each owned pair: from its key to the end of the line its value ends
    on (pure-Python PyYAML marks)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    spans = []
    for key, value in root.value:
        if key.value in OWNED:
            node = value
            while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) \
                    and not node.flow_style and node.value:
                last = node.value[-1]
                node = last[1] if isinstance(node, yaml.MappingNode) else last
            end = max(node.end_mark.index, text.index(":", key.end_mark.index) + 1)
            if not (end and text[end - 1] in "\r\n"):
                newline = text.find("\n", end)
                end = len(text) if newline < 0 else newline + 1
            spans.append((key.start_mark.index - key.start_mark.column, end))
    return spans


def outside(text: str) -> str:
    out, position = [], 0
    for start, end in sorted(owned_spans(text)):
        out.append(text[position:start])
        position = end
    out.append(text[position:])
    return "".join(out).rstrip("\r\n")


@PROPERTY
@given(driver_texts(), st.integers(0, 5), st.sampled_from([None, "IPOIB DRIVER", "a: b # c"]),
       st.sampled_from([None, ["X_Y"], ["A_B", "C"]]),
       st.sampled_from([None, "Maintained", "Odd Fixes"]))
def test_collect_changes_no_byte_outside_the_nodes_it_owns(
    text: str, commits: int, entry: str | None, kconfig: list[str] | None, status: str | None
) -> None:
    before, problems = parse_document(text.encode("utf-8"), "x.yaml")
    doc = DriverFile(Path("drivers/x/y.yaml"), "x/y", text)
    signals = signal_values(commits, entry)
    if before is None:  # the loader refuses it: collect must not edit it
        try:
            render(doc, signals, kconfig, status)
        except EditError:
            return
        raise AssertionError(f"an invalid file was edited: {problems}")
    new = render(doc, signals, kconfig, status)
    after, problems = parse_document(new.encode("utf-8"), "x.yaml")
    assert after is not None, problems
    assert outside(new) == outside(text)
    for key, value in before.data.items():
        if key not in OWNED:
            assert after.data[key] == value, key
    assert json.dumps(after.data["signals"], default=str, sort_keys=True) == json.dumps(
        signals, default=str, sort_keys=True)
    if kconfig is not None:
        assert after.data["kconfig"] == kconfig
    if status is not None:
        assert after.data["maintainers_status"] == status
    if "\r\n" in text:
        assert "\n" not in new.replace("\r\n", "")  # line endings kept
    else:
        assert "\r" not in new.replace("\r", "") or "\r" in text
    doc.text = new
    assert render(doc, signals, kconfig, status) == new  # a second run changes nothing
