"""PostgreSQL's event log, partitioned by month of receipt (migration 0020, store/partitions.py)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.learners.rights import erase_learner
from stride.privacy.pseudonym import learner_key
from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database
from stride.store.partitions import ensure_event_partitions, event_partitions, partition_name
from stride.store.tables import event_ids, events
from stride.store.transactions import write_transaction
from tests.factories import make_event
from tests.fixtures.database import POSTGRES_SKIP_REASON, postgres_admin_url
from tests.fixtures.tenant import TenantUnderTest, make_tenant

pytestmark = pytest.mark.postgres


def _ingest(
    engine: Engine, tenant: TenantUnderTest, sent: list[dict[str, Any]], received: datetime
) -> list[str]:
    limits = ValidationLimits(received, timedelta(hours=24))
    report = ingest_events(engine, tenant.scope, sent, limits, received)
    return [o.status.value for o in report.outcomes]


def _homes(engine: Engine, tenant_id: str) -> dict[str, str]:
    """Each of the tenant's events by the partition that holds it."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.event_id, text("tableoid::regclass::text")).where(
                events.c.tenant_id == tenant_id
            )
        ).all()
    return dict(rows)


def test_events_live_in_the_partition_of_their_month(postgres_engine: Engine) -> None:
    tenant = make_tenant(postgres_engine)
    now = datetime.now(UTC)
    sent = [
        make_event(learner="ana", timestamp=(now - timedelta(hours=n)).isoformat())
        for n in range(3)
    ]
    assert _ingest(postgres_engine, tenant, sent, now) == ["accepted"] * 3
    month = partition_name(now.date().replace(day=1))
    assert set(_homes(postgres_engine, tenant.tenant_id).values()) == {month}
    with postgres_engine.connect() as connection:
        made = event_partitions(connection)
    ahead = now.date().replace(day=1)
    for _ in range(3):
        ahead = (ahead + timedelta(days=32)).replace(day=1)
        assert partition_name(ahead) in made  # created ahead by the migration / start


def test_an_id_is_one_event_across_partitions(postgres_engine: Engine) -> None:
    tenant = make_tenant(postgres_engine)
    now = datetime.now(UTC)
    old = datetime(2021, 3, 5, tzinfo=UTC)  # no partition: the default holds it
    event = make_event(learner="ana", timestamp=old.isoformat())
    assert _ingest(postgres_engine, tenant, [event], old) == ["accepted"]
    assert _ingest(postgres_engine, tenant, [event], now) == ["duplicate"]
    changed = {**event, "result": {"score": 0.1}}
    assert _ingest(postgres_engine, tenant, [changed], now) == ["conflict"]
    assert _homes(postgres_engine, tenant.tenant_id) == {event["id"]: "events_default"}


def test_concurrent_writers_of_the_same_ids_store_each_once(postgres_engine: Engine) -> None:
    # Engines of their own: separate connection pools and group committers, as processes are.
    url = postgres_engine.url.render_as_string(hide_password=False)
    writers = [create_db_engine(url) for _ in range(4)]
    tenant = make_tenant(postgres_engine)
    now = datetime.now(UTC)
    sent = [make_event(learner=f"l{n % 5}", timestamp=now.isoformat()) for n in range(40)]
    outcomes: list[list[str]] = []
    start = threading.Barrier(len(writers))

    def send(engine: Engine) -> None:
        start.wait()
        outcomes.append(_ingest(engine, tenant, sent, now))

    threads = [threading.Thread(target=send, args=(engine,)) for engine in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in writers:
        engine.dispose()
    assert sum(o.count("accepted") for o in outcomes) == 40
    assert sum(o.count("duplicate") for o in outcomes) == 40 * (len(writers) - 1)
    assert len(_homes(postgres_engine, tenant.tenant_id)) == 40


def test_deleting_an_event_forgets_its_id(postgres_engine: Engine) -> None:
    tenant = make_tenant(postgres_engine)
    now = datetime.now(UTC)
    event = make_event(learner="ana", timestamp=now.isoformat())
    _ingest(postgres_engine, tenant, [event], now)
    with write_transaction(postgres_engine) as connection:
        key = learner_key(tenant.scope.learner_secret, "ana")
        erase_learner(connection, tenant.tenant_id, key, now)
    with postgres_engine.connect() as connection:
        left = connection.execute(
            select(func.count()).where(event_ids.c.tenant_id == tenant.tenant_id)
        ).scalar_one()
    assert left == 0
    # As after erasure on SQLite: the same event is new again.
    assert _ingest(postgres_engine, tenant, [event], now) == ["accepted"]


def test_maintenance_creates_months_ahead_but_never_over_rows_in_the_default(
    postgres_engine: Engine,
) -> None:
    far = date(2091, 1, 1)
    with write_transaction(postgres_engine) as connection:
        connection.execute(
            insert(events).values(
                tenant_id=str(uuid.uuid4()),
                event_id=str(uuid.uuid4()),
                learner_key="k",
                type="activity.progressed",
                event_time=datetime(2091, 2, 10, tzinfo=UTC),
                received_at=datetime(2091, 2, 10, tzinfo=UTC),
                content_hash="h",
                payload={},
            )
        )
        report = ensure_event_partitions(connection, today=far, months_ahead=2)
        again = ensure_event_partitions(connection, today=far, months_ahead=2)
        made = event_partitions(connection)
        connection.rollback()
    assert report.created == ["events_2091_01", "events_2091_03"]
    assert report.skipped == ["events_2091_02"]
    assert again.created == [] and again.skipped == ["events_2091_02"]
    assert {"events_2091_01", "events_2091_03"} <= set(made)
    assert "events_2091_02" not in made


@pytest.fixture
def fresh_postgres() -> Iterator[Engine]:
    """A database of its own, for a migration test (the shared one is at head)."""
    if POSTGRES_SKIP_REASON:
        pytest.skip(POSTGRES_SKIP_REASON)
    admin_url = make_url(postgres_admin_url())
    name = f"stride_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(admin_url.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_migration_moves_the_log_into_partitions(fresh_postgres: Engine) -> None:
    upgrade_database(fresh_postgres, "0019")
    now = datetime.now(UTC)
    received = [now - timedelta(days=400), now - timedelta(days=40), now]
    rows = [
        {
            "tenant_id": "t",
            "event_id": str(uuid.uuid4()),
            "learner_key": "k",
            "type": "activity.progressed",
            "event_time": at,
            "received_at": at,
            "content_hash": f"h{n}",
            "payload": {"n": n},
        }
        for n, at in enumerate(received)
    ]
    with fresh_postgres.begin() as connection:
        connection.execute(insert(events), rows)
        before = connection.execute(select(events).order_by(events.c.seq)).all()

    upgrade_database(fresh_postgres)

    with fresh_postgres.connect() as connection:
        after = connection.execute(select(events).order_by(events.c.seq)).all()
        keys = connection.execute(select(event_ids.c.event_id, event_ids.c.content_hash)).all()
        homes = connection.execute(
            text("SELECT DISTINCT tableoid::regclass::text FROM events")
        ).scalars()
        next_seq = connection.execute(text("SELECT nextval('events_seq_seq')")).scalar_one()
    assert after == before
    assert sorted(keys) == sorted((r["event_id"], r["content_hash"]) for r in rows)
    assert sorted(homes) == sorted(partition_name(at.date().replace(day=1)) for at in received)
    assert next_seq > max(row.seq for row in before)
