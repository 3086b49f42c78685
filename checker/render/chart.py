"""Monthly commit activity as an SVG bar chart and a Unicode sparkline; a driver's chart
file, cards/<subsystem>/<name>.svg (render_chart), sealed like its card.

The drawing is pure functions of the monthly counts: no plotting library, no clock, no floats in the
output. Every coordinate is an integer computed with integer arithmetic, so the same
counts give the same bytes on every machine. Text in the SVG is XML-escaped and the
document holds no script, no external reference and no event attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from checker.core.model import Driver, Month, Signals
from checker.load.layout import CARDS_DIR
from checker.render.seal import SEAL_MARK, UNSEALED, seal
from checker.render.templates import REGENERATE

if TYPE_CHECKING:
    from checker.evaluate.consistency import Outcome

# Eight levels; the lowest is kept for months without commits so that a month with one
# commit is always visible, however busy the busiest month was.
SPARK_LEVELS = "▁▂▃▄▅▆▇█"

# Geometry of the chart, in SVG user units (pixels when shown at 100 %).
BAR_STEP = 12  # horizontal room per month
BAR_GAP = 2  # space between two bars
PLOT_HEIGHT = 96
LEFT = 36  # room for the y-axis labels
RIGHT = 12
TOP = 30  # room for the caption
BOTTOM = 26  # room for the year labels
NICE_STEPS = (1, 2, 5)

BAR_COLOUR = "#3b6ea5"
GRID_COLOUR = "#d8dee4"
AXIS_COLOUR = "#8c959f"
TEXT_COLOUR = "#424a53"
BACKGROUND = "#ffffff"


@dataclass(frozen=True)
class Axis:
    top: int  # the value drawn at the top of the plot
    ticks: tuple[int, ...]  # values with a grid line and a label, from 0 up to top


def sparkline(counts: Sequence[int]) -> str:
    """One character per month: '▁' for none, '▂' to '█' scaled to the busiest month."""
    peak = max(counts, default=0)
    if peak <= 0:
        return SPARK_LEVELS[0] * len(counts)
    top = len(SPARK_LEVELS) - 1
    # ceil(count * top / peak) with integers: any commit reaches at least level 1.
    return "".join(SPARK_LEVELS[-(-max(c, 0) * top // peak)] for c in counts)


def quarterly(months: Sequence[Month]) -> list[int]:
    """Commits per calendar quarter (the window's first and last quarters may be partial)."""
    names = tuple(month.month for month in months)
    groups = _QUARTERS.get(names)
    if groups is None:
        by_quarter: dict[tuple[str, int], list[int]] = {}
        for index, name in enumerate(names):
            by_quarter.setdefault((name[:4], (int(name[5:7]) - 1) // 3), []).append(index)
        groups = tuple(tuple(by_quarter[key]) for key in sorted(by_quarter))
        if len(_QUARTERS) >= 256:
            _QUARTERS.clear()
        _QUARTERS[names] = groups
    commits = [month.commits for month in months]
    return [sum(commits[index] for index in group) for group in groups]


# month names of a window -> the positions of each quarter's months, in quarter order:
# the drivers of one collect run share their window, so this is worked out once
_QUARTERS: dict[tuple[str, ...], tuple[tuple[int, ...], ...]] = {}


def axis_for(peak: int, max_ticks: int = 4) -> Axis:
    """A y axis from 0 with round steps (1, 2, 5, 10, 20, 50, ...) and at most max_ticks steps."""
    peak = max(peak, 1)
    scale = 1
    while True:
        for step in NICE_STEPS:
            size = step * scale
            steps = -(-peak // size)
            if steps <= max_ticks:
                top = steps * size
                return Axis(top, tuple(range(0, top + 1, size)))
        scale *= 10


def bar_height(count: int, top: int, height: int = PLOT_HEIGHT) -> int:
    """count / top of height, rounded half up; a month with commits is at least 1 unit tall."""
    if count <= 0:
        return 0
    return max(1, (2 * count * height + top) // (2 * top))


def xml_comment(text: str) -> str:
    """An XML comment holding text: '--' may not occur inside one, nor '-' at its end."""
    body = " ".join(text.split())
    while "--" in body:
        body = body.replace("--", "- -")
    return f"<!-- {body.rstrip('- ')} -->"


def year_starts(months: Sequence[Month], min_gap: int = 3) -> list[int]:
    """Indexes of the months that get a year label: each January, and the first month
    unless a January follows within min_gap months (the two labels would overlap)."""
    januaries = [i for i, m in enumerate(months) if m.month.endswith("-01")]
    if months and (not januaries or januaries[0] >= min_gap):
        return [0, *januaries] if 0 not in januaries else januaries
    return januaries


def month_title(month: Month) -> str:
    noun = "commit" if month.commits == 1 else "commits"
    return f"{month.month}: {month.commits} {noun} · +{month.added:,} −{month.removed:,}"


# One style sheet in each chart instead of the same attributes on every element.
STYLE = (
    "text{font:11px -apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;"
    f"fill:{TEXT_COLOUR}}}.c{{font-weight:600}}.y{{text-anchor:end}}"
    f".g{{stroke:{GRID_COLOUR}}}.a{{stroke:{AXIS_COLOUR}}}rect{{fill:{BAR_COLOUR}}}"
    f".bg{{fill:{BACKGROUND}}}"
)


def monthly_svg(months: Sequence[Month], *, caption: str, description: str, comment: str) -> str:
    """A bar chart of commits per month, with a caption, a y axis and the years below.

    `caption` is drawn above the plot; `description` is the accessible description
    (read by screen readers); `comment` is written as an XML comment before the root.
    Each month with commits is a bar with a <title> giving its figures (shown on hover
    when the SVG is opened by itself); a month without commits draws nothing (the
    card's month table lists every month). Shared styling is one <style> element, the
    grid and axis lines are one path each.
    """
    counts = [m.commits for m in months]
    axis = axis_for(max(counts, default=0))
    plot_width = BAR_STEP * len(months)
    width = LEFT + plot_width + RIGHT
    height = TOP + PLOT_HEIGHT + BOTTOM
    base = TOP + PLOT_HEIGHT  # y of the zero line
    right = LEFT + plot_width
    starts = year_starts(months)
    grid = "".join(f"M{LEFT} {base - bar_height(tick, axis.top)}H{right}"
                   for tick in axis.ticks if tick)
    axis_path = f"M{LEFT} {base}H{right}" + "".join(
        f"M{LEFT + index * BAR_STEP} {base}v6" for index in starts)
    lines = [
        xml_comment(comment),
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title desc">',
        f"<style>{STYLE}</style>",
        f'<title id="title">{escape(caption)}</title>',
        f'<desc id="desc">{escape(description)}</desc>',
        f'<rect class="bg" width="{width}" height="{height}" rx="6"/>',
        f'<text class="c" x="{LEFT}" y="18">{escape(caption)}</text>',
        '<g class="grid">',
    ]
    if grid:
        lines.append(f'<path class="g" d="{grid}"/>')
    lines.append(f'<path class="a" d="{axis_path}"/>')
    for tick in axis.ticks:
        y = base - bar_height(tick, axis.top) if tick else base
        lines.append(f'<text class="y" x="{LEFT - 6}" y="{y + 4}">{tick}</text>')
    lines.append("</g>")
    lines.append('<g class="bars">')
    for index, month in enumerate(months):
        h = bar_height(month.commits, axis.top)
        if h:
            x = LEFT + index * BAR_STEP + BAR_GAP // 2
            lines.append(
                f'<rect x="{x}" y="{base - h}" width="{BAR_STEP - BAR_GAP}" '
                f'height="{h}"><title>{escape(month_title(month))}</title></rect>'
            )
    lines.append("</g>")
    lines.append('<g class="years">')
    for index in starts:
        x = LEFT + index * BAR_STEP
        lines.append(f'<text x="{x + 2}" y="{base + 17}">{escape(months[index].month[:4])}</text>')
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def chart_path(driver: Driver) -> str:
    return f"{CARDS_DIR}/{driver.id}.svg"


def activity_line(signals: Signals) -> str:
    return (
        f"{signals.window_start} → {signals.window_end} · {signals.commits:,} commits · "
        f"active in {signals.active_months}/{signals.months} months"
    )


def chart_caption(driver: Driver, signals: Signals) -> str:
    return f"Monthly commits to {driver.path}, {activity_line(signals)}"


def render_chart(outcome: Outcome, inputs: str | None = None) -> str | None:
    driver = outcome.driver
    signals = driver.signals
    if signals is None:
        return None
    peak = max((m for m in signals.monthly), key=lambda m: (m.commits, m.month), default=None)
    busiest = f"; the busiest month was {month_title(peak)}" if peak and peak.commits else ""
    description = (
        f"Bar chart of commits per month to {driver.path} from "
        f"{signals.monthly[0].month} to {signals.monthly[-1].month}: "
        f"{signals.commits:,} commits, active in {signals.active_months} of "
        f"{signals.months} months{busiest}."
    )
    comment = (
        f"Generated by {REGENERATE} from {driver.file} (signals.monthly). Do not edit "
        f"by hand: change that file and run {REGENERATE}."
        + (f" {SEAL_MARK}{UNSEALED}" if inputs is not None else "")
    )
    svg = monthly_svg(
        signals.monthly,
        caption=f"Monthly commits · {activity_line(signals)}",
        description=description,
        comment=comment,
    )
    return svg if inputs is None else seal(svg, inputs)
