"""Generic metrics: count, learners, sum, mean and percentiles of an event field, per period."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from stride.analytics.histograms import ALPHA, percentiles
from stride.analytics.metrics_fields import (
    EVENTS_FIELD,
    IDENTIFIER_PATHS,
    MAX_PATH_LENGTH,
    PLATFORM,
    RESULT_FIELDS,
)
from stride.analytics.usage_periods import Range
from stride.analytics.usage_views import MetricGroup, MetricPoint, MetricsView, Withheld
from stride.errors import FieldError, InvalidInput
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_usage as store

QUANTILES = (0.5, 0.9, 0.95, 0.99)
_PROPERTY = re.compile(r"^properties\.[^.]+(\.[^.]+)*$")


@dataclass(frozen=True)
class MetricsRequest:
    event_type: str
    span: Range
    field: str | None = None  # None: the events themselves
    breakdown: str | None = None  # "platform" or "properties.<path>"


def check_metric_names(field: str | None, breakdown: str | None) -> None:
    """Raise InvalidInput naming `field` or `breakdown` when it is not one Stride rolls up."""
    if field is not None and field not in RESULT_FIELDS and not _is_property(field):
        reason = "result.score, result.duration_s or properties.<name>"
        raise InvalidInput("Unknown metric field.", [FieldError("query.field", reason)])
    if breakdown is not None and breakdown != PLATFORM and not _is_property(breakdown):
        reason = "platform or properties.<name>"
        raise InvalidInput("Unknown breakdown.", [FieldError("query.breakdown", reason)])
    if breakdown in IDENTIFIER_PATHS:
        reason = "identifies one statement or attempt, not a group: it is not broken down by"
        raise InvalidInput("Not a breakdown.", [FieldError("query.breakdown", reason)])


def _is_property(path: str) -> bool:
    return len(path) <= MAX_PATH_LENGTH and _PROPERTY.match(path) is not None


def get_metrics(connection: Connection, tenant_id: str, request: MetricsRequest) -> MetricsView:
    """Per period (and breakdown group): the field's figures, read from the daily rollups.

    With a breakdown, cells (group, period) with fewer learners than the tenant's
    min_group_size are withheld.
    """
    check_metric_names(request.field, request.breakdown)
    k = get_policy(connection, tenant_id).document.min_group_size
    span, field = request.span, request.field or EVENTS_FIELD
    dim = request.breakdown or ""
    days = (span.start, span.end)
    args = (connection, tenant_id, request.event_type, field, dim, span.period, days)
    totals = {(c.period_start, c.value): c for c in store.cell_totals(*args)}
    histograms: dict[tuple[date, str], dict[int, int]] = defaultdict(dict)
    for start, value, bucket, count in store.bucket_totals(*args):
        histograms[(start, value)][bucket] = count
    learners = {
        (start, value): n
        for _, start, value, n in store.unique_counts(
            connection, tenant_id, span.period, days, dim, request.event_type
        )
    }
    cells = sorted(totals)
    if request.breakdown is None:
        kept, withheld, note = cells, 0, None
    else:
        shown = suppress_small_groups(cells, lambda c: learners.get(c, 0), k)
        kept, withheld, note = shown.shown, shown.withheld_groups, shown.note
    groups: dict[str, list[MetricPoint]] = defaultdict(list)
    for cell in kept:
        groups[cell[1]].append(
            _point(cell[0], totals[cell], learners.get(cell, 0), histograms.get(cell, {}), field)
        )
    return MetricsView(
        type=request.event_type,
        field=request.field,
        breakdown=request.breakdown,
        period=span.period,
        start=span.start,
        end=span.end,
        relative_error=ALPHA,
        groups=[
            MetricGroup(value=value if request.breakdown else None, points=points)
            for value, points in sorted(groups.items())
        ],
        privacy=Withheld(min_group_size=k, withheld_groups=withheld, note=note),
    )


def _point(
    start: date, total: store.CellTotals, learners: int, histogram: dict[int, int], field: str
) -> MetricPoint:
    if field == EVENTS_FIELD:
        return MetricPoint(
            start=start, count=total.count, learners=learners, sum=None, mean=None,
            min=None, max=None, p50=None, p90=None, p95=None, p99=None,
        )  # fmt: skip
    micros = total.units * 1_000_000 + total.micros  # exact integer arithmetic, divided once
    p50, p90, p95, p99 = percentiles(histogram, QUANTILES, total.low, total.high)
    return MetricPoint(
        start=start,
        count=total.count,
        learners=learners,
        sum=micros / 1_000_000,
        mean=micros / (total.count * 1_000_000) if total.count else None,
        min=total.low,
        max=total.high,
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
    )
