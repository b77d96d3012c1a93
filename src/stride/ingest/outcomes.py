"""What became of each event of an ingest batch, and the tenant a batch is written to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from stride.errors import FieldError


class EventStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class RejectReason(StrEnum):
    INVALID = "invalid"  # fails the event schema or rules
    PII = "pii"  # holds personal data in a field the tenant's policy rejects it in
    CONSENT = "consent"  # the learner does not consent to analytics
    RETENTION = "retention"  # older than the tenant keeps raw events


CONFLICT_ERROR = FieldError("id", "an event with this id is already stored with other content")
CONSENT_ERROR = FieldError(
    "learner",
    "this learner has not consented to analytics, so their events are not stored",
)


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event of a batch."""

    index: int
    event_id: str | None
    status: EventStatus
    errors: tuple[FieldError, ...] = ()
    reason: RejectReason | None = None  # set when rejected


@dataclass(frozen=True)
class IngestReport:
    outcomes: list[EventOutcome]

    def count(self, status: EventStatus) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is status)

    def counts(self) -> dict[EventStatus, int]:
        """Events per status, every status present (zero when none)."""
        found = Counter(outcome.status for outcome in self.outcomes)
        return {status: found[status] for status in EventStatus}


@dataclass(frozen=True)
class TenantScope:
    """The tenant an ingest writes to, and the secret that pseudonymizes its learners."""

    tenant_id: str
    learner_secret: str


def repeat_outcome(index: int, event_id: str, content_hash: str, stored_hash: str) -> EventOutcome:
    if stored_hash == content_hash:
        return EventOutcome(index, event_id, EventStatus.DUPLICATE)
    return EventOutcome(index, event_id, EventStatus.CONFLICT, (CONFLICT_ERROR,))
