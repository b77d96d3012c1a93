"""Ingest a batch: validate, pseudonymize, deduplicate, append and project in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from stride.analytics.quality_tally import tally_batch
from stride.errors import FieldError
from stride.events.recorded import RecordedEvent, target_date_of
from stride.events.validation import (
    ValidationLimits,
    content_hash,
    stored_payload,
    validate_event,
)
from stride.ingest.projector import project_events
from stride.privacy.consent import learners_with_consent
from stride.privacy.pii import PiiPolicy, scan_event
from stride.privacy.policy import PrivacyPolicy, Purpose
from stride.privacy.policy_service import get_policy
from stride.privacy.pseudonym import learner_key
from stride.store import event_log
from stride.store.analytics_quality import record_ingest_tally
from stride.store.learners import register_learners
from stride.store.locks import lock_learners, share_tenant_writes
from stride.store.privacy import add_pii_findings
from stride.store.transactions import write_transaction


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


@dataclass(frozen=True)
class _Candidate:
    index: int
    event_id: str
    content_hash: str
    row: dict[str, Any]
    recorded: RecordedEvent


@dataclass
class _PiiTally:
    """(kind, "redacted" | "rejected") -> findings in this batch."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, found: dict[str, int], action: str) -> None:
        for kind, n in found.items():
            self.counts[(kind, action)] += n


def ingest_events(
    engine: Engine,
    scope: TenantScope,
    raw_events: Sequence[Any],
    limits: ValidationLimits,
    received_at: datetime,
) -> IngestReport:
    """Record a batch; valid events are kept whatever their neighbours are.

    Returns one outcome per input event, in input order.
    """
    outcomes: dict[int, EventOutcome] = {}
    candidates: dict[str, _Candidate] = {}
    learner_keys: dict[str, str] = {}  # a batch holds few learners: hash each id once
    with engine.connect() as connection:
        policy = get_policy(connection, scope.tenant_id)
    pii = _PiiTally()
    keep_days = policy.document.retention.raw_events_days
    # Retention would delete such an event again, and after it a resend is no longer seen as
    # a duplicate: it would be folded twice.
    cutoff = received_at - timedelta(days=keep_days) if keep_days is not None else None
    for index, raw in enumerate(raw_events):
        candidate_or_errors = _prepare(
            index, raw, scope, limits, received_at, learner_keys, policy.pii, pii, cutoff
        )
        if isinstance(candidate_or_errors, tuple):
            errors, reason = candidate_or_errors
            outcomes[index] = EventOutcome(
                index, _raw_id(raw), EventStatus.REJECTED, tuple(errors), reason
            )
            continue
        candidate = candidate_or_errors
        earlier = candidates.get(candidate.event_id)
        if earlier is None:
            candidates[candidate.event_id] = candidate
        else:  # the same id twice in one batch: the first one stands
            outcomes[index] = _repeat_outcome(candidate, earlier.content_hash)

    if candidates or pii.counts or outcomes:  # outcomes so far: rejected events, repeats
        outcomes.update(
            _store(engine, scope.tenant_id, candidates, received_at, policy, pii, outcomes)
        )
    return IngestReport([outcomes[index] for index in range(len(raw_events))])


def _store(
    engine: Engine,
    tenant_id: str,
    candidates: dict[str, _Candidate],
    received_at: datetime,
    policy: PrivacyPolicy,
    pii: _PiiTally,
    earlier: dict[int, EventOutcome],
) -> dict[int, EventOutcome]:
    outcomes: dict[int, EventOutcome] = {}
    with write_transaction(engine) as connection:
        add_pii_findings(connection, tenant_id, received_at.date(), pii.counts)
        learners = {c.recorded.learner_key for c in candidates.values()}
        share_tenant_writes(connection, tenant_id)  # before the learners: one lock order
        lock_learners(connection, tenant_id, learners)
        # Under the learners' locks, so a withdrawal that committed first is seen.
        consenting = learners_with_consent(
            connection, tenant_id, learners, Purpose.ANALYTICS, policy
        )
        for event_id, candidate in list(candidates.items()):
            if candidate.recorded.learner_key not in consenting:
                del candidates[event_id]
                outcomes[candidate.index] = EventOutcome(
                    candidate.index,
                    event_id,
                    EventStatus.REJECTED,
                    (CONSENT_ERROR,),
                    RejectReason.CONSENT,
                )
        stored = event_log.find_content_hashes(connection, tenant_id, candidates)
        fresh = [c for c in candidates.values() if c.event_id not in stored]
        inserted = event_log.append_events(connection, [c.row for c in fresh])
        if len(inserted) < len(fresh):  # a concurrent writer stored some of them first
            stored.update(
                event_log.find_content_hashes(
                    connection, tenant_id, (c.event_id for c in fresh if c.event_id not in inserted)
                )
            )
        for candidate in candidates.values():
            if candidate.event_id in inserted:
                outcomes[candidate.index] = EventOutcome(
                    candidate.index, candidate.event_id, EventStatus.ACCEPTED
                )
            else:
                outcomes[candidate.index] = _repeat_outcome(candidate, stored[candidate.event_id])
        new_events = [c.recorded for c in fresh if c.event_id in inserted]
        register_learners(connection, tenant_id, {e.learner_key for e in new_events}, received_at)
        project_events(connection, tenant_id, new_events)
        # Last, so PostgreSQL holds the locks on the shared count rows only until commit.
        batch = [*earlier.values(), *outcomes.values()]
        tally = tally_batch(received_at, batch, (e.timestamp for e in new_events))
        record_ingest_tally(connection, tenant_id, tally)
    return outcomes


def _prepare(
    index: int,
    raw: Any,
    scope: TenantScope,
    limits: ValidationLimits,
    received_at: datetime,
    learner_keys: dict[str, str],
    pii_policy: PiiPolicy,
    pii: _PiiTally,
    cutoff: datetime | None,
) -> _Candidate | tuple[list[FieldError], RejectReason]:
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
    }
    return _Candidate(index, event_id, fingerprint, row, recorded)


def _repeat_outcome(candidate: _Candidate, stored_hash: str) -> EventOutcome:
    if stored_hash == candidate.content_hash:
        return EventOutcome(candidate.index, candidate.event_id, EventStatus.DUPLICATE)
    return EventOutcome(
        candidate.index, candidate.event_id, EventStatus.CONFLICT, (CONFLICT_ERROR,)
    )


def _raw_id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) else None
