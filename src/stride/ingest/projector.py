"""Fold newly appended events into the learner read models, inside the append's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection

from stride.events.recorded import RecordedEvent
from stride.ingest.enrollment_projector import project_enrollments
from stride.ingest.mastery_projector import project_mastery
from stride.progress.daily import local_day
from stride.progress.learner import LearnerFold, LearnerSlice, LearnerStats, fold_learner
from stride.progress.streaks import compute_streak
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
    repo.save_stats(connection, tenant_id, _final_stats(connection, tenant_id, folds))
    timezones = {key: learner.timezone for key, learner in slices.items()}
    project_mastery(connection, tenant_id, by_learner, timezones)
    project_enrollments(connection, tenant_id, by_learner)


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
    connection: Connection, tenant_id: str, folds: dict[str, LearnerFold]
) -> list[LearnerStats]:
    """Learner totals, with streaks recomputed from all active days where a day came late."""
    late = [key for key, fold in folds.items() if fold.needs_streak_recompute]
    # The days were saved just before, so the late ones are among the active days read here.
    active_days = repo.load_active_days(connection, tenant_id, late) if late else {}
    return [
        replace(fold.stats, streak=compute_streak(active_days[key]))
        if fold.needs_streak_recompute
        else fold.stats
        for key, fold in folds.items()
    ]
