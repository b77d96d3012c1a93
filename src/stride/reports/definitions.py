"""Saved report definitions: what a custom report shows, when it runs and where it goes.

Validation is pure except for the delivery checks, which take the operator's settings as
arguments; every refusal is an InvalidInput naming the field (`definition.metrics`, `cron`,
`delivery.url`, ...).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from stride.errors import FieldError, InvalidInput
from stride.reports.scheduler import check_cron
from stride.reports.tenant_report import (
    DEFAULT_METRICS,
    MAX_TREND_PERIODS,
    METRICS,
    SummaryDefinition,
    TenantReport,
)
from stride.webhooks.urls import check_url

ReportFormat = Literal["json", "html", "pdf", "csv"]
FORMATS: tuple[ReportFormat, ...] = ("json", "html", "pdf", "csv")
PERIODS = ("week", "month")
BREAKDOWNS = ("program", "course", "platform")
MAX_FILTER_VALUES = 100
MAX_TEXT = 1024


@dataclass(frozen=True)
class ReportSpec:
    """The saved `definition` document, checked."""

    period: Literal["week", "month"] = "week"
    metrics: tuple[str, ...] = DEFAULT_METRICS
    breakdown: Literal["program", "course", "platform"] | None = None
    trend_periods: int = 12
    # Keeps only these groups of the breakdown (its values: program ids for `program`).
    groups: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> SummaryDefinition:
        return SummaryDefinition(
            kind=self.period,
            metrics=self.metrics,
            breakdown=self.breakdown,
            trend_periods=self.trend_periods,
        )

    def document(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "metrics": list(self.metrics),
            "breakdown": self.breakdown,
            "trend_periods": self.trend_periods,
            "filters": {"groups": list(self.groups)},
        }


@dataclass(frozen=True)
class Delivery:
    """Where a run's output goes: a signed webhook POST or a file in a directory."""

    kind: Literal["webhook", "directory"]
    url: str | None = None
    path: str | None = None

    def document(self) -> dict[str, Any]:
        if self.kind == "webhook":
            return {"kind": "webhook", "url": self.url}
        return {"kind": "directory", "path": self.path}


def check_spec(document: dict[str, Any]) -> ReportSpec:
    """The definition document as a ReportSpec; raises InvalidInput naming the field."""
    errors: list[FieldError] = []
    period = document.get("period", "week")
    if period not in PERIODS:
        errors.append(FieldError("definition.period", "week or month"))
    metrics = document.get("metrics") or list(DEFAULT_METRICS)
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        errors.append(FieldError("definition.metrics", "a list of metric names"))
        metrics = []
    for index, metric in enumerate(metrics):
        if metric not in METRICS:
            errors.append(FieldError(f"definition.metrics.{index}", f"unknown metric {metric!r}"))
    breakdown = document.get("breakdown")
    if breakdown is not None and breakdown not in BREAKDOWNS:
        errors.append(FieldError("definition.breakdown", "program, course or platform"))
    trend = document.get("trend_periods", 12)
    if not isinstance(trend, int) or isinstance(trend, bool) or not 2 <= trend <= MAX_TREND_PERIODS:
        errors.append(FieldError("definition.trend_periods", f"2 to {MAX_TREND_PERIODS}"))
    groups = _groups(document.get("filters") or {}, breakdown, errors)
    if errors:
        raise InvalidInput("The report definition is refused.", errors)
    return ReportSpec(
        cast(Any, period), tuple(dict.fromkeys(metrics)), breakdown, trend, tuple(groups)
    )


def _groups(filters: object, breakdown: object, errors: list[FieldError]) -> list[str]:
    if not isinstance(filters, dict) or set(filters) - {"groups"}:
        errors.append(FieldError("definition.filters", "only `groups` is supported"))
        return []
    groups = filters.get("groups") or []
    if not isinstance(groups, list) or not all(
        isinstance(g, str) and _printable(g) for g in groups
    ):
        errors.append(FieldError("definition.filters.groups", "a list of group values"))
        return []
    if len(groups) > MAX_FILTER_VALUES:
        errors.append(FieldError("definition.filters.groups", f"at most {MAX_FILTER_VALUES}"))
    if groups and breakdown is None:
        errors.append(FieldError("definition.filters.groups", "needs a breakdown"))
    return list(groups)


def check_format(fmt: str) -> ReportFormat:
    if fmt not in FORMATS:
        raise InvalidInput("Unknown format.", [FieldError("format", "json, html, pdf or csv")])
    return fmt


def check_schedule(cron: str | None) -> str | None:
    return None if cron is None else check_cron(cron, "cron")


def check_delivery(
    document: dict[str, Any] | None, allow_private: bool, directories: Sequence[str]
) -> Delivery | None:
    """The delivery, if Stride may send there; raises InvalidInput (`delivery.*`)."""
    if document is None:
        return None
    kind = document.get("kind")
    if kind == "webhook":
        url = document.get("url")
        if not isinstance(url, str):
            raise _invalid("delivery.url", "a URL is needed")
        try:
            return Delivery("webhook", url=check_url(url, allow_private))
        except InvalidInput as exc:
            reason = exc.errors[0].reason
            raise InvalidInput(exc.detail, [FieldError("delivery.url", reason)]) from exc
    if kind == "directory":
        path = document.get("path")
        if not isinstance(path, str) or not path:
            raise _invalid("delivery.path", "a directory path is needed")
        return Delivery("directory", path=allowed_directory(path, directories))
    raise _invalid("delivery.kind", "webhook or directory")


def allowed_directory(path: str, roots: Sequence[str]) -> str:
    """The directory, resolved, if it lies under one of the operator's REPORT_DIRECTORIES."""
    if not roots:
        raise _invalid("delivery.path", "directory delivery is disabled (REPORT_DIRECTORIES)")
    if not os.path.isabs(path) or not _printable(path):
        raise _invalid("delivery.path", "must be an absolute path of printable characters")
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return real
    raise _invalid("delivery.path", "outside the directories the operator allows")


def _printable(text: str) -> bool:
    # Printable excludes control characters and lone surrogates (which cannot be stored).
    return bool(text) and len(text) <= MAX_TEXT and text.isprintable()


def _invalid(path: str, reason: str) -> InvalidInput:
    return InvalidInput(f"The report delivery is refused: {reason}.", [FieldError(path, reason)])


def apply_filters(report: TenantReport, spec: ReportSpec) -> TenantReport:
    """The report with only the breakdown groups the definition keeps."""
    if not spec.groups:
        return report
    kept = set(spec.groups)
    return replace(report, groups=[g for g in report.groups if g.value in kept])
