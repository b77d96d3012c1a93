"""Report charts drawn with matplotlib's Agg canvas, as PNG bytes.

Figures are built without pyplot, so no global state is shared between the threads that
render reports at the same time. matplotlib is imported on the first chart drawn: it takes
about a second to import, which every process that imports this module (the CLI, server
workers, their helper processes) would pay at start-up otherwise.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from stride.reports.learner_report import DayFigure, RadarPoint
from stride.reports.tenant_report import TrendPoint

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ACCENT = "#2563eb"
SOFT = "#93c5fd"
DPI = 100


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def progress_line(days: Sequence[DayFigure]) -> bytes:
    """Activities completed (cumulative, line) and minutes per day (bars)."""
    figure = _figure(7, 2.6)
    axes = figure.add_subplot()
    x = np.array([d.day for d in days], dtype="datetime64[D]")
    bars = axes.twinx()
    bars.bar(x, [d.minutes for d in days], color=SOFT, width=0.8, label="minutes per day")
    bars.set_ylabel("minutes")
    axes.set_zorder(bars.get_zorder() + 1)
    axes.patch.set_visible(False)
    axes.plot(x, [d.completed for d in days], color=ACCENT, linewidth=2)
    axes.set_ylabel("activities completed")
    axes.set_ylim(bottom=0)
    figure.autofmt_xdate()
    return _png(figure)


def competency_radar(points: Sequence[RadarPoint]) -> bytes | None:
    """Mastery per dimension on a polar plot; None without any dimension."""
    if not points:
        return None
    values = [p.mastery or 0.0 for p in points]
    angles = [2 * math.pi * n / len(points) for n in range(len(points))]
    figure = _figure(3.6, 3.6)
    axes = figure.add_subplot(projection="polar")
    axes.plot([*angles, angles[0]], [*values, values[0]], color=ACCENT, linewidth=2)
    axes.fill([*angles, angles[0]], [*values, values[0]], color=SOFT, alpha=0.5)
    axes.set_xticks(angles)
    axes.set_xticklabels([p.name for p in points])
    axes.set_ylim(0, 1)
    axes.set_yticks([0.25, 0.5, 0.75, 1.0])
    axes.set_yticklabels(["25%", "50%", "75%", "100%"], fontsize=7)
    return _png(figure)


def activity_heatmap(days: Sequence[DayFigure]) -> bytes:
    """Minutes per day as a weeks x weekdays grid (Monday on top)."""
    first = days[0].day - timedelta(days=days[0].day.weekday())
    weeks = (days[-1].day - first).days // 7 + 1
    grid = np.full((7, weeks), np.nan)
    for d in days:
        offset = (d.day - first).days
        grid[offset % 7, offset // 7] = d.minutes
    figure = _figure(7, 1.9)
    axes = figure.add_subplot()
    image = axes.imshow(grid, cmap="Blues", aspect="equal", vmin=0)
    axes.set_yticks(range(7))
    axes.set_yticklabels(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], fontsize=7)
    ticks = [w for w in range(weeks) if w % 4 == 0]
    axes.set_xticks(ticks)
    axes.set_xticklabels([_label(first + timedelta(weeks=w)) for w in ticks], fontsize=7)
    figure.colorbar(image, ax=axes, label="minutes", shrink=0.8)
    return _png(figure)


def _label(day: date) -> str:
    return day.strftime("%d %b")


def tenant_trend(points: Sequence[TrendPoint]) -> bytes | None:
    """Active learners (line) and hours invested (bars) per period; None without points."""
    if not points:
        return None
    figure = _figure(7, 2.6)
    axes = figure.add_subplot()
    labels = [_label(p.start) for p in points]
    hours = axes.twinx()
    hours.bar(labels, [p.time_invested_minutes / 60 for p in points], color=SOFT)
    hours.set_ylabel("hours invested")
    axes.set_zorder(hours.get_zorder() + 1)
    axes.patch.set_visible(False)
    axes.plot(labels, [p.active_learners for p in points], color=ACCENT, marker="o")
    axes.set_ylabel("active learners")
    axes.set_ylim(bottom=0)
    axes.tick_params(axis="x", labelsize=7, rotation=45)
    return _png(figure)


def change_bars(labels: Sequence[str], values: Sequence[float], previous: Sequence[float]) -> bytes:
    """This period against the previous one, side by side."""
    figure = _figure(7, 2.6)
    axes = figure.add_subplot()
    x = np.arange(len(labels))
    axes.bar(x - 0.2, previous, width=0.4, color=SOFT, label="previous")
    axes.bar(x + 0.2, values, width=0.4, color=ACCENT, label="this period")
    axes.set_xticks(x)
    axes.set_xticklabels(labels, fontsize=7)
    axes.legend(fontsize=7)
    return _png(figure)
