"""Repository for the learner read models: stats, activities and daily rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import fields
from datetime import date
from typing import Any

from sqlalchemy import Connection

from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.daily import DayActivity
from stride.progress.learner import LearnerStats
from stride.progress.streaks import Streak
from stride.store.bulk import insert_rows, select_by_keys, select_by_learners
from stride.store.tables import READ_MODELS, learner_activities, learner_days, learner_stats


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


# The loads select columns in the order the rows are unpacked (or the dataclass fields are).
_STATS_COLUMNS = (
    "learner_key",
    "events",
    "first_seen",
    "last_active",
    "active_days",
    "total_active_ms",
    "activities_completed",
    "activities_in_progress",
    "longest_streak",
    "last_run",
    "last_active_day",
)
_ACTIVITY_COLUMNS = tuple(f.name for f in fields(ActivityProgress))
_DAY_COLUMNS = ("learner_key", "day", "events", "activity_ms", "session_ms", "sessions")
_STATUSES = {status.value: status for status in ActivityStatus}


def load_stats(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, LearnerStats]:
    if not learner_keys:
        return {}
    rows = select_by_learners(connection, learner_stats, _STATS_COLUMNS, tenant_id, learner_keys)
    return {row[0]: _stats(row) for row in rows}


def _stats(row: list[Any]) -> LearnerStats:
    key, events, first, last, days, active_ms, completed, in_progress, *streak = row
    return LearnerStats(
        key, events, first, last, days, active_ms, completed, in_progress, Streak(*streak)
    )


def _activity(values: list[Any]) -> ActivityProgress:
    status = values[3]
    values[3] = _STATUSES.get(status) or ActivityStatus(status)
    return ActivityProgress(*values)


def load_activities(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], ActivityProgress]:
    """Load the (learner, activity) rows that exist among `pairs`."""
    if not pairs:
        return {}
    key = ("learner_key", "activity_id")
    rows = select_by_keys(connection, learner_activities, _ACTIVITY_COLUMNS, tenant_id, key, pairs)
    loaded = (_activity(row) for row in rows)
    return {(a.learner_key, a.activity_id): a for a in loaded}


def load_days(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, date]]
) -> dict[tuple[str, date], DayActivity]:
    """Load the (learner, local day) rollups that exist among `pairs`."""
    if not pairs:
        return {}
    key = ("learner_key", "day")
    rows = select_by_keys(connection, learner_days, _DAY_COLUMNS, tenant_id, key, pairs)
    loaded = (_day(row) for row in rows)
    return {(d.learner_key, d.day): d for d in loaded}


def _day(row: list[Any]) -> DayActivity:
    key, day, events, activity_ms, session_ms, sessions = row
    return DayActivity(key, day, events, activity_ms, session_ms, tuple(sessions))


def load_active_days(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, list[date]]:
    """Every active local day of each learner."""
    rows = select_by_learners(
        connection, learner_days, ("learner_key", "day"), tenant_id, learner_keys
    )
    days: dict[str, list[date]] = defaultdict(list)
    for key, day in rows:
        days[key].append(day)
    return days


# The saves hand bulk tuples in column order, skipping SQLAlchemy's per-row dict processing.


def save_stats(connection: Connection, tenant_id: str, stats: Iterable[LearnerStats]) -> None:
    rows = [
        (
            tenant_id,
            s.learner_key,
            s.events,
            s.first_seen,
            s.last_active,
            s.active_days,
            s.total_active_ms,
            s.activities_completed,
            s.activities_in_progress,
            s.streak.longest,
            s.streak.last_run,
            s.streak.last_day,
        )
        for s in stats
    ]
    insert_rows(connection, learner_stats, ("tenant_id", *_STATS_COLUMNS), rows, "update")


def save_activities(
    connection: Connection, tenant_id: str, activities: Iterable[ActivityProgress]
) -> None:
    rows = [
        (
            tenant_id,
            a.learner_key,
            a.activity_id,
            a.activity_type,
            a.status.value,
            a.attempts,
            a.best_score,
            a.last_score,
            a.last_scored_at,
            a.last_scored_event,
            a.time_spent_ms,
            a.first_seen,
            a.last_seen,
            a.last_event,
            a.completed_at,
        )
        for a in activities
    ]
    insert_rows(connection, learner_activities, ("tenant_id", *_ACTIVITY_COLUMNS), rows, "update")


def save_days(connection: Connection, tenant_id: str, days: Iterable[DayActivity]) -> None:
    rows = [
        (tenant_id, d.learner_key, d.day, d.events, d.activity_ms, d.session_ms, list(d.sessions))
        for d in days
    ]
    insert_rows(connection, learner_days, ("tenant_id", *_DAY_COLUMNS), rows, "update")


def delete_read_models(
    connection: Connection, tenant_id: str, learner_key: str | None = None
) -> None:
    """Drop a tenant's (or one learner's) read models, before they are folded again."""
    for table in READ_MODELS:
        if learner_key is not None and table.info.get("tenant_rollup"):
            continue  # tenant-level sums: the learner's refold subtracts its share first
        statement = table.delete().where(table.c.tenant_id == tenant_id)
        if learner_key is not None:
            statement = statement.where(table.c.learner_key == learner_key)
        connection.execute(statement)
