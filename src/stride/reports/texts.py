"""The words and figures of a report, as both the HTML and the PDF print them."""

from __future__ import annotations

from stride.reports.highlights import Metric, shown
from stride.reports.learner_report import Figure, LearnerReport
from stride.reports.learner_rules import Change, SuggestedGoal
from stride.reports.periods import ReportPeriod
from stride.reports.tenant_report import TenantReport

TableRows = list[tuple[str, ...]]


def period_title(period: ReportPeriod) -> str:
    name = "Week" if period.kind == "week" else "Month"
    running = "" if period.complete else " (so far)"
    return f"{name} {period.start.isoformat()} to {period.end.isoformat()}{running}"


def difference(value: float | None, previous: float | None, unit: str) -> str:
    if value is None or previous is None:
        return ""
    if unit in ("percent", "points"):
        return f"{(value - previous) * 100:+.0f} pts"
    if previous == 0:
        return "new" if value else ""
    return f"{(value - previous) / previous:+.0%}"


def figure_rows(figures: list[Figure] | list[Metric]) -> TableRows:
    return [
        (
            f.label,
            shown(f.value, f.unit),
            shown(f.previous, f.unit) if f.previous is not None else "",
            difference(f.value, f.previous, f.unit),
        )
        for f in figures
    ]


def change_text(change: Change) -> str:
    before = "not started" if change.before is None else f"{change.before:.0%}"
    return f"{change.name}: {before} to {change.after:.0%}"


def learner_sections(report: LearnerReport) -> list[tuple[str, list[str]]]:
    """(heading, lines) of the report's lists, in the order they are printed."""
    note = [report.recommendations_note] if report.recommendations_note else []
    return [
        ("Achievements earned", [f"{a.name} (+{a.points} points)" for a in report.achievements]),
        ("Improvements", [change_text(c) for c in report.improvements]),
        ("Challenges", [c.text for c in report.challenges]),
        ("Recommendations", [r.reason for r in report.recommendations] + note),
        (
            "Suggested goals for the next period",
            [_goal_text(g) for g in report.suggested_goals],
        ),
    ]


def _goal_text(goal: SuggestedGoal) -> str:
    unit = goal.unit[:-1] if goal.target == 1 and goal.unit.endswith("s") else goal.unit
    return f"{goal.kind}: {goal.target} {unit} a week. {goal.reason}"


def program_rows(report: LearnerReport) -> TableRows:
    return [
        (p.name, "" if p.before is None else f"{p.before:.0%}", f"{p.after:.0%}")
        for p in report.programs
    ]


def dimension_rows(report: TenantReport) -> TableRows:
    return [
        (
            d.name,
            str(d.learners),
            f"{d.mean_start:.0%}",
            f"{d.mean_end:.0%}",
            f"{d.growth * 100:+.1f} pts",
        )
        for d in report.dimensions
    ]


def group_rows(report: TenantReport) -> TableRows:
    return [
        (g.value, shown(g.active_learners, "count"), shown(g.previous, "count"))
        for g in report.groups
    ]
