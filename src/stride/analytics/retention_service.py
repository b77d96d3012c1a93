"""Retention cohorts of a tenant, read from the analytics projection's rollups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection

from stride.analytics.engagement_service import PeriodRange
from stride.analytics.periods import Kind, period_start, periods_between
from stride.analytics.retention import (
    CohortRow,
    MeanCell,
    ReturnMode,
    cohort_row,
    returned,
    weighted_mean,
)
from stride.analytics.retention_fold import ANY, HORIZON
from stride.errors import FieldError, InvalidInput
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_engagement as store

Entry = Literal["first", "recurring"]
DEFAULT_COHORTS: dict[Kind, int] = {"day": 14, "week": 8, "month": 6}
MAX_COHORTS: dict[Kind, int] = {"day": 92, "week": 53, "month": 24}


@dataclass(frozen=True)
class RetentionQuery:
    span: PeriodRange
    start_event: str  # an event type, or "*" for any activity
    return_event: str
    entry: Entry
    mode: ReturnMode


@dataclass(frozen=True)
class RetentionReport:
    period: Kind
    first: date
    last: date
    start_event: str
    return_event: str
    entry: Entry
    mode: ReturnMode
    periods: int
    cohorts: list[CohortRow]
    mean: list[MeanCell]
    withheld_cohorts: int
    min_group_size: int
    note: str | None


def _group(event: str) -> tuple[str, str]:
    return ("all", "") if event == ANY else ("type", event)


def get_retention(
    connection: Connection, tenant_id: str, query: RetentionQuery, today: date
) -> RetentionReport:
    """One row per cohort period in range: its size (period 0) and how many returned in
    each later period up to the horizon; cohorts below min_group_size are withheld.

    Raises InvalidInput for recurring cohorts of other events than any activity.
    """
    if query.entry == "recurring" and (query.start_event, query.return_event) != (ANY, ANY):
        raise InvalidInput(
            "Recurring cohorts are kept for any activity only: use start_event=any and "
            "return_event=any, or entry=first.",
            [FieldError("query.entry", "recurring needs start_event and return_event `any`")],
        )
    kind = query.span.period
    first = period_start(query.span.first, kind)
    last = query.span.last
    horizon = HORIZON[kind]
    dimension, value = _group(query.start_event)
    sizes: dict[date, int] = {}
    for _, start, learners, new_learners, *_ in store.read_counts(
        connection, tenant_id, kind, dimension, first, last, [value]
    ):
        sizes[start] = new_learners if query.entry == "first" else learners
    cells: dict[str, dict[date, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    key = (kind, query.start_event, query.return_event, query.entry)
    for measure, cohort, offset, learners in store.read_retention(
        connection, tenant_id, key, first, last
    ):
        cells[measure][cohort][offset] = learners
    rows = [
        cohort_row(
            kind,
            start,
            sizes.get(start, 0),
            returned(query.mode, horizon, cells["on"][start], cells["last"][start]),
            today,
        )
        for start in periods_between(first, last, kind)
    ]
    minimum = get_policy(connection, tenant_id).document.min_group_size
    kept = suppress_small_groups(rows, lambda row: row.size, minimum)
    return RetentionReport(
        period=kind,
        first=first,
        last=last,
        start_event=query.start_event,
        return_event=query.return_event,
        entry=query.entry,
        mode=query.mode,
        periods=horizon,
        cohorts=kept.shown,
        mean=weighted_mean(kept.shown, horizon),
        withheld_cohorts=kept.withheld_groups,
        min_group_size=minimum,
        note=kept.note,
    )
