"""Fold newly appended events into the learner read models, inside the append's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection

from stride.analytics.content_projector import project_learning_analytics
from stride.events.recorded import RecordedEvent
from stride.ingest.achievement_projector import project_achievements, restore_awards
from stride.ingest.enrollment_projector import project_enrollments
from stride.ingest.goal_projector import project_goals
from stride.ingest.mastery_projector import project_mastery
from stride.ingest.streak_freezes import recompute_streaks
from stride.progress.daily import local_day
from stride.progress.learner import LearnerFold, LearnerSlice, LearnerStats, fold_learner
from stride.progress.streaks import may_need_freeze
from stride.store import learners as learner_repo
from stride.store import read_models as repo


def project_events(
    connection: Connection, tenant_id: str, new_events: Sequence[RecordedEvent]
) -> None:
    """Apply events not folded before to every learner read model they touch."""
    by_learner: dict[str, list[RecordedEvent]] = defaultdict(list)
    for event in new_events:
        # Events Stride derives (skill.acquired) are outcomes of the folds, not activity.
        if not event.derived:
            by_learner[event.learner_key].append(event)
    restore_awards(connection, tenant_id, new_events)
    if not by_learner:
        return
    slices = _load_slices(connection, tenant_id, by_learner)
    folds = {key: fold_learner(slices[key], events) for key, events in by_learner.items()}
    repo.save_activities(
        connection, tenant_id, (a for fold in folds.values() for a in fold.activities.values())
    )
    repo.save_days(
        connection, tenant_id, (d for fold in folds.values() for d in fold.days.values())
    )
    repo.save_stats(connection, tenant_id, _final_stats(connection, tenant_id, folds, slices))
    timezones = {key: learner.timezone for key, learner in slices.items()}
    project_mastery(connection, tenant_id, by_learner, timezones)
    project_enrollments(connection, tenant_id, by_learner)
    project_achievements(connection, tenant_id, by_learner, timezones)
    project_goals(connection, tenant_id, by_learner, timezones)
    project_learning_analytics(connection, tenant_id, by_learner, slices, folds)


def _load_slices(
    connection: Connection, tenant_id: str, by_learner: dict[str, list[RecordedEvent]]
) -> dict[str, LearnerSlice]:
    timezones = learner_repo.load_timezones(connection, tenant_id, by_learner.keys())
    slices = {key: LearnerSlice(key, timezones.get(key, "UTC")) for key in by_learner}
    activity_keys = {
        (key, e.activity_id)
        for key, events in by_learner.items()
        for e in events
        if e.activity_id is not None
    }
    day_keys = {
        (key, local_day(e.timestamp, slices[key].timezone))
        for key, events in by_learner.items()
        for e in events
    }
    for key, stats in repo.load_stats(connection, tenant_id, by_learner.keys()).items():
        slices[key].stats = stats
    for (key, activity_id), activity in repo.load_activities(
        connection, tenant_id, activity_keys
    ).items():
        slices[key].activities[activity_id] = activity
    for (key, day), rollup in repo.load_days(connection, tenant_id, day_keys).items():
        slices[key].days[day] = rollup
    return slices


def _final_stats(
    connection: Connection,
    tenant_id: str,
    folds: dict[str, LearnerFold],
    slices: dict[str, LearnerSlice],
) -> list[LearnerStats]:
    """Learner totals, with streaks recomputed from all active days where a day came late,
    or where a streak freeze may bridge a new single missed day."""
    late = [key for key, fold in folds.items() if fold.needs_streak_recompute]
    bridging = [
        key
        for key, fold in folds.items()
        if not fold.needs_streak_recompute
        and may_need_freeze(
            _last_day(slices[key]), (d for d in fold.days if d not in slices[key].days)
        )
    ]
    # The days were saved just before, so the new ones are among the active days read there.
    stats = {key: fold.stats for key, fold in folds.items()}
    return recompute_streaks(connection, tenant_id, stats, late, bridging)


def _last_day(learner: LearnerSlice) -> date | None:
    return learner.stats.streak.last_day if learner.stats is not None else None
