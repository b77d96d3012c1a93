"""A learner report's figures as CSV rows: section, metric, value, previous."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from stride.reports.learner_report import LearnerReport

Row = tuple[str, str, float | int | str | None, float | int | str | None]
HEADER = ("section", "metric", "value", "previous")


def _rows(report: LearnerReport) -> Iterator[Row]:
    yield "period", "start", report.period.start.isoformat(), report.previous.start.isoformat()
    yield "period", "end", report.period.end.isoformat(), report.previous.end.isoformat()
    for f in report.summary:
        yield "summary", f.key, f.value, f.previous
    for p in report.programs:
        yield "program", p.id, p.after, p.before
    for a in report.achievements:
        yield "achievement", a.name, a.points, None
    for c in report.improvements:
        yield "improvement", f"{c.kind}:{c.id}", c.after, c.before
    for ch in report.challenges:
        yield "challenge", f"{ch.kind}:{ch.id or ''}", ch.value, ch.target
    for g in report.suggested_goals:
        yield "suggested_goal", g.kind, g.target, None
    for r in report.radar:
        yield "radar", r.dimension_id, r.mastery, None
    for d in report.days:
        yield "day_minutes", d.day.isoformat(), round(d.minutes, 2), None


def _cell(value: float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def render_learner_csv(report: LearnerReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for section, metric, value, previous in _rows(report):
        # Names come from the catalog: a leading = + - @ must not run as a spreadsheet formula.
        safe = "'" + metric if metric[:1] in ("=", "+", "-", "@") else metric
        writer.writerow((section, safe, _cell(value), _cell(previous)))
    return buffer.getvalue().encode()
