from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store.event_log import count_events
from stride.store.tables import events, learners
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime(2024, 6, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))


def statuses(engine: Engine, tenant: TenantUnderTest, batch: list[dict]) -> list[str]:  # type: ignore[type-arg]
    report = ingest_events(engine, tenant.scope, batch, LIMITS, NOW)
    return [outcome.status.value for outcome in report.outcomes]


def test_accepted_duplicate_conflict_and_rejected(engine: Engine, tenant: TenantUnderTest) -> None:
    first = make_event()
    assert statuses(engine, tenant, [first]) == ["accepted"]
    edited = {**first, "result": {"score": 0.1}}
    bad = make_event(result={"score": 2})
    good = make_event()
    assert statuses(engine, tenant, [first, edited, bad, good]) == [
        "duplicate",
        "conflict",
        "rejected",
        "accepted",
    ]
    assert count_events(engine.connect(), tenant.tenant_id) == 2


def test_same_id_twice_in_one_batch(engine: Engine, tenant: TenantUnderTest) -> None:
    event = make_event()
    changed = {**event, "type": "activity.completed"}
    assert statuses(engine, tenant, [event, event, changed]) == [
        "accepted",
        "duplicate",
        "conflict",
    ]


def test_uuid_case_does_not_make_a_new_event(engine: Engine, tenant: TenantUnderTest) -> None:
    event = make_event()
    upper = {**event, "id": event["id"].upper()}
    assert statuses(engine, tenant, [event, upper]) == ["accepted", "duplicate"]


def test_the_raw_learner_id_is_never_stored(engine: Engine, tenant: TenantUnderTest) -> None:
    raw_id = "alice@example.org"
    statuses(engine, tenant, [make_event(learner=raw_id)])
    key = learner_key(tenant.scope.learner_secret, raw_id)
    with engine.connect() as connection:
        row = connection.execute(select(events).where(events.c.tenant_id == tenant.tenant_id)).one()
        profile = connection.execute(
            select(learners).where(learners.c.tenant_id == tenant.tenant_id)
        ).one()
    assert row.learner_key == key == profile.learner_key
    assert raw_id not in str(dict(row._mapping))


def test_one_event_id_may_live_in_two_tenants(engine: Engine, tenant_factory) -> None:  # type: ignore[no-untyped-def]
    event = make_event()
    a, b = tenant_factory(), tenant_factory()
    assert statuses(engine, a, [event]) == ["accepted"]
    assert statuses(engine, b, [event]) == ["accepted"]
    assert learner_key(a.scope.learner_secret, "x") != learner_key(b.scope.learner_secret, "x")


def test_valid_events_survive_invalid_neighbours(engine: Engine, tenant: TenantUnderTest) -> None:
    batch = [make_event(), {"nonsense": True}, "text", make_event(), None]
    report = ingest_events(engine, tenant.scope, batch, LIMITS, NOW)
    assert report.count(EventStatus.ACCEPTED) == 2
    assert report.count(EventStatus.REJECTED) == 3
