"""A gathered report in the format asked for: the bytes, their media type and extension."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stride.reports.learner_report import LearnerReport
from stride.reports.render_csv import render_learner_csv
from stride.reports.render_html import render_learner_html, render_tenant_html
from stride.reports.schemas import LearnerReportPublic, TenantReportPublic
from stride.reports.tenant_report import TenantReport

LearnerFormat = Literal["json", "html", "pdf", "csv"]
TenantFormat = Literal["json", "html", "pdf"]
LEARNER_FORMATS: tuple[LearnerFormat, ...] = ("json", "html", "pdf", "csv")
TENANT_FORMATS: tuple[TenantFormat, ...] = ("json", "html", "pdf")
MEDIA_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    extension: str


def render_learner(report: LearnerReport, fmt: LearnerFormat) -> Rendered:
    if fmt == "json":
        content = LearnerReportPublic.model_validate(report).model_dump_json(indent=2).encode()
    elif fmt == "html":
        content = render_learner_html(report)
    elif fmt == "pdf":
        from stride.reports.render_pdf import render_learner_pdf  # reportlab: slow to import

        content = render_learner_pdf(report)
    else:
        content = render_learner_csv(report)
    return Rendered(content, MEDIA_TYPES[fmt], fmt)


def render_tenant(report: TenantReport, fmt: TenantFormat) -> Rendered:
    if fmt == "json":
        content = TenantReportPublic.model_validate(report).model_dump_json(indent=2).encode()
    elif fmt == "html":
        content = render_tenant_html(report)
    else:
        from stride.reports.render_pdf import render_tenant_pdf  # reportlab: slow to import

        content = render_tenant_pdf(report)
    return Rendered(content, MEDIA_TYPES[fmt], fmt)


def file_name(kind: str, start: str, fmt: str) -> str:
    """`learner-week-2024-05-06.pdf`: safe as a download name whatever the ids hold."""
    return f"{kind}-{start}.{fmt}"
