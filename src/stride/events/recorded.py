"""The event as the pure core sees it: validated, pseudonymous, UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A stored event, reduced to what the progress folds read."""

    event_id: str
    learner_key: str
    type: str
    timestamp: datetime
    session: str | None = None
    activity_id: str | None = None
    activity_type: str | None = None
    score: float | None = None
    success: bool | None = None
    completion: bool | None = None
    duration_s: float | None = None

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Total order of events by time, ties broken by id, whatever the arrival order."""
        return (self.timestamp, self.event_id)


def recorded_from_payload(
    event_id: str, learner_key: str, timestamp: datetime, payload: dict[str, Any]
) -> RecordedEvent:
    """Rebuild the core's view of an event from its stored payload."""
    activity = payload.get("activity") or {}
    result = payload.get("result") or {}
    return RecordedEvent(
        event_id=event_id,
        learner_key=learner_key,
        type=payload["type"],
        timestamp=timestamp,
        session=payload.get("session"),
        activity_id=activity.get("id"),
        activity_type=activity.get("type"),
        score=result.get("score"),
        success=result.get("success"),
        completion=result.get("completion"),
        duration_s=result.get("duration_s"),
    )
