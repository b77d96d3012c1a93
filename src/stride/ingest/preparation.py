"""One raw event made ready to store: validated, retention-checked, pseudonymized, scrubbed.

Runs outside the write transaction (and, under concurrent requests, in parallel with it):
nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stride.errors import FieldError
from stride.events.recorded import RecordedEvent, target_date_of
from stride.events.validation import (
    ValidationLimits,
    content_hash,
    stored_payload,
    validate_event,
)
from stride.ingest.outcomes import RejectReason, TenantScope
from stride.privacy.pii import PiiPolicy, scan_event
from stride.privacy.pseudonym import learner_key


@dataclass(frozen=True)
class Candidate:
    """A valid event of a batch, as it will be stored and folded."""

    index: int
    event_id: str
    content_hash: str
    row: dict[str, Any]
    recorded: RecordedEvent


@dataclass
class PiiTally:
    """(kind, "redacted" | "rejected") -> findings in this batch."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, found: dict[str, int], action: str) -> None:
        for kind, n in found.items():
            self.counts[(kind, action)] += n


def prepare_event(
    index: int,
    raw: Any,
    scope: TenantScope,
    limits: ValidationLimits,
    received_at: datetime,
    learner_keys: dict[str, str],
    pii_policy: PiiPolicy,
    pii: PiiTally,
    cutoff: datetime | None,
) -> Candidate | tuple[list[FieldError], RejectReason]:
    """The event ready to store, or why it is rejected.

    `learner_keys` caches the batch's pseudonyms (a batch holds few learners); `pii` gathers
    the batch's findings; events before `cutoff` are older than the tenant keeps raw events.
    """
    event = validate_event(raw, limits)
    if isinstance(event, list):
        return event, RejectReason.INVALID
    instant = event.timestamp.astimezone(UTC)  # once here; every later use wants UTC
    if cutoff is not None and instant < cutoff:
        reason = "older than this tenant keeps raw events (its retention policy)"
        return [FieldError("timestamp", reason)], RejectReason.RETENTION
    key = learner_keys.get(event.learner)
    if key is None:
        key = learner_keys[event.learner] = learner_key(scope.learner_secret, event.learner)
    scanned = scan_event(stored_payload(raw, event.id, instant), pii_policy)
    if scanned.rejected:
        pii.add(scanned.counts, "rejected")
        return [
            FieldError(v.path, f"holds personal data ({v.kind}), which this tenant rejects")
            for v in scanned.rejected
        ], RejectReason.PII
    pii.add(scanned.counts, "redacted")
    payload = scanned.redacted_payload
    fingerprint = content_hash(key, payload)
    event_id = payload["id"]
    activity, result = event.activity, event.result
    recorded = RecordedEvent(
        event_id=event_id,
        learner_key=key,
        type=event.type,
        timestamp=instant,
        session=event.session,
        activity_id=activity.id if activity else None,
        activity_type=activity.type if activity else None,
        score=result.score if result else None,
        success=result.success if result else None,
        completion=result.completion if result else None,
        duration_s=result.duration_s if result else None,
        skills=tuple(event.skills) if event.skills else (),
        target_date=target_date_of(payload),
        platform=(payload.get("context") or {}).get("platform"),
        properties=payload.get("properties"),
    )
    row = {
        "tenant_id": scope.tenant_id,
        "event_id": event_id,
        "learner_key": key,
        "type": event.type,
        "event_time": instant,
        "received_at": received_at,
        "content_hash": fingerprint,
        "payload": payload,
        "sent_as": None,  # set when the learner key is an alias (stored under its learner)
    }
    return Candidate(index, event_id, fingerprint, row, recorded)


def raw_id(raw: Any) -> str | None:
    """The id a rejected event was sent with, if it had a usable one."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) else None
