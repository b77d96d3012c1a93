"""Plain-language highlights of a tenant summary, computed from its figures alone (pure).

Rules, applied in this order:
1. every figure with a previous value that moved by at least MOVE (relative; for shares,
   MOVE_POINTS percentage points) gives "<Label> rose/fell N% to V", largest move first;
2. a figure that was 0 and is not any more gives "<Label>: V, none the <period> before";
3. the at-risk count, when above 0, gives "N learners are at risk now";
4. when nothing moved, one line says so.
At most MAX_HIGHLIGHTS lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stride.reports.periods import change

MOVE = 0.10
MOVE_POINTS = 0.05
MAX_HIGHLIGHTS = 5


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "count", "minutes", "percent" (0..1) or "points" (mastery, 0..1)
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        return change(self.value, self.previous)


def shown(value: float | None, unit: str) -> str:
    """A figure as a report prints it."""
    if value is None:
        return "n/a"
    if unit == "percent":
        return f"{value:.0%}"
    if unit == "points":
        return f"{value * 100:+.1f} pts"
    if unit == "minutes":
        return f"{value:,.0f} min"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _moves(metric: Metric) -> tuple[float, str] | None:
    value, previous = metric.value, metric.previous
    if value is None or previous is None or metric.key == "at_risk":
        return None
    verb = "rose" if value > previous else "fell"
    if metric.unit in ("percent", "points"):
        points = abs(value - previous) * 100
        if points < MOVE_POINTS * 100:
            return None
        return (
            points / 100,
            f"{metric.label} {verb} {points:.0f} points to {shown(value, metric.unit)}",
        )
    relative = metric.change
    if relative is None or abs(relative) < MOVE:
        return None
    return abs(
        relative
    ), f"{metric.label} {verb} {abs(relative):.0%} to {shown(value, metric.unit)}"


def highlights(metrics: Sequence[Metric], period_name: str) -> list[str]:
    """The highlight lines of `metrics`; `period_name` is "week" or "month"."""
    moved = sorted(
        (found for found in map(_moves, metrics) if found is not None), key=lambda m: -m[0]
    )
    lines = [text for _, text in moved]
    for m in metrics:
        if m.key != "at_risk" and m.previous == 0 and m.value:
            lines.append(f"{m.label}: {shown(m.value, m.unit)}, none the {period_name} before")
    at_risk = next((m for m in metrics if m.key == "at_risk"), None)
    if at_risk is not None and at_risk.value:
        count = int(at_risk.value)
        lines.append(f"{count} learner{'s are' if count != 1 else ' is'} at risk now")
    if not lines:
        lines.append(f"No figure moved by {MOVE:.0%} or more against the previous {period_name}")
    return lines[:MAX_HIGHLIGHTS]
