"""Read one learner's progress, activities and daily timeline from the read models."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select

from stride.errors import InvalidInput
from stride.learners.profile_lookup import learner_profile
from stride.learners.streaks import streak_view
from stride.learners.views import ActivityView, DayView, ProgressView, TimelineView
from stride.progress.activity import ActivityStatus
from stride.progress.daily import local_day
from stride.store.read_models import activity_from_row, day_from_row, load_stats
from stride.store.tables import learner_activities, learner_days

MAX_TIMELINE_DAYS = 366


def get_progress(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> ProgressView:
    """A learner's totals and streaks; raises NotFound for a learner Stride has never seen."""
    profile = learner_profile(connection, tenant_id, learner_key)
    stats = load_stats(connection, tenant_id, [learner_key]).get(learner_key)
    if stats is None:
        return ProgressView(learner_key, profile.timezone, 0, None, None, 0, 0.0, 0, 0, 0, 0)
    streak = streak_view(connection, tenant_id, stats, local_day(now, profile.timezone))
    return ProgressView(
        learner_key=learner_key,
        timezone=profile.timezone,
        events=stats.events,
        first_seen=stats.first_seen,
        last_active=stats.last_active,
        active_days=stats.active_days,
        total_time_s=stats.total_active_ms / 1000,
        current_streak=streak.current,
        longest_streak=stats.streak.longest,
        activities_completed=stats.activities_completed,
        activities_in_progress=stats.activities_in_progress,
        streak=streak,
    )


def list_activities(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    status: ActivityStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ActivityView]:
    """A learner's activities, most recently seen first; raises NotFound for an unknown learner."""
    learner_profile(connection, tenant_id, learner_key)
    table = learner_activities
    query = (
        select(table)
        .where(table.c.tenant_id == tenant_id, table.c.learner_key == learner_key)
        .order_by(table.c.last_seen.desc(), table.c.activity_id)
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        query = query.where(table.c.status == status.value)
    views = []
    for row in connection.execute(query):
        activity = activity_from_row(row)
        views.append(
            ActivityView(
                activity_id=activity.activity_id,
                activity_type=activity.activity_type,
                status=activity.status.value,
                attempts=activity.attempts,
                best_score=activity.best_score,
                last_score=activity.last_score,
                time_spent_s=activity.time_spent_ms / 1000,
                first_seen=activity.first_seen,
                last_seen=activity.last_seen,
                completed_at=activity.completed_at,
            )
        )
    return views


def get_timeline(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
) -> TimelineView:
    """Daily rollups over [start, end] in the learner's local days, zero-filled.

    Defaults to the 30 days ending today; raises InvalidInput for an inverted or too-long range.
    """
    profile = learner_profile(connection, tenant_id, learner_key)
    try:
        end = end or (local_day(now, profile.timezone) if start is None else start + timedelta(29))
        start = start or end - timedelta(days=29)
    except OverflowError:
        raise InvalidInput("The range runs past the calendar; give both `from` and `to`.") from None
    if start > end:
        raise InvalidInput("`from` must not be after `to`.")
    if (end - start).days + 1 > MAX_TIMELINE_DAYS:
        raise InvalidInput(f"A timeline covers at most {MAX_TIMELINE_DAYS} days.")
    table = learner_days
    rows = connection.execute(
        select(table).where(
            table.c.tenant_id == tenant_id,
            table.c.learner_key == learner_key,
            table.c.day >= start,
            table.c.day <= end,
        )
    )
    by_day = {rollup.day: rollup for rollup in map(day_from_row, rows)}
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        rollup = by_day.get(day)
        days.append(
            DayView(day, rollup.events, rollup.active_ms / 1000, len(rollup.sessions))
            if rollup
            else DayView(day, 0, 0.0, 0)
        )
    return TimelineView(learner_key, profile.timezone, start, end, days)
