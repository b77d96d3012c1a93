"""Reports as one self-contained HTML page (charts inlined as PNG data URIs).

Every value from the data is escaped; the page loads nothing from elsewhere.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from string import Template

from stride.reports import charts
from stride.reports.learner_report import LearnerReport
from stride.reports.tenant_report import TenantReport
from stride.reports.texts import (
    TableRows,
    dimension_rows,
    figure_rows,
    group_rows,
    learner_sections,
    period_title,
    program_rows,
)

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #111827; }
h1 { font-size: 1.5rem; margin-bottom: 0; }
h2 { font-size: 1.1rem; margin-top: 1.8rem; border-bottom: 1px solid #e5e7eb; }
.sub { color: #6b7280; margin-top: .2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #f3f4f6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; }
.empty { color: #6b7280; }
</style>
</head>
<body>
<h1>$title</h1>
<p class="sub">$subtitle</p>
$body
</body>
</html>
""")


def _table(header: Sequence[str], rows: TableRows) -> str:
    if not rows:
        return '<p class="empty">Nothing in this period.</p>'
    head = "".join(f"<th{' class=n' if n else ''}>{escape(h)}</th>" for n, h in enumerate(header))
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if n else ''}>{escape(c)}</td>" for n, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list(lines: Sequence[str]) -> str:
    if not lines:
        return '<p class="empty">Nothing in this period.</p>'
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def _image(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    data = base64.b64encode(png).decode()
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _page(title: str, subtitle: str, parts: Sequence[str]) -> bytes:
    return PAGE.substitute(
        title=escape(title), subtitle=escape(subtitle), body="\n".join(parts)
    ).encode()


FIGURE_HEADER = ("Figure", "This period", "Previous", "Change")


def render_learner_html(report: LearnerReport, with_charts: bool = True) -> bytes:
    parts = ["<h2>Summary</h2>", _table(FIGURE_HEADER, figure_rows(report.summary))]
    if report.programs:
        parts += [
            "<h2>Progress</h2>",
            _table(("Program or course", "Before", "Now"), program_rows(report)),
        ]
    for heading, lines in learner_sections(report):
        parts += [f"<h2>{escape(heading)}</h2>", _list(lines)]
    if with_charts:
        parts += [
            "<h2>Charts</h2>",
            _image(charts.progress_line(report.days), "Progress over 90 days"),
            _image(charts.competency_radar(report.radar), "Competency radar"),
            _image(charts.activity_heatmap(report.days), "Activity heatmap, 90 days"),
        ]
    subtitle = f"{period_title(report.period)}, time zone {report.timezone}"
    return _page(f"Learning report: {report.learner_id}", subtitle, parts)


def render_tenant_html(report: TenantReport, with_charts: bool = True) -> bytes:
    parts = [
        "<h2>Highlights</h2>",
        _list(report.highlights),
        "<h2>Figures</h2>",
        _table(FIGURE_HEADER, figure_rows(report.metrics)),
    ]
    if report.groups:
        parts += ["<h2>Active learners by group</h2>"]
        parts += [_table(("Group", "This period", "Previous"), group_rows(report))]
    if report.dimensions:
        header = ("Dimension", "Learners", "Start", "End", "Growth")
        parts += ["<h2>Competency growth</h2>", _table(header, dimension_rows(report))]
    if with_charts:
        parts += ["<h2>Trend</h2>", _image(charts.tenant_trend(report.trend), "Active learners")]
    if report.notes:
        parts += ["<h2>Notes</h2>", _list(report.notes)]
    return _page(f"Executive summary: {report.tenant_name}", period_title(report.period), parts)
