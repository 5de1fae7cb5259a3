"""Horizontal bar charts of the audit report written as inline SVG here, with no plotting library and no
script: co-financing by sector and community issues by group (cts.web.audit_report).

The drawing is sized for a phone: the viewBox is 360 units wide, the size of a small screen, so text drawn
at 12 units stays readable when the page scales the chart to its width. Each category's name has a line of
its own above its bars (a long Ukrainian name never squeezes them), and each bar carries its value as text
at its end. For screen readers the chart is one image (`role="img"`) named by its <title> and described by a
<desc> that reads out every value; the report also gives the numbers in a table beside it. Bars carry their
exact integer value in `data-value` (kopiyky, or a count), so the figures can be checked without parsing
formatted text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 360
FONT = 12
BAR_HEIGHT = 14
BAR_GAP = 3
LABEL_HEIGHT = 17  # a category's name above its bars
GROUP_GAP = 10
LEGEND_ROW = 18
CHAR_WIDTH = 7  # a generous average width of a digit or letter at FONT, to keep room for the values
TEXT_ROOM_MAX = 170


@dataclass(frozen=True)
class Series:
    """One kind of bar (pledged, fulfilled...): its key (for `data-series`), its name, and its look. A
    light fill needs a dark outline, so that the bar stands out from the page (WCAG's 3:1 for graphics)."""

    key: str
    label: str
    fill: str
    stroke: str


@dataclass(frozen=True)
class Bar:
    value: int  # a whole number in the chart's unit (kopiyky, issues)
    text: str  # the value as the report writes it (UAH 1,234.50; 7)


@dataclass(frozen=True)
class Category:
    """One group of bars (a sector, an affected group): its key, its name and one bar per series."""

    key: str
    label: str
    bars: Sequence[Bar]


def _length(value: int, largest: int, room: float) -> float:
    return round(room * value / largest, 1) if largest else 0.0


def bar_chart(chart_id: str, title: str, series: Sequence[Series], categories: Sequence[Category]) -> Markup:
    """A horizontal bar chart: a legend (one series a line), then per category its name and its bars."""
    if any(len(category.bars) != len(series) for category in categories):
        raise ValueError("every category needs one bar per series")
    largest = max((bar.value for category in categories for bar in category.bars), default=0)
    longest_text = max((len(bar.text) for category in categories for bar in category.bars), default=1)
    text_room = min(CHAR_WIDTH * longest_text + 8, TEXT_ROOM_MAX)
    bar_room = WIDTH - 2 - text_room

    # Markup's format escapes every value it is given: names and labels are text, never markup.
    parts: list[Markup] = []
    y = 4
    for item in series:
        parts.append(
            Markup(
                '<rect x="1" y="{}" width="12" height="12" fill="{}" stroke="{}"/>'
                '<text x="20" y="{}">{}</text>'
            ).format(y + 2, item.fill, item.stroke, y + 13, item.label)
        )
        y += LEGEND_ROW
    y += GROUP_GAP
    axis_top = y - 4
    summaries = []
    for category in categories:
        parts.append(
            Markup('<g data-category="{}"><text x="1" y="{}" font-weight="600">{}</text>').format(
                category.key, y + FONT, category.label
            )
        )
        y += LABEL_HEIGHT
        for item, bar in zip(series, category.bars, strict=True):
            length = _length(bar.value, largest, bar_room)
            parts.append(
                Markup(
                    '<rect x="1" y="{}" width="{}" height="{}" fill="{}" stroke="{}" data-series="{}" '
                    'data-value="{}"/><text x="{}" y="{}">{}</text>'
                ).format(
                    y,
                    length,
                    BAR_HEIGHT,
                    item.fill,
                    item.stroke,
                    item.key,
                    bar.value,
                    round(1 + length + 5, 1),
                    y + BAR_HEIGHT - 3,
                    bar.text,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        parts.append(Markup("</g>"))
        y += GROUP_GAP
        values = ", ".join(
            f"{item.label} {bar.text}" for item, bar in zip(series, category.bars, strict=True)
        )
        summaries.append(f"{category.label}: {values}")
    # The axis the bars grow from.
    parts.append(
        Markup('<line x1="1" y1="{}" x2="1" y2="{}" stroke="#555555"/>').format(axis_top, y - GROUP_GAP)
    )
    head = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        'font-size="{font}" fill="#222222" role="img" aria-labelledby="{id}-title {id}-desc" '
        'data-chart="{id}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(width=WIDTH, height=y, font=FONT, id=chart_id, title=title, desc="; ".join(summaries))
    return head + Markup("").join(parts) + Markup("</svg>")
