"""A learner's enrollment in a program or course, folded from enrollment events.

The fold is order-independent: the status and activity type follow the latest enrollment
event by (timestamp, id), the enrollment date and target date the latest
`enrollment.created` (or, while none is known, the earliest cancellation).
"Completed" is not stored: it is read off the completion tree when the catalog says the
enrolled program or course is done.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from stride.events.recorded import RecordedEvent

CREATED = "enrollment.created"
CANCELLED = "enrollment.cancelled"
NO_EVENT = ""  # enrolled_event of an enrollment only known from its cancellation


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Enrollment:
    learner_key: str
    activity_id: str
    activity_type: str
    status: EnrollmentStatus
    enrolled_at: datetime
    enrolled_event: str
    target_date: date | None
    cancelled_at: datetime | None
    last_change_at: datetime
    last_change_event: str


def apply_to_enrollment(state: Enrollment | None, event: RecordedEvent) -> Enrollment:
    """Fold one enrollment event (of the activity the state is about)."""
    if event.activity_id is None or event.activity_type is None:
        raise ValueError("an enrollment event names its activity")
    key = event.order_key
    status = EnrollmentStatus.ACTIVE if event.type == CREATED else EnrollmentStatus.CANCELLED
    if state is None:
        created = event.type == CREATED
        return Enrollment(
            event.learner_key,
            event.activity_id,
            event.activity_type,
            status,
            event.timestamp,
            event.event_id if created else NO_EVENT,
            event.target_date if created else None,
            None if created else event.timestamp,
            event.timestamp,
            event.event_id,
        )
    current = state
    if key > (state.last_change_at, state.last_change_event):
        current = replace(
            current,
            status=status,
            activity_type=event.activity_type,
            last_change_at=event.timestamp,
            last_change_event=event.event_id,
        )
    if event.type == CREATED:
        if current.enrolled_event == NO_EVENT or key > (
            current.enrolled_at,
            current.enrolled_event,
        ):
            current = replace(
                current,
                enrolled_at=event.timestamp,
                enrolled_event=event.event_id,
                target_date=event.target_date,
            )
    else:
        if current.enrolled_event == NO_EVENT and event.timestamp < current.enrolled_at:
            # Known only from cancellations so far: it dates from the earliest of them.
            current = replace(current, enrolled_at=event.timestamp)
        if current.cancelled_at is None or event.timestamp > current.cancelled_at:
            current = replace(current, cancelled_at=event.timestamp)
    return current
