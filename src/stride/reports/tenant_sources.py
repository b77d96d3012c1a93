"""Where each figure of a tenant summary comes from: the analytics and certificate services,
read for the report period and the one before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from stride.analytics.engagement import EngagementPoint
from stride.analytics.engagement_service import (
    Breakdown,
    EngagementReport,
    PeriodRange,
    get_engagement,
    get_lifecycle,
)
from stride.analytics.lifecycle import LifecyclePoint
from stride.analytics.outcomes_service import OutcomesView, get_outcomes
from stride.analytics.periods import shift
from stride.analytics.risk import list_at_risk
from stride.analytics.risk_rules import DEFAULT_INACTIVE_DAYS
from stride.analytics.usage_periods import Range
from stride.analytics.usage_service import UsageRequest, get_usage
from stride.certificates.service import list_credentials
from stride.reports.periods import ReportPeriod

Pair = tuple[float | None, float | None]  # (this period, the previous one)
COMPLETED = "activity.completed"
MS_PER_MINUTE = 60_000


@dataclass
class SourceContext:
    """What the sources read with, and what they found for the report's sections."""

    connection: Connection
    tenant_id: str
    period: ReportPeriod
    previous: ReportPeriod
    today: date
    now: datetime
    trend_periods: int
    breakdown: Breakdown | None
    notes: list[str] = field(default_factory=list)
    engagement: EngagementReport | None = None
    outcomes: OutcomesView | None = None


def _point(points: list[EngagementPoint], start: date) -> EngagementPoint | None:
    return next((p for p in points if p.period_start == start), None)


def engagement_figures(ctx: SourceContext) -> dict[str, Pair]:
    kind = ctx.period.kind
    first = shift(ctx.period.start, kind, 1 - ctx.trend_periods)
    span = PeriodRange(kind, first, ctx.period.end)
    report = get_engagement(ctx.connection, ctx.tenant_id, span, ctx.breakdown, ctx.today)
    ctx.engagement = report
    if report.note:
        ctx.notes.append(report.note)
    now, then = _point(report.series, ctx.period.start), _point(report.series, ctx.previous.start)

    def pair(read: Callable[[EngagementPoint], float | None]) -> Pair:
        return (read(now) if now else None, read(then) if then else None)

    return {
        "active_learners": pair(lambda p: p.active_learners),
        "time_invested_minutes": pair(lambda p: p.time_invested_ms / MS_PER_MINUTE),
        "time_per_learner_minutes": pair(
            lambda p: None if p.time_per_learner_ms is None else p.time_per_learner_ms / 60_000
        ),
        "sessions": pair(lambda p: p.sessions),
    }


def lifecycle_figures(ctx: SourceContext) -> dict[str, Pair]:
    span = PeriodRange(ctx.period.kind, ctx.previous.start, ctx.period.end)
    points = get_lifecycle(ctx.connection, ctx.tenant_id, span, ctx.today).series
    by_start = {p.period_start: p for p in points}
    now, then = by_start.get(ctx.period.start), by_start.get(ctx.previous.start)

    def retained(p: LifecyclePoint | None) -> float | None:
        # Of the learners active in the period before, the share active again in this one.
        if p is None or not p.returning + p.dormant:
            return None
        return p.returning / (p.returning + p.dormant)

    return {
        "new_learners": (now.new if now else None, then.new if then else None),
        "returning_learners": (now.returning if now else None, then.returning if then else None),
        "retention_rate": (retained(now), retained(then)),
    }


def usage_figures(ctx: SourceContext) -> dict[str, Pair]:
    span = Range(ctx.period.kind, ctx.previous.start, ctx.period.end + timedelta(days=1))
    view = get_usage(ctx.connection, ctx.tenant_id, UsageRequest(span, (COMPLETED,)))
    series = next((s for s in view.series if s.type == COMPLETED), None)
    if series is None:
        if view.privacy.withheld_groups:
            ctx.notes.append(
                f"Completions are withheld: fewer than {view.privacy.min_group_size} learners "
                "ever completed an activity."
            )
        empty: Pair = (None, None) if view.privacy.withheld_groups else (0, 0)
        return {"completions": empty, "completing_learners": empty}
    by_start = {p.start: p for p in series.points}
    now, then = by_start.get(ctx.period.start), by_start.get(ctx.previous.start)
    return {
        "completions": (now.events if now else 0, then.events if then else 0),
        "completing_learners": (now.learners if now else 0, then.learners if then else 0),
    }


def certificate_figures(ctx: SourceContext) -> dict[str, Pair]:
    issued = [c.issued_at.date() for c in list_credentials(ctx.connection, ctx.tenant_id)]
    return {
        "certificates_issued": (
            sum(1 for d in issued if ctx.period.holds(d)),
            sum(1 for d in issued if ctx.previous.holds(d)),
        )
    }


def _growth(view: OutcomesView) -> float | None:
    learners = sum(d.learners for d in view.dimensions)
    if not learners:
        return None
    return sum(d.growth * d.learners for d in view.dimensions) / learners


def outcome_figures(ctx: SourceContext) -> dict[str, Pair]:
    def read(p: ReportPeriod) -> OutcomesView:
        return get_outcomes(ctx.connection, ctx.tenant_id, p.start, p.end + timedelta(days=1))

    now, then = read(ctx.period), read(ctx.previous)
    ctx.outcomes = now
    if now.note:
        ctx.notes.append(now.note)
    return {"mastery_growth": (_growth(now), _growth(then))}


def risk_figures(ctx: SourceContext) -> dict[str, Pair]:
    page = list_at_risk(
        ctx.connection, ctx.tenant_id, ctx.now, inactive_days=DEFAULT_INACTIVE_DAYS, limit=1
    )
    return {"at_risk": (page.total, None)}


SOURCES: dict[str, Callable[[SourceContext], dict[str, Pair]]] = {
    "engagement": engagement_figures,
    "lifecycle": lifecycle_figures,
    "usage": usage_figures,
    "certificates": certificate_figures,
    "outcomes": outcome_figures,
    "risk": risk_figures,
}
