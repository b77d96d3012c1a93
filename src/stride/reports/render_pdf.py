"""Reports as PDF (reportlab platypus), with the matplotlib charts embedded as PNG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.tables import TableStyle

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

STYLES = getSampleStyleSheet()
WIDTH = A4[0] - 4 * cm
TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.grey),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ]
)


def _text(value: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(value), STYLES[style])


def _table(header: Sequence[str], rows: TableRows) -> Flowable:
    if not rows:
        return _text("Nothing in this period.")
    table = Table([tuple(header), *rows], hAlign="LEFT", repeatRows=1)
    table.setStyle(TABLE_STYLE)
    return table


def _list(lines: Sequence[str]) -> list[Flowable]:
    if not lines:
        return [_text("Nothing in this period.")]
    return [Paragraph("&bull; " + escape(line), STYLES["BodyText"]) for line in lines]


def _image(png: bytes | None, width: float) -> list[Flowable]:
    if png is None:
        return []
    image = Image(io.BytesIO(png))
    scale = min(1.0, width / image.drawWidth)
    image.drawWidth *= scale
    image.drawHeight *= scale
    return [image, Spacer(1, 0.3 * cm)]


def _document(title: str, story: list[Flowable]) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="Stride",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
    )
    document.build(story)
    return buffer.getvalue()


FIGURE_HEADER = ("Figure", "This period", "Previous", "Change")


def render_learner_pdf(report: LearnerReport) -> bytes:
    title = f"Learning report: {report.learner_id}"
    story: list[Flowable] = [
        _text(title, "Title"),
        _text(f"{period_title(report.period)}, time zone {report.timezone}"),
        _text("Summary", "Heading2"),
        _table(FIGURE_HEADER, figure_rows(report.summary)),
    ]
    if report.programs:
        story += [_text("Progress", "Heading2")]
        story += [_table(("Program or course", "Before", "Now"), program_rows(report))]
    story += [
        _text("Progress over 90 days", "Heading2"),
        *_image(charts.progress_line(report.days), WIDTH),
    ]
    for heading, lines in learner_sections(report):
        story += [_text(heading, "Heading2"), *_list(lines)]
    story += [_text("Competencies", "Heading2")]
    story += _image(charts.competency_radar(report.radar), WIDTH * 0.55) or [
        _text("No competency dimensions in the catalog.")
    ]
    story += [
        _text("Activity, 90 days", "Heading2"),
        *_image(charts.activity_heatmap(report.days), WIDTH),
    ]
    return _document(title, story)


def render_tenant_pdf(report: TenantReport) -> bytes:
    title = f"Executive summary: {report.tenant_name}"
    story: list[Flowable] = [
        _text(title, "Title"),
        _text(period_title(report.period)),
        _text("Highlights", "Heading2"),
        *_list(report.highlights),
        _text("Figures", "Heading2"),
        _table(FIGURE_HEADER, figure_rows(report.metrics)),
    ]
    if report.groups:
        story += [_text("Active learners by group", "Heading2")]
        story += [_table(("Group", "This period", "Previous"), group_rows(report))]
    if report.dimensions:
        header = ("Dimension", "Learners", "Start", "End", "Growth")
        story += [_text("Competency growth", "Heading2"), _table(header, dimension_rows(report))]
    story += [_text("Trend", "Heading2"), *_image(charts.tenant_trend(report.trend), WIDTH)]
    counted = [m for m in report.metrics if m.unit == "count" and m.key != "at_risk"]
    if counted:
        bars = charts.change_bars(
            [m.label for m in counted],
            [m.value or 0.0 for m in counted],
            [m.previous or 0.0 for m in counted],
        )
        story += [_text("Against the previous period", "Heading2"), *_image(bars, WIDTH)]
    if report.notes:
        story += [_text("Notes", "Heading2"), *_list(report.notes)]
    return _document(title, story)
