"""Ingest a batch: validate, pseudonymize, deduplicate, append and project in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from stride.errors import FieldError
from stride.events.recorded import RecordedEvent, target_date_of
from stride.events.validation import (
    ValidationLimits,
    content_hash,
    stored_payload,
    validate_event,
)
from stride.ingest.projector import project_events
from stride.privacy.pseudonym import learner_key
from stride.store import event_log
from stride.store.learners import register_learners
from stride.store.locks import lock_learners
from stride.store.transactions import write_transaction


class EventStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"


CONFLICT_ERROR = FieldError("id", "an event with this id is already stored with other content")


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event of a batch."""

    index: int
    event_id: str | None
    status: EventStatus
    errors: tuple[FieldError, ...] = ()


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
    for index, raw in enumerate(raw_events):
        candidate_or_errors = _prepare(index, raw, scope, limits, received_at, learner_keys)
        if isinstance(candidate_or_errors, list):
            outcomes[index] = EventOutcome(
                index, _raw_id(raw), EventStatus.REJECTED, tuple(candidate_or_errors)
            )
            continue
        candidate = candidate_or_errors
        earlier = candidates.get(candidate.event_id)
        if earlier is None:
            candidates[candidate.event_id] = candidate
        else:  # the same id twice in one batch: the first one stands
            outcomes[index] = _repeat_outcome(candidate, earlier.content_hash)

    if candidates:
        outcomes.update(_store(engine, scope.tenant_id, candidates, received_at))
    return IngestReport([outcomes[index] for index in range(len(raw_events))])


def _store(
    engine: Engine, tenant_id: str, candidates: dict[str, _Candidate], received_at: datetime
) -> dict[int, EventOutcome]:
    outcomes: dict[int, EventOutcome] = {}
    with write_transaction(engine) as connection:
        learners = {c.recorded.learner_key for c in candidates.values()}
        lock_learners(connection, tenant_id, learners)
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
    return outcomes


def _prepare(
    index: int,
    raw: Any,
    scope: TenantScope,
    limits: ValidationLimits,
    received_at: datetime,
    learner_keys: dict[str, str],
) -> _Candidate | list[FieldError]:
    event = validate_event(raw, limits)
    if isinstance(event, list):
        return event
    key = learner_keys.get(event.learner)
    if key is None:
        key = learner_keys[event.learner] = learner_key(scope.learner_secret, event.learner)
    instant = event.timestamp.astimezone(UTC)  # once here; every later use wants UTC
    payload = stored_payload(raw, event.id, instant)
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
