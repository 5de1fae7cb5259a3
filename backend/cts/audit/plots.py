"""The report's charts, drawn with matplotlib and returned as inline SVG (text as paths: no fonts to fetch).

Amounts arrive in integer kopiyky and RV; they become floats only here, at the last step, to be drawn.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")
# Text stays text in the SVG (the browser's own sans-serif draws it): smaller, quicker, nothing fetched.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["font.family"] = "sans-serif"

import matplotlib.dates as mdates  # noqa: E402 (after choosing the backend)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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
    # several times and costs seconds per chart on a small machine.
    figure.subplots_adjust(
        **{"left": 0.1, "right": 0.9, "bottom": 0.17, "top": 0.9, "wspace": 0.3, **margins}
    )
    buffer = io.StringIO()
    # No metadata: it would name matplotlib's web site and the date, and the report makes no reference out.
    figure.savefig(
        buffer, format="svg", metadata={"Creator": None, "Date": None, "Format": None, "Type": None}
    )
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _dates(blocks: Sequence[int], stamps: Mapping[int, int]) -> Any:
    """Block times as matplotlib date numbers."""
    return mdates.date2num([datetime.fromtimestamp(stamps[b], UTC) for b in blocks])  # type: ignore[no-untyped-call]


def _date_axis(axis: Any) -> None:
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _empty(message: str) -> str:
    figure, axis = plt.subplots(figsize=(7, 1.2))
    axis.set_axis_off()
    axis.text(0.5, 0.5, message, ha="center", va="center")
    return _svg(figure)


def issuance_chart(
    issuance: Mapping[int, Sequence[tuple[int, int]]], titles: Mapping[int, str], stamps: Mapping[int, int]
) -> str:
    """Cumulative RV issued by each programme over time."""
    if not issuance:
        return _empty("No RV issued yet.")
    figure, axis = plt.subplots(figsize=(8, 3.6))
    for programme_id, points in sorted(issuance.items()):
        kept = thin(points)
        axis.step(
            _dates([b for b, _ in kept], stamps),
            [rv for _, rv in kept],
            where="post",
            label=f"{programme_id}. {titles.get(programme_id, '')}"[:40],
        )
    axis.set_ylabel("RV issued (cumulative)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    _date_axis(axis)
    return _svg(figure, right=0.72)


def round_chart(projects: Sequence[Mapping[str, Any]], mes_selected: Sequence[int], title: str) -> str:
    """Per project: ask and funded amount (UAH) as bars, weight as dots; MES's choices marked."""
    if not projects:
        return _empty("No project was pitched.")
    ids = [p["id"] for p in projects]
    positions = range(len(ids))
    figure, axis = plt.subplots(figsize=(max(6, 0.55 * len(ids) + 3), 4.2))
    asks = [p["ask_kopiyky"] / 100 for p in projects]
    funded = [p["funded_kopiyky"] / 100 for p in projects]
    axis.bar(positions, asks, color="none", edgecolor="#555555", label="ask (UAH)")
    axis.bar(positions, funded, color="#4c72b0", alpha=0.8, label="funded by the round's rule (UAH)")
    mes = [i for i, pid in enumerate(ids) if pid in set(mes_selected)]
    if mes:
        axis.scatter(
            mes,
            [asks[i] for i in mes],
            marker="v",
            color="#c44e52",
            zorder=3,
            label="Method of Equal Shares would fund",
        )
    axis.set_xticks(list(positions), [str(i) for i in ids])
    axis.set_xlabel("project")
    axis.set_ylabel("UAH")
    axis.set_title(title, fontsize=10)
    weights = axis.twinx()
    weights.plot(
        list(positions),
        [p["weight"] / 10**9 for p in projects],
        "o",
        color="#55a868",
        label="weight (sum of sqrt(credits))",
    )
    weights.set_ylabel("weight")
    weights.set_ylim(bottom=0)
    handles, labels = axis.get_legend_handles_labels()
    more_handles, more_labels = weights.get_legend_handles_labels()
    axis.legend(
        handles + more_handles,
        labels + more_labels,
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=2,
        frameon=False,
    )
    return _svg(figure, bottom=0.33)


def ledger_chart(ledger: Sequence[tuple[int, Mapping[str, int]]], stamps: Mapping[int, int]) -> str:
    """The fund's capital by bucket over time (stacked), with deposits as a line: they always meet."""
    if not ledger:
        return _empty("No fund movement yet.")
    kept = thin(ledger)
    dates = _dates([b for b, _ in kept], stamps)
    figure, axis = plt.subplots(figsize=(8, 3.8))
    names = list(BUCKET_COLOURS)
    axis.stackplot(
        dates,
        [[snapshot[name] / 100 for _, snapshot in kept] for name in names],
        labels=names,
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
        label="deposits",
    )
    axis.set_ylabel("UAH")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    _date_axis(axis)
    return _svg(figure, right=0.78)


def impact_chart(
    impact: Sequence[tuple[int, int, int]], stamps: Mapping[int, int], cycles: Mapping[str, int]
) -> str:
    """The all-time impact ratio over time, and each cycle's ratio as bars."""
    points = [(b, value, issued) for b, value, issued in thin(impact) if issued > 0]
    if not points:
        return _empty("No RV issued yet: the impact ratio is not defined.")
    figure, (line, bars) = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [3, 1.3]})
    line.step(
        _dates([b for b, _, _ in points], stamps),
        [(value + issued) / issued for _, value, issued in points],
        where="post",
        color="#c44e52",
    )
    line.set_ylabel("(cases value + token fund) / token fund")
    line.grid(alpha=0.3)
    _date_axis(line)
    labels = list(cycles)
    bars.bar(labels, [cycles[label] / 10_000 for label in labels], color="#8172b2")
    bars.set_title("ratio per cycle", fontsize=9)
    return _svg(figure)
