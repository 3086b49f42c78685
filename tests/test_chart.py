"""checker.render.chart: the sparkline, the y axis, and the SVG bar chart of monthly commits."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from checker.core.model import Month
from checker.render.chart import (
    BAR_GAP,
    BAR_STEP,
    LEFT,
    PLOT_HEIGHT,
    Axis,
    axis_for,
    bar_height,
    month_title,
    monthly_svg,
    quarterly,
    sparkline,
    xml_comment,
    year_starts,
)

SVG = "{http://www.w3.org/2000/svg}"


def months(counts: list[int], start: tuple[int, int] = (2021, 4)) -> list[Month]:
    year, month = start
    out = []
    for count in counts:
        out.append(Month(f"{year:04d}-{month:02d}", count, count * 3, count))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([], ""),
        ([0, 0, 0], "▁▁▁"),
        ([0, 1, 2, 3], "▁▄▆█"),
        ([1, 100], "▂█"),  # one commit is never drawn as none
        ([7, 6, 5, 4, 3, 2, 1, 0], "█▇▆▅▄▃▂▁"),
        ([5], "█"),
    ],
)
def test_sparkline(counts: list[int], expected: str) -> None:
    assert sparkline(counts) == expected


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (0, Axis(1, (0, 1))),
        (1, Axis(1, (0, 1))),
        (3, Axis(3, (0, 1, 2, 3))),
        (4, Axis(4, (0, 1, 2, 3, 4))),
        (5, Axis(6, (0, 2, 4, 6))),
        (9, Axis(10, (0, 5, 10))),
        (17, Axis(20, (0, 5, 10, 15, 20))),
        (100, Axis(100, (0, 50, 100))),
        (1234, Axis(1500, (0, 500, 1000, 1500))),
    ],
)
def test_axis_uses_round_steps(peak: int, expected: Axis) -> None:
    assert axis_for(peak) == expected


@pytest.mark.parametrize(
    ("count", "top", "expected"),
    [(0, 3, 0), (3, 3, PLOT_HEIGHT), (1, 3, 32), (1, 1000, 1), (1, 192, 1), (1, 64, 2)],
)
def test_bar_height_rounds_half_up_and_never_hides_a_commit(
    count: int, top: int, expected: int
) -> None:
    assert bar_height(count, top) == expected


def test_xml_comment_never_holds_a_double_hyphen() -> None:
    assert xml_comment("run a--b --check -") == "<!-- run a- -b - -check -->"
    assert xml_comment("a---b") == "<!-- a- - -b -->"


def test_year_starts_label_january_and_a_far_enough_first_month() -> None:
    assert year_starts(months([0] * 13, (2021, 4))) == [0, 9]
    assert year_starts(months([0] * 13, (2021, 11))) == [2]  # "2021" would overlap "2022"
    assert year_starts(months([0] * 13, (2021, 1))) == [0, 12]
    assert year_starts([]) == []


def test_quarterly_sums_calendar_quarters() -> None:
    assert quarterly(months([1, 2, 3, 4, 5, 6, 7], (2021, 2))) == [3, 12, 13]


def test_month_title_says_commit_or_commits() -> None:
    assert month_title(Month("2025-05", 3, 162, 94)) == "2025-05: 3 commits · +162 −94"
    assert month_title(Month("2025-06", 1, 2, 0)) == "2025-06: 1 commit · +2 −0"
    assert month_title(Month("2025-07", 0, 1234, 0)) == "2025-07: 0 commits · +1,234 −0"


def chart(counts: list[int], caption: str = "Monthly commits") -> str:
    return monthly_svg(
        months(counts), caption=caption, description="A chart.", comment="Generated."
    )


def test_svg_is_valid_xml_with_one_titled_bar_per_month_with_commits() -> None:
    text = chart([0, 3, 1, 0, 2])
    assert text.startswith("<!-- Generated. -->\n<svg ")
    assert text.endswith("</svg>\n")
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    bars = root.find(f"{SVG}g[@class='bars']")
    assert bars is not None
    titles = [rect.findtext(f"{SVG}title") for rect in bars.iter(f"{SVG}rect")]
    assert titles == [  # a month without commits draws nothing (the card's table has it)
        "2021-05: 3 commits · +9 −3",
        "2021-06: 1 commit · +3 −1",
        "2021-08: 2 commits · +6 −2",
    ]
    heights = [int(rect.attrib["height"]) for rect in bars.iter(f"{SVG}rect")]
    assert heights == [PLOT_HEIGHT, 32, 64]
    xs = [int(rect.attrib["x"]) for rect in bars.iter(f"{SVG}rect")]
    assert xs == [LEFT + BAR_STEP * month + BAR_GAP // 2 for month in (1, 2, 4)]
    years = root.find(f"{SVG}g[@class='years']")
    assert years is not None
    assert [t.text for t in years.iter(f"{SVG}text")] == ["2021"]


def test_svg_has_no_script_link_or_event_and_only_integer_coordinates() -> None:
    text = chart(list(range(61)))
    root = ET.fromstring(text)
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in ("script", "a", "foreignObject", "image")
        for name, value in element.attrib.items():
            assert not name.startswith("on")
            assert "href" not in name
            if name in ("x", "y", "x1", "x2", "y1", "y2", "width", "height"):
                assert re.fullmatch(r"[0-9]+", value), (name, value)


def test_svg_escapes_its_text() -> None:
    caption = '<script>alert(1)</script> & ]]> --> "quoted"'
    root = ET.fromstring(chart([1, 2], caption=caption))
    assert root.findtext(f"{SVG}title") == caption
    assert next(t.text for t in root.iter(f"{SVG}text")) == caption
    assert "<script>" not in chart([1, 2], caption=caption)


def test_svg_styles_once_and_draws_lines_as_paths() -> None:
    root = ET.fromstring(chart([0, 3, 1, 0, 2]))
    assert len(list(root.iter(f"{SVG}style"))) == 1
    assert list(root.iter(f"{SVG}line")) == []
    for element in root.iter():  # colours and fonts come from the style sheet
        assert not {"fill", "stroke", "font-family", "font-size"} & set(element.attrib)


def test_svg_is_deterministic() -> None:
    assert chart([0, 5, 2, 9, 1]) == chart([0, 5, 2, 9, 1])
