"""The event as the pure core sees it: validated, pseudonymous, UTC."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from stride.events.rules import TARGET_DATE_PROPERTY, parse_target_date


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
    skills: tuple[str, ...] = ()
    target_date: date | None = None  # enrollment events only
    derived: bool = False  # written by Stride itself (e.g. skill.acquired), not by a platform
    platform: str | None = None  # context.platform
    # The free-form properties as stored (usage/metrics rollups read them); not hashed.
    properties: dict[str, Any] | None = field(default=None, hash=False)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Batches prepared in another process (stride.ingest.ahead) come back pickled: by
        # position, this loads several times faster than the slotted dataclass's own state.
        return (RecordedEvent, tuple(getattr(self, name) for name in _FIELD_NAMES))

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Total order of events by time, ties broken by id, whatever the arrival order."""
        return (self.timestamp, self.event_id)


_FIELD_NAMES = tuple(f.name for f in fields(RecordedEvent))


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
        skills=tuple(payload.get("skills") or ()),
        target_date=target_date_of(payload),
        derived=bool(payload.get("derived", False)),
        platform=(payload.get("context") or {}).get("platform"),
        properties=payload.get("properties"),
    )


def target_date_of(payload: dict[str, Any]) -> date | None:
    if not payload["type"].startswith("enrollment."):
        return None
    return parse_target_date((payload.get("properties") or {}).get(TARGET_DATE_PROPERTY))
