"""Repository for the learner read models: stats, activities and daily rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, String, and_, column, select, values

from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.daily import DayActivity
from stride.progress.learner import LearnerStats
from stride.progress.streaks import Streak
from stride.store.tables import READ_MODELS, learner_activities, learner_days, learner_stats
from stride.store.upsert import upsert_rows


def stats_from_row(row: Any) -> LearnerStats:
    return LearnerStats(
        learner_key=row.learner_key,
        events=row.events,
        first_seen=row.first_seen,
        last_active=row.last_active,
        active_days=row.active_days,
        total_active_ms=row.total_active_ms,
        activities_completed=row.activities_completed,
        activities_in_progress=row.activities_in_progress,
        streak=Streak(row.longest_streak, row.last_run, row.last_active_day),
    )


def activity_from_row(row: Any) -> ActivityProgress:
    return ActivityProgress(
        learner_key=row.learner_key,
        activity_id=row.activity_id,
        activity_type=row.activity_type,
        status=ActivityStatus(row.status),
        attempts=row.attempts,
        best_score=row.best_score,
        last_score=row.last_score,
        last_scored_at=row.last_scored_at,
        last_scored_event=row.last_scored_event,
        time_spent_ms=row.time_spent_ms,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        last_event=row.last_event,
        completed_at=row.completed_at,
    )


def day_from_row(row: Any) -> DayActivity:
    return DayActivity(
        learner_key=row.learner_key,
        day=row.day,
        events=row.events,
        activity_ms=row.activity_ms,
        session_ms=row.session_ms,
        sessions=tuple(row.sessions),
    )


def load_stats(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, LearnerStats]:
    if not learner_keys:
        return {}
    rows = connection.execute(
        select(learner_stats).where(
            learner_stats.c.tenant_id == tenant_id,
            learner_stats.c.learner_key.in_(list(learner_keys)),
        )
    )
    return {row.learner_key: stats_from_row(row) for row in rows}


def _wanted(name: str, key_type: Any, pairs: Collection[tuple[str, Any]]) -> Any:
    # A VALUES list joined on the primary key: one index probe per wanted row, on both databases
    # (SQLite cannot use an index for `(a, b) IN (...)`).
    return (
        values(column("learner_key", String), column("k", key_type), name=name)
        .data(list(pairs))
        .cte(name)
    )


def load_activities(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], ActivityProgress]:
    """Load the (learner, activity) rows that exist among `pairs`."""
    if not pairs:
        return {}
    wanted = _wanted("wanted_activities", String, pairs)
    table = learner_activities
    rows = connection.execute(
        select(table)
        .select_from(wanted)
        .join(
            table,
            and_(
                table.c.tenant_id == tenant_id,
                table.c.learner_key == wanted.c.learner_key,
                table.c.activity_id == wanted.c.k,
            ),
        )
    )
    loaded = (activity_from_row(row) for row in rows)
    return {(a.learner_key, a.activity_id): a for a in loaded}


def load_days(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, date]]
) -> dict[tuple[str, date], DayActivity]:
    """Load the (learner, local day) rollups that exist among `pairs`."""
    if not pairs:
        return {}
    wanted = _wanted("wanted_days", Date, pairs)
    table = learner_days
    rows = connection.execute(
        select(table)
        .select_from(wanted)
        .join(
            table,
            and_(
                table.c.tenant_id == tenant_id,
                table.c.learner_key == wanted.c.learner_key,
                table.c.day == wanted.c.k,
            ),
        )
    )
    loaded = (day_from_row(row) for row in rows)
    return {(d.learner_key, d.day): d for d in loaded}


def load_active_days(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, list[date]]:
    """Every active local day of each learner."""
    rows = connection.execute(
        select(learner_days.c.learner_key, learner_days.c.day).where(
            learner_days.c.tenant_id == tenant_id,
            learner_days.c.learner_key.in_(list(learner_keys)),
        )
    )
    days: dict[str, list[date]] = defaultdict(list)
    for row in rows:
        days[row.learner_key].append(row.day)
    return days


def save_stats(connection: Connection, tenant_id: str, stats: Iterable[LearnerStats]) -> None:
    upsert_rows(
        connection,
        learner_stats,
        [
            {
                "tenant_id": tenant_id,
                "learner_key": s.learner_key,
                "events": s.events,
                "first_seen": s.first_seen,
                "last_active": s.last_active,
                "active_days": s.active_days,
                "total_active_ms": s.total_active_ms,
                "activities_completed": s.activities_completed,
                "activities_in_progress": s.activities_in_progress,
                "longest_streak": s.streak.longest,
                "last_run": s.streak.last_run,
                "last_active_day": s.streak.last_day,
            }
            for s in stats
        ],
    )


def save_activities(
    connection: Connection, tenant_id: str, activities: Iterable[ActivityProgress]
) -> None:
    upsert_rows(
        connection,
        learner_activities,
        [
            {
                "tenant_id": tenant_id,
                "learner_key": a.learner_key,
                "activity_id": a.activity_id,
                "activity_type": a.activity_type,
                "status": a.status.value,
                "attempts": a.attempts,
                "best_score": a.best_score,
                "last_score": a.last_score,
                "last_scored_at": a.last_scored_at,
                "last_scored_event": a.last_scored_event,
                "time_spent_ms": a.time_spent_ms,
                "first_seen": a.first_seen,
                "last_seen": a.last_seen,
                "last_event": a.last_event,
                "completed_at": a.completed_at,
            }
            for a in activities
        ],
    )


def save_days(connection: Connection, tenant_id: str, days: Iterable[DayActivity]) -> None:
    upsert_rows(
        connection,
        learner_days,
        [
            {
                "tenant_id": tenant_id,
                "learner_key": d.learner_key,
                "day": d.day,
                "events": d.events,
                "activity_ms": d.activity_ms,
                "session_ms": d.session_ms,
                "sessions": list(d.sessions),
            }
            for d in days
        ],
    )


def delete_read_models(
    connection: Connection, tenant_id: str, learner_key: str | None = None
) -> None:
    """Drop a tenant's (or one learner's) read models, before they are folded again."""
    for table in READ_MODELS:
        statement = table.delete().where(table.c.tenant_id == tenant_id)
        if learner_key is not None:
            statement = statement.where(table.c.learner_key == learner_key)
        connection.execute(statement)
