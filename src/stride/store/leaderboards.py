"""Reads for leaderboards: a week's points, who is enrolled where, and display handles."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import Connection, select

from stride.store.tables import learner_enrollments, learner_points, learners


def week_points(connection: Connection, tenant_id: str, week: date) -> dict[str, int]:
    """Points of every learner with a row for `week` (by the (tenant, week, points) index)."""
    rows = connection.execute(
        select(learner_points.c.learner_key, learner_points.c.points).where(
            learner_points.c.tenant_id == tenant_id, learner_points.c.week == week
        )
    )
    return {row.learner_key: row.points for row in rows}


def enrolled_since(
    connection: Connection, tenant_id: str, program: str | None
) -> list[tuple[str, datetime]]:
    """(learner key, enrolled at) of every enrollment not cancelled, in `program` if given."""
    query = select(learner_enrollments.c.learner_key, learner_enrollments.c.enrolled_at).where(
        learner_enrollments.c.tenant_id == tenant_id,
        learner_enrollments.c.cancelled_at.is_(None),
    )
    if program is not None:
        query = query.where(learner_enrollments.c.activity_id == program)
    return [(row.learner_key, row.enrolled_at) for row in connection.execute(query)]


def display_handles(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, str]:
    """The display handle of those of `learner_keys` who chose one."""
    if not learner_keys:
        return {}
    rows = connection.execute(
        select(learners.c.learner_key, learners.c.display_handle).where(
            learners.c.tenant_id == tenant_id,
            learners.c.learner_key.in_(list(learner_keys)),
            learners.c.display_handle.is_not(None),
        )
    )
    return {row.learner_key: row.display_handle for row in rows}
