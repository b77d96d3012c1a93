"""Per learner and coaching meeting: the earliest upload, analysis and failure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from stride.events.recorded import RecordedEvent

# Which column of the meeting row each event type sets (to its earliest timestamp).
MEETING_EVENT_COLUMNS = {
    "meeting.uploaded": "uploaded_at",
    "meeting.analyzed": "analyzed_at",
    "meeting.failed": "failed_at",
}


@dataclass(frozen=True, slots=True)
class MeetingProgress:
    """Read model: one meeting (the event's activity id) of one learner."""

    learner_key: str
    meeting_id: str
    uploaded_at: datetime | None = None
    analyzed_at: datetime | None = None
    failed_at: datetime | None = None


def apply_meeting_event(state: MeetingProgress | None, event: RecordedEvent) -> MeetingProgress:
    """Keep the earliest time of each kind of meeting event: a minimum, so order-independent."""
    assert event.activity_id is not None
    column = MEETING_EVENT_COLUMNS[event.type]
    current = state or MeetingProgress(event.learner_key, event.activity_id)
    stored: datetime | None = getattr(current, column)
    if stored is not None and stored <= event.timestamp:
        return current
    changes: dict[str, Any] = {column: event.timestamp}
    return replace(current, **changes)
