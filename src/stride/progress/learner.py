"""A learner's totals, and the fold of a batch of events into all of their read models."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from stride.events.recorded import RecordedEvent
from stride.progress.activity import ActivityProgress, ActivityStatus, apply_to_activity
from stride.progress.daily import DayActivity, apply_to_day, local_day
from stride.progress.streaks import NO_STREAK, Streak, extend_streak


@dataclass(frozen=True, slots=True)
class LearnerStats:
    """Read model: one learner's totals across all activity."""

    learner_key: str
    events: int
    first_seen: datetime
    last_active: datetime
    active_days: int
    total_active_ms: int
    activities_completed: int
    activities_in_progress: int
    streak: Streak


@dataclass
class LearnerSlice:
    """The part of a learner's read models that a batch of their events touches."""

    learner_key: str
    timezone: str
    stats: LearnerStats | None = None
    activities: dict[str, ActivityProgress] = field(default_factory=dict)
    days: dict[date, DayActivity] = field(default_factory=dict)


@dataclass(frozen=True)
class LearnerFold:
    """What folding a batch changed; `needs_streak_recompute` asks for all active days."""

    stats: LearnerStats
    activities: dict[str, ActivityProgress]
    days: dict[date, DayActivity]
    needs_streak_recompute: bool


_STATUS_COUNTS = {
    ActivityStatus.NOT_STARTED: (0, 0),
    ActivityStatus.IN_PROGRESS: (0, 1),
    ActivityStatus.COMPLETED: (1, 0),
}


def fold_learner(learner: LearnerSlice, events: Iterable[RecordedEvent]) -> LearnerFold:
    """Fold new events of one learner into the slice of read models they touch."""
    activities = dict(learner.activities)
    days = dict(learner.days)
    count = 0
    first: datetime | None = None
    last: datetime | None = None
    for event in events:
        count += 1
        first = event.timestamp if first is None else min(first, event.timestamp)
        last = event.timestamp if last is None else max(last, event.timestamp)
        if event.activity_id is not None:
            activities[event.activity_id] = apply_to_activity(
                activities.get(event.activity_id), event
            )
        day = local_day(event.timestamp, learner.timezone)
        days[day] = apply_to_day(days.get(day), event, day)
    if first is None or last is None:
        raise ValueError("fold_learner needs at least one event")

    changed_activities = {k: v for k, v in activities.items() if learner.activities.get(k) != v}
    changed_days = {k: v for k, v in days.items() if learner.days.get(k) != v}
    new_days = [day for day in changed_days if day not in learner.days]

    completed = in_progress = 0
    for activity_id, after in changed_activities.items():
        before = learner.activities.get(activity_id)
        done_before, open_before = _STATUS_COUNTS[
            before.status if before else ActivityStatus.NOT_STARTED
        ]
        done_after, open_after = _STATUS_COUNTS[after.status]
        completed += done_after - done_before
        in_progress += open_after - open_before
    active_ms = sum(
        day.active_ms - (learner.days[key].active_ms if key in learner.days else 0)
        for key, day in changed_days.items()
    )

    base = learner.stats or LearnerStats(learner.learner_key, 0, first, last, 0, 0, 0, 0, NO_STREAK)
    streak = extend_streak(base.streak, new_days)
    stats = replace(
        base,
        events=base.events + count,
        first_seen=min(base.first_seen, first),
        last_active=max(base.last_active, last),
        active_days=base.active_days + len(new_days),
        total_active_ms=base.total_active_ms + active_ms,
        activities_completed=base.activities_completed + completed,
        activities_in_progress=base.activities_in_progress + in_progress,
        streak=streak if streak is not None else base.streak,
    )
    return LearnerFold(stats, changed_activities, changed_days, streak is None)
