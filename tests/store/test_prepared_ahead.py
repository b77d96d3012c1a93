"""Batches prepared ahead in helper processes (stride.ingest.ahead) store as if prepared here."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from stride.events.validation import ValidationLimits
from stride.ingest.ahead import (
    AheadPool,
    HelperFailed,
    PreparedAhead,
    policy_document,
    prepare_ahead,
    unpickle,
)
from stride.ingest.pipeline import EventStatus, RejectReason, ingest_events
from stride.ingest.preparation import prepare_batch
from stride.privacy.policy import parse_policy
from stride.privacy.policy_service import apply_policy, get_policy
from stride.store.event_log import count_events
from stride.store.transactions import write_transaction
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))


def _events() -> list[dict[str, Any]]:
    at = (NOW - timedelta(hours=2)).isoformat()
    valid = [make_event(learner=f"l{n % 3}", timestamp=at) for n in range(6)]
    with_email = make_event(learner="l1", timestamp=at, properties={"note": "ana@example.org"})
    return [*valid, {"id": "not-a-uuid"}, valid[0], with_email]


def test_a_batch_comes_back_from_a_helper_as_prepared_here(tenant: TenantUnderTest) -> None:
    events = _events()
    policy = parse_policy({})
    here = prepare_batch(tenant.scope, events, LIMITS, NOW, policy)
    with AheadPool(2) as pool:
        pending = [pool.submit(tenant.scope, events, LIMITS, NOW, policy) for _ in range(3)]
        results = [p.result() for p in pending]
    for result in results:
        assert result.batch == here
        candidate = next(iter(result.batch.candidates.values()))
        assert candidate.row is not candidate.recorded and candidate.row["sent_as"] is None
    assert set(here.earlier) == {6, 7}  # invalid, and the same id again
    assert here.earlier[6].status is EventStatus.REJECTED


def test_a_candidate_under_another_learner_keeps_its_row_when_pickled(
    tenant: TenantUnderTest,
) -> None:
    batch = prepare_batch(tenant.scope, _events()[:1], LIMITS, NOW, parse_policy({}))
    [candidate] = batch.candidates.values()
    moved = type(candidate)(
        candidate.index,
        candidate.event_id,
        candidate.content_hash,
        {**candidate.row, "learner_key": "other", "sent_as": candidate.row["learner_key"]},
        candidate.recorded,
    )
    assert pickle.loads(pickle.dumps(moved)) == moved
    assert pickle.loads(pickle.dumps(candidate)) == candidate


def test_a_batch_prepared_under_an_older_policy_is_prepared_again(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    events = _events()
    with engine.connect() as connection:
        before = get_policy(connection, tenant.tenant_id)
    ahead = prepare_ahead(tenant.scope, events, LIMITS, NOW, policy_document(before))
    assert all(o.reason is not RejectReason.PII for o in ahead.batch.earlier.values())
    with write_transaction(engine) as connection:
        actor = Principal(tenant.tenant_id, "cli", Role.ADMIN, tenant.scope.learner_secret)
        apply_policy(connection, actor, {"pii": {"fields": {"properties": "reject"}}}, NOW)

    report = ingest_events(engine, tenant.scope, events, LIMITS, NOW, ahead=ahead)
    statuses = [o.status for o in report.outcomes]
    assert statuses == [EventStatus.ACCEPTED] * 6 + [
        EventStatus.REJECTED,
        EventStatus.DUPLICATE,
        EventStatus.REJECTED,
    ]
    assert report.outcomes[-1].reason is RejectReason.PII  # the policy in force decided


def test_a_batch_prepared_under_the_policy_in_force_is_stored_as_prepared(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    events = _events()
    with engine.connect() as connection:
        policy = get_policy(connection, tenant.tenant_id)
    with AheadPool(1) as pool:
        ahead = pool.submit(tenant.scope, events, LIMITS, NOW, policy).result()
    report = ingest_events(engine, tenant.scope, events, LIMITS, NOW, ahead=ahead)
    assert [o.status for o in report.outcomes].count(EventStatus.ACCEPTED) == 7
    with engine.connect() as connection:
        assert count_events(connection, tenant.tenant_id) == 7


def test_a_helper_that_stops_is_reported(tenant: TenantUnderTest) -> None:
    policy = parse_policy({})
    with AheadPool(1) as pool:
        pending = pool.submit(tenant.scope, _events(), LIMITS, NOW, policy)
        pending.result()
        pool._helpers[0].process.kill()
        pool._helpers[0].process.join()
        with pytest.raises(HelperFailed, match="stopped"):
            pool.submit(tenant.scope, _events(), LIMITS, NOW, policy).result()


def test_threads_share_the_helpers_and_go_on_without_a_dead_one(tenant: TenantUnderTest) -> None:
    events = _events()
    document = policy_document(parse_policy({}))
    here = prepare_batch(tenant.scope, events, LIMITS, NOW, parse_policy({}))
    with AheadPool(1) as pool:
        with ThreadPoolExecutor(6) as threads:  # more threads than helpers: they wait their turn
            answers = list(
                threads.map(
                    lambda _: pool.prepare_now(tenant.scope, events, LIMITS, NOW, document),
                    range(12),
                )
            )
        assert all(a is not None and unpickle(a) == PreparedAhead(document, here) for a in answers)
        assert pool.prepared_now == 12
        pool._helpers[0].process.kill()
        pool._helpers[0].process.join()
        # The batch is then prepared by the caller (None), now and later, and nobody hangs.
        assert pool.prepare_now(tenant.scope, events, LIMITS, NOW, document) is None
        assert pool.prepare_now(tenant.scope, events, LIMITS, NOW, document) is None
