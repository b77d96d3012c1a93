"""Repository for one program's retention cohorts: its learners' active periods, grouped in SQL.

Two set-based queries over engagement_learner_spans/_periods (dimension "program"): the
cohort entries joined to each learner's latest period, and to each of their later periods.
Only (cohort, period, count) groups leave the database, never a learner key.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import Connection, Subquery, and_, func, select

from stride.analytics.retention_program import GroupedRow
from stride.store.tables import engagement_learner_periods as periods
from stride.store.tables import engagement_learner_spans as spans

PROGRAM = "program"


def _entries(
    tenant_id: str,
    kind: str,
    program: str,
    entry: Literal["first", "recurring"],
    first: date,
    last: date,
) -> Subquery:
    """(learner_key, cohort): one row per learner and cohort they entered in the range."""
    if entry == "first":
        return (
            select(spans.c.learner_key, spans.c.first_start.label("cohort"))
            .where(
                spans.c.tenant_id == tenant_id,
                spans.c.kind == kind,
                spans.c.dimension == PROGRAM,
                spans.c.value == program,
                spans.c.first_start.between(first, last),
            )
            .subquery("entries")
        )
    return (
        select(periods.c.learner_key, periods.c.period_start.label("cohort"))
        .where(
            periods.c.tenant_id == tenant_id,
            periods.c.kind == kind,
            periods.c.dimension == PROGRAM,
            periods.c.value == program,
            periods.c.period_start.between(first, last),
        )
        .subquery("entries")
    )


def read_program_cohorts(
    connection: Connection,
    tenant_id: str,
    kind: str,
    program: str,
    entry: Literal["first", "recurring"],
    cohorts: tuple[date, date],
    until: date,
) -> tuple[list[GroupedRow], list[GroupedRow]]:
    """(latest, returns) for the cohorts starting between the two dates of `cohorts`:
    (cohort, latest period in the program, learners) and (cohort, later period in the
    program up to `until`, learners)."""
    entries = _entries(tenant_id, kind, program, entry, *cohorts)
    latest = (
        select(entries.c.cohort, spans.c.last_start, func.count())
        .join_from(
            entries,
            spans,
            and_(
                spans.c.tenant_id == tenant_id,
                spans.c.learner_key == entries.c.learner_key,
                spans.c.kind == kind,
                spans.c.dimension == PROGRAM,
                spans.c.value == program,
            ),
        )
        .group_by(entries.c.cohort, spans.c.last_start)
    )
    returns = (
        select(entries.c.cohort, periods.c.period_start, func.count())
        .join_from(
            entries,
            periods,
            and_(
                periods.c.tenant_id == tenant_id,
                periods.c.learner_key == entries.c.learner_key,
                periods.c.kind == kind,
                periods.c.dimension == PROGRAM,
                periods.c.value == program,
                periods.c.period_start > entries.c.cohort,
                periods.c.period_start <= until,
            ),
        )
        .group_by(entries.c.cohort, periods.c.period_start)
    )
    return (
        [(cohort, start, learners) for cohort, start, learners in connection.execute(latest)],
        [(cohort, start, learners) for cohort, start, learners in connection.execute(returns)],
    )
