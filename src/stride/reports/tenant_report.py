"""A tenant's executive summary for a week or month: figures against the period before,
and highlights computed from them.

What the summary shows is a `SummaryDefinition` (period, metrics, breakdown), so a saved
report definition can drive it; each metric names the source that reads it (tenant_sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection

from stride.analytics.engagement_service import Breakdown
from stride.errors import FieldError, InvalidInput
from stride.reports.highlights import Metric, highlights
from stride.reports.periods import ReportKind, ReportPeriod, resolve_period
from stride.reports.tenant_sources import MS_PER_MINUTE, SOURCES, SourceContext
from stride.store.tenants import get_tenant

MAX_TREND_PERIODS = 24


@dataclass(frozen=True)
class MetricSpec:
    label: str
    unit: str
    source: str  # a key of tenant_sources.SOURCES


METRICS: dict[str, MetricSpec] = {
    "active_learners": MetricSpec("Active learners", "count", "engagement"),
    "new_learners": MetricSpec("New learners", "count", "lifecycle"),
    "returning_learners": MetricSpec("Returning learners", "count", "lifecycle"),
    "retention_rate": MetricSpec("Retention", "percent", "lifecycle"),
    "time_invested_minutes": MetricSpec("Time invested", "minutes", "engagement"),
    "time_per_learner_minutes": MetricSpec("Time per active learner", "minutes", "engagement"),
    "sessions": MetricSpec("Sessions", "count", "engagement"),
    "completions": MetricSpec("Activity completions", "count", "usage"),
    "completing_learners": MetricSpec("Learners completing", "count", "usage"),
    "certificates_issued": MetricSpec("Certificates issued", "count", "certificates"),
    "mastery_growth": MetricSpec("Mastery growth", "points", "outcomes"),
    "at_risk": MetricSpec("Learners at risk (now)", "count", "risk"),
}
DEFAULT_METRICS = tuple(METRICS)


@dataclass(frozen=True)
class SummaryDefinition:
    """What a tenant summary shows."""

    kind: ReportKind = "week"
    end: date | None = None  # a day of the period; default: the last full period
    metrics: tuple[str, ...] = DEFAULT_METRICS
    breakdown: Breakdown | None = None  # active learners per program, course or platform
    trend_periods: int = 12  # periods the engagement chart covers


@dataclass(frozen=True)
class TrendPoint:
    start: date
    active_learners: int
    time_invested_minutes: float


@dataclass(frozen=True)
class GroupFigure:
    value: str
    active_learners: int | None
    previous: int | None


@dataclass(frozen=True)
class DimensionFigure:
    dimension_id: str
    name: str
    learners: int
    mean_start: float
    mean_end: float
    growth: float


@dataclass(frozen=True)
class TenantReport:
    tenant_id: str
    tenant_name: str
    period: ReportPeriod
    previous: ReportPeriod
    generated_at: datetime
    metrics: list[Metric]
    highlights: list[str]
    trend: list[TrendPoint]  # oldest first, ending with the report period
    groups: list[GroupFigure]  # with a breakdown
    dimensions: list[DimensionFigure]  # competency growth in the period
    notes: list[str]  # figures withheld for privacy, and why


def check_definition(definition: SummaryDefinition) -> None:
    """Raises InvalidInput naming an unknown metric or a trend out of bounds."""
    unknown = [m for m in definition.metrics if m not in METRICS]
    if unknown:
        raise InvalidInput(
            f"Unknown metrics: {', '.join(unknown)}.",
            [FieldError("metrics", f"one of {', '.join(METRICS)}")],
        )
    if not 2 <= definition.trend_periods <= MAX_TREND_PERIODS:
        raise InvalidInput(
            "The trend covers 2 to 24 periods.", [FieldError("trend_periods", "out of range")]
        )


def build_tenant_report(
    connection: Connection, tenant_id: str, definition: SummaryDefinition, now: datetime
) -> TenantReport:
    """The summary `definition` asks for; periods are of UTC days like the analytics reads.

    Raises InvalidInput for a bad definition or `end`.
    """
    check_definition(definition)
    tenant = get_tenant(connection, tenant_id)
    today = now.date()
    period, previous = resolve_period(definition.kind, definition.end, today)
    ctx = SourceContext(
        connection,
        tenant_id,
        period,
        previous,
        today,
        now,
        definition.trend_periods,
        definition.breakdown,
    )
    wanted = {METRICS[m].source for m in definition.metrics}
    if definition.breakdown is not None:
        wanted.add("engagement")
    figures = {}
    for source in sorted(wanted):
        figures.update(SOURCES[source](ctx))
    metrics = [
        Metric(key, METRICS[key].label, METRICS[key].unit, *figures[key])
        for key in definition.metrics
    ]
    return TenantReport(
        tenant_id=tenant_id,
        tenant_name=tenant.name if tenant else tenant_id,
        period=period,
        previous=previous,
        generated_at=now,
        metrics=metrics,
        highlights=highlights(metrics, period.kind),
        trend=_trend(ctx),
        groups=_groups(ctx),
        dimensions=_dimensions(ctx),
        notes=ctx.notes,
    )


def _trend(ctx: SourceContext) -> list[TrendPoint]:
    if ctx.engagement is None:
        return []
    return [
        TrendPoint(p.period_start, p.active_learners, p.time_invested_ms / MS_PER_MINUTE)
        for p in ctx.engagement.series
    ]


def _groups(ctx: SourceContext) -> list[GroupFigure]:
    if ctx.engagement is None:
        return []
    found = []
    for group in ctx.engagement.groups:
        by_start = {p.period_start: p.active_learners for p in group.series}
        found.append(
            GroupFigure(
                group.value, by_start.get(ctx.period.start), by_start.get(ctx.previous.start)
            )
        )
    return found


def _dimensions(ctx: SourceContext) -> list[DimensionFigure]:
    if ctx.outcomes is None:
        return []
    return [
        DimensionFigure(d.dimension_id, d.name, d.learners, d.mean_start, d.mean_end, d.growth)
        for d in ctx.outcomes.dimensions
    ]
