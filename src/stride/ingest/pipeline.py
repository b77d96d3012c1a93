"""Ingest a batch: validate, pseudonymize, deduplicate, append and project in one transaction.

Batches of one tenant that arrive while another is being written are stored together, in one
transaction (stride.ingest.group_commit); each still gets its own outcomes.

A batch may come prepared already, by a helper process (stride.ingest.ahead): `stride import`
prepares its next batch while it stores one, and a server process with helpers has each
request of some size prepared while it waits for the writer. Such a batch is used only if the
tenant's privacy policy is still the one it was prepared under; otherwise it is prepared again.

A caller whose events come with rows of its own (the xAPI statements they were made from)
passes `before_append`: it writes those rows in the events' transaction, so both commit or
neither does.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine

from stride.analytics.quality_tally import IngestTally, tally_batch
from stride.events.validation import ValidationLimits
from stride.ingest.ahead import AheadPool, PreparedAhead, policy_document, unpickle
from stride.ingest.group_commit import GroupCommit
from stride.ingest.outcomes import (
    CONFLICT_ERROR,
    CONSENT_ERROR,
    EventOutcome,
    EventStatus,
    IngestReport,
    RejectReason,
    TenantScope,
    repeat_outcome,
)
from stride.ingest.preparation import Candidate, PiiTally, prepare_batch
from stride.ingest.projector import project_events
from stride.privacy.consent import learners_with_consent
from stride.privacy.policy import PrivacyPolicy, Purpose
from stride.privacy.policy_service import get_policy
from stride.realtime.wakeup import log_appended
from stride.store import event_log
from stride.store.aliases import canonical_keys
from stride.store.analytics_quality import record_ingest_tally
from stride.store.learners import register_learners
from stride.store.locks import lock_learners, share_tenant_writes
from stride.store.privacy import add_pii_findings
from stride.store.transactions import write_transaction

__all__ = [
    "CONFLICT_ERROR",
    "CONSENT_ERROR",
    "GROUP_MAX_EVENTS",
    "BeforeAppend",
    "EventOutcome",
    "EventStatus",
    "IngestReport",
    "RejectReason",
    "TenantScope",
    "ingest_events",
]

# Past a few thousand events a group gains little more per event (fewer learners repeat) and
# only makes the requests in it wait longer.
GROUP_MAX_EVENTS = 5000

# Writes a caller's own rows in the transaction that appends its batch; raising refuses the
# batch (the other batches of its group are then stored without it).
BeforeAppend = Callable[[Connection], None]


@dataclass(frozen=True)
class _Prepared:
    """A batch ready to store (see PreparedBatch) with what storing it needs."""

    candidates: dict[str, Candidate]
    earlier: dict[int, EventOutcome]  # rejected events and repeats within the batch
    pii: PiiTally
    received_at: datetime
    policy: PrivacyPolicy
    before_append: BeforeAppend | None


@dataclass(frozen=True)
class _Request:
    """One call's batch, as sent."""

    scope: TenantScope
    raw_events: Sequence[Any]
    limits: ValidationLimits
    received_at: datetime
    before_append: BeforeAppend | None = None
    ahead: PreparedAhead | None = None
    helped: bytes | None = None  # prepared by a helper process, still pickled


_Outcomes = dict[int, EventOutcome]
_committers: weakref.WeakKeyDictionary[Engine, GroupCommit[_Request, IngestReport]] = (
    weakref.WeakKeyDictionary()
)
_committers_guard = threading.Lock()
_helpers: weakref.WeakKeyDictionary[Engine, AheadPool] = weakref.WeakKeyDictionary()
# The policy document each tenant's last group was stored under: what helpers prepare with.
_documents: weakref.WeakKeyDictionary[Engine, dict[str, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
# A helper's round trip (pickling both ways) pays off for batches of some size only.
HELPED_FROM_EVENTS = 50


def ingest_events(
    engine: Engine,
    scope: TenantScope,
    raw_events: Sequence[Any],
    limits: ValidationLimits,
    received_at: datetime,
    before_append: BeforeAppend | None = None,
    ahead: PreparedAhead | None = None,
) -> IngestReport:
    """Record a batch; valid events are kept whatever their neighbours are.

    Returns one outcome per input event, in input order. An error raised by `before_append`
    is raised here, and nothing of the batch is stored. `ahead` is the batch already prepared
    from the same arguments (stride.ingest.ahead).
    """
    helped = None
    helpers = _helpers.get(engine)
    if ahead is None and helpers is not None and len(raw_events) >= HELPED_FROM_EVENTS:
        document = _documents.get(engine, {}).get(scope.tenant_id)
        if document is not None:
            helped = helpers.prepare_now(scope, raw_events, limits, received_at, document)
    request = _Request(scope, raw_events, limits, received_at, before_append, ahead, helped)
    store = partial(_ingest_group, engine, scope.tenant_id)
    return _committer(engine).run(scope.tenant_id, request, max(1, len(raw_events)), store)


def helpers_for(engine: Engine, tenant_id: str) -> tuple[AheadPool, dict[str, Any] | None] | None:
    """The helper processes preparing this engine's batches, if it has any, and the policy
    document the tenant's last batches were stored under (None before its first): what a
    caller preparing more than events there prepares the events with."""
    pool = _helpers.get(engine)
    if pool is None:
        return None
    return pool, _documents.get(engine, {}).get(tenant_id)


def use_helpers(engine: Engine, pool: AheadPool | None) -> None:
    """Let helper processes prepare this engine's batches as they arrive (None: stop)."""
    if pool is None:
        _helpers.pop(engine, None)
        _documents.pop(engine, None)
    else:
        _helpers[engine] = pool


def _committer(engine: Engine) -> GroupCommit[_Request, IngestReport]:
    with _committers_guard:
        committer = _committers.get(engine)
        if committer is None:
            committer = _committers[engine] = GroupCommit(GROUP_MAX_EVENTS)
        return committer


def _ingest_group(
    engine: Engine, tenant_id: str, requests: Sequence[_Request]
) -> list[IngestReport]:
    """Prepare each batch, then store all of them in one transaction.

    Preparing happens here, in the thread that writes, rather than in each request's thread:
    Python runs one thread at a time, and a writer that must win the interpreter back from
    busy threads after every database call writes several times slower.
    """
    with engine.connect() as connection:
        policy = get_policy(connection, tenant_id)
    # Only batches prepared ahead are checked against the policy's document.
    document = (
        policy_document(policy) if engine in _helpers or any(r.ahead for r in requests) else {}
    )
    if engine in _helpers:
        _documents.setdefault(engine, {})[tenant_id] = document
    prepared = [_prepare(request, policy, document) for request in requests]
    # Only an empty batch has nothing to write: rejected events are counted too.
    writes = [
        n
        for n, b in enumerate(prepared)
        if b.candidates or b.pii.counts or b.earlier or b.before_append
    ]
    stored = _store_group(engine, tenant_id, [prepared[n] for n in writes]) if writes else []
    written = dict(zip(writes, stored, strict=True))
    if writes:
        log_appended(engine, tenant_id)  # committed: the change feed may look at once
    reports = []
    for number, (request, batch) in enumerate(zip(requests, prepared, strict=True)):
        outcomes = {**batch.earlier, **written.get(number, {})}
        reports.append(IngestReport([outcomes[i] for i in range(len(request.raw_events))]))
    return reports


def _prepare(request: _Request, policy: PrivacyPolicy, document: dict[str, Any]) -> _Prepared:
    ahead = request.ahead
    if ahead is None and request.helped is not None:
        helped = unpickle(request.helped)  # None if the helper failed: prepared here
        ahead = helped if isinstance(helped, PreparedAhead) else None
    if ahead is not None and ahead.policy_document == document:
        batch = ahead.batch
    else:  # not prepared ahead, or under a policy changed since
        batch = prepare_batch(
            request.scope, request.raw_events, request.limits, request.received_at, policy
        )
    return _Prepared(
        batch.candidates,
        batch.earlier,
        batch.pii,
        request.received_at,
        policy,
        request.before_append,
    )


def _store_group(engine: Engine, tenant_id: str, batches: Sequence[_Prepared]) -> list[_Outcomes]:
    """Store several batches in one transaction; the outcomes of each batch's valid events."""
    results: list[_Outcomes] = [{} for _ in batches]
    chosen: dict[str, tuple[int, Candidate]] = {}  # event id -> (batch, candidate)
    for number, batch in enumerate(batches):
        for event_id, candidate in batch.candidates.items():
            first = chosen.get(event_id)
            if first is None:
                chosen[event_id] = (number, candidate)
            else:  # sent in two batches of the group: the earlier one stands
                results[number][candidate.index] = _repeat(candidate, first[1].content_hash)
    with write_transaction(engine) as connection:
        for batch in batches:
            add_pii_findings(connection, tenant_id, batch.received_at.date(), batch.pii.counts)
        share_tenant_writes(connection, tenant_id)  # before the learners: one lock order
        for batch in batches:  # e.g. the statements the events were made from
            if batch.before_append is not None:
                batch.before_append(connection)
        # Under that lock: linking an alias waits for it, so none moves meanwhile.
        _send_aliases_to_learners(connection, tenant_id, chosen)
        learners = {candidate.recorded.learner_key for _, candidate in chosen.values()}
        lock_learners(connection, tenant_id, learners)
        # Under the learners' locks, so a withdrawal that committed first is seen.
        policy = batches[0].policy  # one for the group: read once by _ingest_group
        consenting = learners_with_consent(
            connection, tenant_id, learners, Purpose.ANALYTICS, policy
        )
        for event_id, (number, candidate) in list(chosen.items()):
            if candidate.recorded.learner_key not in consenting:
                del chosen[event_id]
                results[number][candidate.index] = EventOutcome(
                    candidate.index,
                    event_id,
                    EventStatus.REJECTED,
                    (CONSENT_ERROR,),
                    RejectReason.CONSENT,
                )
        stored = event_log.stored_before_append(connection, tenant_id, chosen)
        fresh = [candidate for _, candidate in chosen.values() if candidate.event_id not in stored]
        inserted = event_log.append_events(connection, [c.row for c in fresh])
        if len(inserted) < len(fresh):  # stored before (PostgreSQL), or by a concurrent writer
            stored.update(
                event_log.find_content_hashes(
                    connection, tenant_id, (c.event_id for c in fresh if c.event_id not in inserted)
                )
            )
        for event_id, (number, candidate) in chosen.items():
            if event_id in inserted:
                results[number][candidate.index] = EventOutcome(
                    candidate.index, event_id, EventStatus.ACCEPTED
                )
            else:
                results[number][candidate.index] = _repeat(candidate, stored[event_id])
        new_events = [c.recorded for c in fresh if c.event_id in inserted]
        first_seen = min(batch.received_at for batch in batches)
        register_learners(connection, tenant_id, {e.learner_key for e in new_events}, first_seen)
        project_events(connection, tenant_id, new_events)
        # Last, so PostgreSQL holds the locks on the shared count rows only until commit.
        for tally in _tallies(batches, results, inserted):
            record_ingest_tally(connection, tenant_id, tally)
    return results


def _send_aliases_to_learners(
    connection: Connection, tenant_id: str, chosen: dict[str, tuple[int, Candidate]]
) -> None:
    """Events sent under a learner's alias are stored and folded under the learner's key."""
    learners = canonical_keys(
        connection, tenant_id, {candidate.recorded.learner_key for _, candidate in chosen.values()}
    )
    if not learners:
        return
    for event_id, (number, candidate) in chosen.items():
        sent_as = candidate.recorded.learner_key
        learner = learners.get(sent_as)
        if learner is not None:
            chosen[event_id] = (
                number,
                replace(
                    candidate,
                    row={**candidate.row, "learner_key": learner, "sent_as": sent_as},
                    recorded=replace(candidate.recorded, learner_key=learner),
                ),
            )


def _tallies(
    batches: Sequence[_Prepared], results: list[_Outcomes], inserted: Iterable[str]
) -> list[IngestTally]:
    """The group's data-quality tallies, one per day of receipt (usually one)."""
    accepted = set(inserted)
    by_day: dict[Any, IngestTally] = {}
    for batch, batch_results in zip(batches, results, strict=True):
        timestamps = (
            batch.candidates[outcome.event_id].recorded.timestamp
            for outcome in batch_results.values()
            if outcome.status is EventStatus.ACCEPTED and outcome.event_id in accepted
        )
        outcomes = [*batch.earlier.values(), *batch_results.values()]
        tally = tally_batch(batch.received_at, outcomes, timestamps)
        same_day = by_day.get(tally.day)
        if same_day is None:
            by_day[tally.day] = tally
        else:
            same_day.outcomes.update(tally.outcomes)
            same_day.timing.update(tally.timing)
    return list(by_day.values())


def _repeat(candidate: Candidate, stored_hash: str) -> EventOutcome:
    return repeat_outcome(candidate.index, candidate.event_id, candidate.content_hash, stored_hash)
