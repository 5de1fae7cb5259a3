"""The report's charts, drawn with matplotlib and returned as inline SVG (text as paths: no fonts to fetch).

Amounts arrive in integer kopiyky and RV; they become floats only here, at the last step, to be drawn.
Each chart's words go through `words` (the report's language) and its dates are in the report's zone. The
figures are drawn narrow (about 5 inches) with legends below the plot, so that on a phone's 360 px screen
the whole chart scales down and its text stays readable.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import matplotlib

# Inches: a 360 px phone shows a chart at about two thirds of its size, so its text stays readable.
WIDTH = 4.2
FONT = 11

matplotlib.use("Agg")
# Text stays text in the SVG (the browser's own sans-serif draws it): smaller, quicker, nothing fetched.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["font.family"] = "sans-serif"
matplotlib.rcParams["font.size"] = FONT

import matplotlib.dates as mdates  # noqa: E402 (after choosing the backend)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

Words = Callable[[str], str]
MAX_POINTS = 400
BUCKET_COLOURS = {
    "available": "#4c72b0",
    "programmeReserves": "#55a868",
    "tokenFund": "#c44e52",
    "roundReserves": "#8172b2",
    "committed": "#ccb974",
    "loansOutstanding": "#64b5cd",
    "grantsPaid": "#937860",
    "writtenOff": "#da8bc3",
}


def thin(points: Sequence[Any], limit: int = MAX_POINTS) -> list[Any]:
    """At most `limit` points, evenly spaced, always keeping the last (a series' final value)."""
    if len(points) <= limit:
        return list(points)
    step = len(points) / (limit - 1)
    kept = [points[int(i * step)] for i in range(limit - 1)]
    kept.append(points[-1])
    return kept


def _svg(figure: Figure, **margins: float) -> str:
    # Fixed margins rather than a layout engine: a tight or constrained layout re-measures every label
    # several times and costs seconds per chart on a small machine. Saving with a tight box is one more
    # measure, and keeps the legends below the plot inside the picture whatever their length.
    figure.subplots_adjust(
        **{"left": 0.1, "right": 0.9, "bottom": 0.17, "top": 0.9, "wspace": 0.3, **margins}
    )
    buffer = io.StringIO()
    # No metadata: it would name matplotlib's web site and the date, and the report makes no reference out.
    figure.savefig(
        buffer,
        format="svg",
        bbox_inches="tight",
        pad_inches=0.05,
        metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
    )
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _dates(blocks: Sequence[int], stamps: Mapping[int, int], tz: tzinfo) -> Any:
    """Block times as matplotlib date numbers."""
    return mdates.date2num([datetime.fromtimestamp(stamps[b], tz) for b in blocks])  # type: ignore[no-untyped-call]


def _date_axis(axis: Any, tz: tzinfo, words: Words) -> None:
    """Dates in numbers (06.12, 14:30), never month names in one language, in the report's zone."""
    zone = words("Kyiv time").replace("%", "%%")
    locator = mdates.AutoDateLocator(tz=tz, maxticks=4)  # type: ignore[no-untyped-call]
    axis.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator,
        tz=tz,
        formats=["%Y", "%m.%Y", "%d.%m", "%H:%M", "%H:%M", "%S"],
        zero_formats=["", "%Y", "%m.%Y", "%d.%m", "%H:%M", "%H:%M"],
        # Where the ticks are times of day, the offset under them names the zone.
        offset_formats=[
            "",
            "%Y",
            "%m.%Y",
            f"%d.%m.%Y, {zone}",
            f"%d.%m.%Y, {zone}",
            f"%d.%m.%Y %H:%M, {zone}",
        ],
    )
    axis.xaxis.set_major_formatter(formatter)
    low, high = axis.get_xlim()
    if high - low > 365:  # one moment only: matplotlib would spread it over years of crowded ticks
        middle = (low + high) / 2
        axis.set_xlim(middle - 1 / 24, middle + 1 / 24)


def _grouped(axis: Any) -> None:
    """Whole numbers with a thin space between thousands (1 000 000), not matplotlib's "1e6" scale."""
    axis.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _position: f"{value:,.0f}".replace(",", "\u202f"))
    )


def _legend_below(axis: Any, handles: Any = None, labels: Any = None, rows_gap: float = -0.18) -> None:
    """A legend under the plot, one column: a side legend would squeeze the plot on a phone."""
    if handles is None:
        handles, labels = axis.get_legend_handles_labels()
    axis.legend(
        handles, labels, fontsize=FONT - 1, loc="upper left", bbox_to_anchor=(0, rows_gap), frameon=False
    )


def _empty(message: str) -> str:
    figure, axis = plt.subplots(figsize=(WIDTH, 0.8))
    axis.set_axis_off()
    axis.text(0.5, 0.5, message, ha="center", va="center")
    return _svg(figure)


def issuance_chart(
    issuance: Mapping[int, Sequence[tuple[int, int]]],
    titles: Mapping[int, str],
    stamps: Mapping[int, int],
    words: Words,
    tz: tzinfo,
) -> str:
    """Cumulative RV issued by each programme over time."""
    if not issuance:
        return _empty(words("No RV issued yet."))
    figure, axis = plt.subplots(figsize=(WIDTH, 2.8))
    for programme_id, points in sorted(issuance.items()):
        kept = thin(points)
        axis.step(
            _dates([b for b, _ in kept], stamps, tz),
            [rv for _, rv in kept],
            where="post",
            marker="o" if len(kept) == 1 else None,  # one point alone draws no line
            label=f"{programme_id}. {titles.get(programme_id, '')}"[:40],
        )
    axis.set_ylabel(words("RV issued (cumulative)"))
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    _date_axis(axis, tz, words)
    _legend_below(axis, rows_gap=-0.2)
    return _svg(figure, left=0.15, right=0.95, top=0.95, bottom=0.15)


def round_chart(projects: Sequence[Mapping[str, Any]], mes_selected: Sequence[int], words: Words) -> str:
    """Per project: ask and funded amount (UAH) as bars, weight as dots; MES's choices marked."""
    if not projects:
        return _empty(words("No project was pitched."))
    ids = [p["id"] for p in projects]
    positions = range(len(ids))
    figure, axis = plt.subplots(figsize=(WIDTH, 3.0))
    asks = [p["ask_kopiyky"] / 100 for p in projects]
    funded = [p["funded_kopiyky"] / 100 for p in projects]
    axis.bar(positions, asks, color="none", edgecolor="#555555", label=words("ask (UAH)"))
    axis.bar(positions, funded, color="#4c72b0", alpha=0.8, label=words("funded by the round's rule (UAH)"))
    mes = [i for i, pid in enumerate(ids) if pid in set(mes_selected)]
    if mes:
        axis.scatter(
            mes,
            [asks[i] for i in mes],
            marker="v",
            color="#c44e52",
            zorder=3,
            label=words("Method of Equal Shares would fund"),
        )
    axis.set_xticks(list(positions), [str(i) for i in ids])
    axis.set_xlabel(words("project"))
    axis.set_ylabel(words("UAH"))
    _grouped(axis)
    weights = axis.twinx()
    weights.plot(
        list(positions),
        [p["weight"] / 10**9 for p in projects],
        "o",
        color="#55a868",
        label=words("weight (sum of sqrt(credits))"),
    )
    weights.set_ylabel(words("weight"))
    weights.set_ylim(bottom=0)
    handles, labels = axis.get_legend_handles_labels()
    more_handles, more_labels = weights.get_legend_handles_labels()
    _legend_below(axis, handles + more_handles, labels + more_labels, rows_gap=-0.2)
    return _svg(figure, left=0.16, right=0.86, top=0.96, bottom=0.15)


def ledger_chart(
    ledger: Sequence[tuple[int, Mapping[str, int]]], stamps: Mapping[int, int], words: Words, tz: tzinfo
) -> str:
    """The fund's capital by bucket over time (stacked), with deposits as a line: they always meet."""
    if not ledger:
        return _empty(words("No fund movement yet."))
    kept = thin(ledger)
    dates = _dates([b for b, _ in kept], stamps, tz)
    figure, axis = plt.subplots(figsize=(WIDTH, 3.0))
    names = list(BUCKET_COLOURS)
    axis.stackplot(
        dates,
        [[snapshot[name] / 100 for _, snapshot in kept] for name in names],
        labels=[words(name) for name in names],
        colors=[BUCKET_COLOURS[n] for n in names],
        step="post",
        alpha=0.85,
    )
    axis.step(
        dates,
        [snapshot["deposits"] / 100 for _, snapshot in kept],
        where="post",
        color="black",
        linewidth=1.2,
        label=words("deposits"),
    )
    axis.set_ylabel(words("UAH"))
    _grouped(axis)
    axis.grid(alpha=0.3)
    _date_axis(axis, tz, words)
    _legend_below(axis, rows_gap=-0.2)
    return _svg(figure, left=0.17, right=0.95, top=0.97, bottom=0.15)


def impact_chart(
    impact: Sequence[tuple[int, int, int]],
    stamps: Mapping[int, int],
    cycles: Mapping[str, int],
    words: Words,
    tz: tzinfo,
) -> str:
    """The all-time impact ratio over time, and each cycle's ratio as bars (one above the other)."""
    points = [(b, value, issued) for b, value, issued in thin(impact) if issued > 0]
    if not points:
        return _empty(words("No RV issued yet: the impact ratio is not defined."))
    figure, (line, bars) = plt.subplots(2, 1, figsize=(WIDTH, 5.0), gridspec_kw={"height_ratios": [3, 2]})
    line.step(
        _dates([b for b, _, _ in points], stamps, tz),
        [(value + issued) / issued for _, value, issued in points],
        where="post",
        color="#c44e52",
        marker="o" if len(points) == 1 else None,
    )
    line.set_title(words("impact ratio, all time"), fontsize=FONT)
    line.grid(alpha=0.3)
    _date_axis(line, tz, words)
    keys = list(cycles)
    bars.bar(
        [words("cycle %(number)s") % {"number": key} for key in keys],
        [cycles[key] / 10_000 for key in keys],
        color="#8172b2",
    )
    bars.set_title(words("impact ratio per cycle"), fontsize=FONT)
    return _svg(figure, left=0.12, right=0.95, top=0.94, bottom=0.07, hspace=0.55)


DELIVERY_BARS = (
    ("funded_kopiyky", "funded", "#cccccc"),
    ("reported_kopiyky", "milestones reported", "#ccb974"),
    ("accepted_kopiyky", "milestones accepted", "#55a868"),
    ("paid_kopiyky", "paid", "#4c72b0"),
)


def delivery_chart(plans: Sequence[Mapping[str, Any]], words: Words) -> str:
    """Per planned project, horizontal bars (UAH): funded, the shares of the milestones reported, of those
    accepted, and what was paid. Paid beyond accepted shows as the blue bar passing the green one."""
    if not plans:
        return _empty(words("No project has a delivery plan yet."))
    tall = 0.9 + 0.9 * len(plans)
    figure, axis = plt.subplots(figsize=(WIDTH, tall))
    height = 0.8 / len(DELIVERY_BARS)
    for k, (key, label, colour) in enumerate(DELIVERY_BARS):
        axis.barh(
            [i + (k - (len(DELIVERY_BARS) - 1) / 2) * height for i in range(len(plans))],
            [plan[key] / 100 for plan in plans],
            height=height,
            color=colour,
            edgecolor="#555555" if key == "funded_kopiyky" else colour,
            linewidth=0.6,
            label=words(label),
        )
    axis.set_yticks(
        list(range(len(plans))),
        [
            words("round %(round)s, project %(project)s")
            % {"round": plan["round_id"], "project": plan["project_id"]}
            for plan in plans
        ],
    )
    axis.invert_yaxis()  # the first project on top, as in the table
    axis.set_xlabel(words("UAH"))
    axis.set_xlim(left=0)
    axis.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _position: f"{value:,.0f}".replace(",", "\u202f"))
    )
    axis.grid(axis="x", alpha=0.3)
    _legend_below(axis, rows_gap=-0.55 / (tall * 0.77))  # about half an inch below, under the axis' label
    return _svg(figure, left=0.3, right=0.95, top=0.97, bottom=0.2)
