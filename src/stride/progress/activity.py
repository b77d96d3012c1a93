"""Progress of one learner on one activity, folded from events in any order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stride.events.recorded import RecordedEvent
from stride.events.types import ATTEMPT_EVENT_TYPES


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class ActivityProgress:
    """Read model: one learner x one activity."""

    learner_key: str
    activity_id: str
    activity_type: str | None
    status: ActivityStatus
    attempts: int
    best_score: float | None
    last_score: float | None
    last_scored_at: datetime | None
    last_scored_event: str | None
    time_spent_ms: int
    first_seen: datetime
    last_seen: datetime
    last_event: str
    completed_at: datetime | None


def duration_ms(event: RecordedEvent) -> int:
    return round(event.duration_s * 1000) if event.duration_s is not None else 0


def completes_activity(event: RecordedEvent) -> bool:
    return event.type == "activity.completed" or event.completion is True


def start_activity(event: RecordedEvent) -> ActivityProgress:
    assert event.activity_id is not None
    return ActivityProgress(
        learner_key=event.learner_key,
        activity_id=event.activity_id,
        activity_type=event.activity_type,
        status=ActivityStatus.NOT_STARTED,
        attempts=0,
        best_score=None,
        last_score=None,
        last_scored_at=None,
        last_scored_event=None,
        time_spent_ms=0,
        first_seen=event.timestamp,
        last_seen=event.timestamp,
        last_event=event.event_id,
        completed_at=None,
    )


def apply_to_activity(state: ActivityProgress | None, event: RecordedEvent) -> ActivityProgress:
    """Fold one event into an activity's progress.

    Every field is a commutative summary (count, sum, min, max, or "value at the greatest
    (timestamp, event id)"), so the result does not depend on arrival order.
    """
    current = state or start_activity(event)
    completed = completes_activity(event)
    status = current.status
    if completed:
        status = ActivityStatus.COMPLETED
    elif status is ActivityStatus.NOT_STARTED:
        status = ActivityStatus.IN_PROGRESS
    completed_at = current.completed_at
    if completed and (completed_at is None or event.timestamp < completed_at):
        completed_at = event.timestamp

    best, last, last_at, last_id = (
        current.best_score,
        current.last_score,
        current.last_scored_at,
        current.last_scored_event,
    )
    if event.score is not None:
        best = event.score if best is None else max(best, event.score)
        if last_at is None or last_id is None or event.order_key > (last_at, last_id):
            last, last_at, last_id = event.score, event.timestamp, event.event_id

    is_latest = event.order_key > (current.last_seen, current.last_event)
    # Built directly rather than with dataclasses.replace: this runs once per event.
    return ActivityProgress(
        learner_key=current.learner_key,
        activity_id=current.activity_id,
        activity_type=event.activity_type if is_latest else current.activity_type,
        status=status,
        attempts=current.attempts + (1 if event.type in ATTEMPT_EVENT_TYPES else 0),
        best_score=best,
        last_score=last,
        last_scored_at=last_at,
        last_scored_event=last_id,
        time_spent_ms=current.time_spent_ms + duration_ms(event),
        first_seen=min(current.first_seen, event.timestamp),
        last_seen=event.timestamp if is_latest else current.last_seen,
        last_event=event.event_id if is_latest else current.last_event,
        completed_at=completed_at,
    )
