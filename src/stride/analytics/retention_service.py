"""Retention cohorts of a tenant, read from the analytics projection's rollups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection

from stride.analytics.engagement_service import PeriodRange, check_program
from stride.analytics.periods import Kind, period_start, periods_between, shift
from stride.analytics.retention import (
    CohortRow,
    MeanCell,
    ReturnMode,
    cohort_row,
    returned,
    weighted_mean,
)
from stride.analytics.retention_fold import ANY, HORIZON
from stride.analytics.retention_program import CohortCells, cohort_cells
from stride.errors import FieldError, InvalidInput
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_engagement as store
from stride.store.retention_program import read_program_cohorts

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
    program: str | None = None  # a program's own cohorts (any activity only), or everyone's


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
    program: str | None


def _group(event: str) -> tuple[str, str]:
    return ("all", "") if event == ANY else ("type", event)


def _check(query: RetentionQuery) -> None:
    if query.program is not None:
        check_program(query.program)
        # Per-learner rows are kept per program and per event type, never per type within a
        # program, so a program's cohorts can only start and end with any activity in it.
        for name, event in (
            ("start_event", query.start_event),
            ("return_event", query.return_event),
        ):
            if event != ANY:
                raise InvalidInput(
                    f"A program's retention is kept for any activity in the program only: use "
                    f"{name}=any with program, or leave program out.",
                    [FieldError(f"query.{name}", "must be `any` when program is given")],
                )
    if query.entry == "recurring" and (query.start_event, query.return_event) != (ANY, ANY):
        raise InvalidInput(
            "Recurring cohorts are kept for any activity only: use start_event=any and "
            "return_event=any, or entry=first.",
            [FieldError("query.entry", "recurring needs start_event and return_event `any`")],
        )


def _tenant_cells(
    connection: Connection, tenant_id: str, query: RetentionQuery, first: date, last: date
) -> CohortCells:
    """The cells of the tenant's counters: sizes from engagement_counts, returns from
    retention_counts."""
    kind = query.span.period
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
    return CohortCells(sizes, dict(cells["on"]), dict(cells["last"]))


def _program_cells(
    connection: Connection,
    tenant_id: str,
    query: RetentionQuery,
    program: str,
    cohorts: tuple[date, date],
) -> CohortCells:
    """The cells of one program's cohorts, counted from its learners' periods in it."""
    kind = query.span.period
    horizon = HORIZON[kind]
    # Returns of the last cohort reach `horizon` periods past it; none lie beyond.
    until = shift(period_start(cohorts[1], kind), kind, horizon)
    latest, returns = read_program_cohorts(
        connection, tenant_id, kind, program, query.entry, cohorts, until
    )
    return cohort_cells(kind, horizon, latest, returns)


def get_retention(
    connection: Connection, tenant_id: str, query: RetentionQuery, today: date
) -> RetentionReport:
    """One row per cohort period in range: its size (period 0) and how many returned in
    each later period up to the horizon; cohorts below min_group_size are withheld. With a
    program, the cohorts are of the learners' activity in that program (docs/analytics.md).

    Raises InvalidInput for recurring cohorts of other events than any activity, and for a
    program with other events than any activity or that is no valid activity id.
    """
    _check(query)
    kind = query.span.period
    first = period_start(query.span.first, kind)
    last = query.span.last
    horizon = HORIZON[kind]
    if query.program is None:
        cells = _tenant_cells(connection, tenant_id, query, first, last)
    else:
        cells = _program_cells(connection, tenant_id, query, query.program, (first, last))
    rows = [
        cohort_row(
            kind,
            start,
            cells.sizes.get(start, 0),
            returned(query.mode, horizon, cells.on.get(start, {}), cells.last.get(start, {})),
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
        program=query.program,
    )
