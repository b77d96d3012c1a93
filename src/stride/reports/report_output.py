"""A custom report's output in its saved format (json, html, pdf, or csv of the metrics)."""

from __future__ import annotations

import csv
import io

from stride.reports.formats import MEDIA_TYPES, Rendered, render_tenant
from stride.reports.periods import change
from stride.reports.tenant_report import TenantReport


def render_report(report: TenantReport, fmt: str) -> Rendered:
    if fmt == "csv":
        return Rendered(render_metrics_csv(report), MEDIA_TYPES["csv"], "csv")
    if fmt == "json":
        return render_tenant(report, "json")
    if fmt == "html":
        return render_tenant(report, "html")
    if fmt == "pdf":
        return render_tenant(report, "pdf")
    raise ValueError(f"unknown report format {fmt!r}")  # definitions are checked when saved


def render_metrics_csv(report: TenantReport) -> bytes:
    """One row per metric, then one per breakdown group (active learners)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "label", "unit", "value", "previous", "change"])
    start = report.period.start.isoformat()
    for m in report.metrics:
        writer.writerow(
            ["metric", m.key, m.label, m.unit, _cell(m.value), _cell(m.previous), _cell(m.change)]
        )
    for g in report.groups:
        values = (g.active_learners, g.previous)
        ratio = change(*values)
        writer.writerow(
            ["group", _text(g.value), "Active learners", "count", *map(_cell, values), _cell(ratio)]
        )
    writer.writerow(["period", report.period.kind, start, report.period.end.isoformat()])
    return out.getvalue().encode()


def _text(value: str) -> str:
    # Group values come from the events: a leading = + - @ must not run as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
