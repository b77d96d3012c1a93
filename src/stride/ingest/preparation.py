"""One raw event made ready to store: validated, retention-checked, pseudonymized, scrubbed.

Runs outside the write transaction (and, under concurrent requests, in parallel with it):
nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stride.errors import FieldError
from stride.events.recorded import RecordedEvent, target_date_of
from stride.events.validation import (
    ValidationLimits,
    content_hash,
    stored_payload,
    validate_event,
)
from stride.ingest.outcomes import (
    EventOutcome,
    EventStatus,
    RejectReason,
    TenantScope,
    repeat_outcome,
)
from stride.privacy.pii import PiiPolicy, scan_event
from stride.privacy.policy import PrivacyPolicy
from stride.privacy.pseudonym import learner_key


@dataclass(frozen=True)
class Candidate:
    """A valid event of a batch, as it will be stored and folded."""

    index: int
    event_id: str
    content_hash: str
    row: dict[str, Any]
    recorded: RecordedEvent

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Batches prepared in another process (stride.ingest.ahead) come back pickled: the
        # row repeats the recorded event's fields, so only what it adds travels.
        row, recorded = self.row, self.recorded
        if row["sent_as"] is None and row["learner_key"] == recorded.learner_key:
            compact = (self.index, self.content_hash, row["tenant_id"], row["received_at"])
            return (_candidate, (*compact, row["payload"], recorded))
        return (Candidate, (self.index, self.event_id, self.content_hash, row, recorded))


@dataclass
class PiiTally:
    """(kind, "redacted" | "rejected") -> findings in this batch."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, found: dict[str, int], action: str) -> None:
        for kind, n in found.items():
            self.counts[(kind, action)] += n


@dataclass(frozen=True)
class PreparedBatch:
    """A batch ready to store: its valid events by id, and what preparing it found."""

    candidates: dict[str, Candidate]
    earlier: dict[int, EventOutcome]  # rejected events and repeats within the batch
    pii: PiiTally


def prepare_batch(
    scope: TenantScope,
    raw_events: Sequence[Any],
    limits: ValidationLimits,
    received_at: datetime,
    policy: PrivacyPolicy,
) -> PreparedBatch:
    """Every event of a batch prepared under the tenant's privacy policy."""
    earlier: dict[int, EventOutcome] = {}
    candidates: dict[str, Candidate] = {}
    learner_keys: dict[str, str] = {}  # a batch holds few learners: hash each id once
    pii = PiiTally()
    keep_days = policy.document.retention.raw_events_days
    # Retention would delete such an event again, and after it a resend is no longer seen as
    # a duplicate: it would be folded twice.
    cutoff = received_at - timedelta(days=keep_days) if keep_days is not None else None
    for index, raw in enumerate(raw_events):
        candidate_or_errors = prepare_event(
            index, raw, scope, limits, received_at, learner_keys, policy.pii, pii, cutoff
        )
        if isinstance(candidate_or_errors, tuple):
            errors, reason = candidate_or_errors
            earlier[index] = EventOutcome(
                index, raw_id(raw), EventStatus.REJECTED, tuple(errors), reason
            )
            continue
        candidate = candidate_or_errors
        first = candidates.get(candidate.event_id)
        if first is None:
            candidates[candidate.event_id] = candidate
        else:  # the same id twice in one batch: the first one stands
            earlier[index] = repeat_outcome(
                index, candidate.event_id, candidate.content_hash, first.content_hash
            )
    return PreparedBatch(candidates, earlier, pii)


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
    row = _row(scope.tenant_id, recorded, received_at, fingerprint, payload)
    return Candidate(index, event_id, fingerprint, row, recorded)


def _candidate(
    index: int,
    fingerprint: str,
    tenant_id: str,
    received_at: datetime,
    payload: dict[str, Any],
    recorded: RecordedEvent,
) -> Candidate:
    return Candidate(
        index,
        recorded.event_id,
        fingerprint,
        _row(tenant_id, recorded, received_at, fingerprint, payload),
        recorded,
    )


def _row(
    tenant_id: str,
    recorded: RecordedEvent,
    received_at: datetime,
    fingerprint: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """The event's row in the log."""
    return {
        "tenant_id": tenant_id,
        "event_id": recorded.event_id,
        "learner_key": recorded.learner_key,
        "type": recorded.type,
        "event_time": recorded.timestamp,
        "received_at": received_at,
        "content_hash": fingerprint,
        "payload": payload,
        "sent_as": None,  # set when the learner key is an alias (stored under its learner)
    }


def raw_id(raw: Any) -> str | None:
    """The id a rejected event was sent with, if it had a usable one."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) else None
