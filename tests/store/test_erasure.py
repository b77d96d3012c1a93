"""Erasure leaves nothing of the learner in any table, and nothing of anyone else goes.

Every check walks the metadata, so tables added by later capabilities are covered too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, Engine, Table, TypeDecorator, UniqueConstraint, select

from stride.catalog.service import apply_catalog
from stride.errors import NotFound, PayloadTooLarge
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, ingest_events
from stride.learners.rights import erase_and_audit, export_learner
from stride.privacy.pseudonym import learner_key
from stride.store.learner_data import iter_learner_rows, learner_tables, read_snapshot
from stride.store.tables import events as events_table
from stride.store.tables import metadata
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
ALICE = "alice-raw-id-7c1e"  # distinctive, so finding it anywhere means it leaked
BOB = "bob-raw-id-52d0"


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _event(learner: str, kind: str, minutes_ago: float, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "learner": learner,
        "timestamp": _at(minutes_ago),
        **fields,
    }


def rich_activity(learner: str) -> list[dict[str, Any]]:
    """Sessions, lessons, attempts enough to acquire a skill, a quiz and an enrollment."""
    session = f"session-{uuid.uuid4().hex[:8]}"
    lesson = {"id": "prog/c1/m2/l1", "type": "lesson"}
    exercise = {"id": "prog/c1/m1/ex1", "type": "exercise"}
    target = (NOW + timedelta(days=30)).date().isoformat()
    return [
        _event(
            learner,
            "enrollment.created",
            600,
            activity={"id": "prog", "type": "program"},
            properties={"target_date": target},
        ),
        _event(learner, "session.started", 300, session=session),
        _event(learner, "activity.started", 299, session=session, activity=lesson),
        _event(
            learner,
            "activity.completed",
            290,
            session=session,
            activity=lesson,
            result={"completion": True, "duration_s": 540},
        ),
        *(
            _event(
                learner,
                "exercise.attempted",
                280 - i,
                session=session,
                activity=exercise,
                result={"success": True, "score": 0.9, "duration_s": 45},
            )
            for i in range(10)
        ),
        _event(
            learner,
            "assessment.submitted",
            200,
            session=session,
            activity={"id": "prog/c1/m2/quiz", "type": "assessment"},
            result={"score": 0.8, "success": True, "response": "my free-text answer"},
        ),
        _event(learner, "session.ended", 190, session=session),
    ]


def _synthetic_value(column: Any, tenant_id: str, key: str) -> Any:
    if column.name == "tenant_id":
        return tenant_id
    if column.name == "learner_key":
        return key
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # Instant, Sealed: what the database stores
        column_type = column_type.impl_instance
    kind = column_type.python_type
    examples: dict[type, Any] = {
        datetime: NOW,
        date: NOW.date(),
        bool: True,
        int: 1,
        float: 0.5,
        dict: {"synthetic": True},
        list: ["synthetic"],
        object: ["synthetic"],  # JSON columns (e.g. an award's evidence)
    }
    if kind is str:
        unique = column.primary_key or any(  # credentials: ids, codes unique across tenants
            isinstance(c, UniqueConstraint) and column.name in c.columns
            for c in column.table.constraints
        )
        text = uuid.uuid4().hex if unique else "synthetic"
        return text[: column_type.length or None]
    return examples[kind]


def _fill_if_empty(connection: Connection, table: Table, tenant_id: str, key: str) -> None:
    """A row for a learner table no capability writes yet, so erasure is still proven on it."""
    if _rows(connection, table, tenant_id, key):
        return
    values = {
        column.name: _synthetic_value(column, tenant_id, key)
        for column in table.c
        if column.autoincrement is not True
    }
    connection.execute(table.insert().values(**values))


def _rows(connection: Connection, table: Table, tenant_id: str, key: str) -> list[dict[str, Any]]:
    query = select(table).where(table.c.tenant_id == tenant_id, table.c.learner_key == key)
    return [dict(row._mapping) for row in connection.execute(query)]


def _learner_snapshot(engine: Engine, tenant_id: str, key: str) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {t.name: _rows(connection, t, tenant_id, key) for t in learner_tables()}


def _text(value: Any) -> str:
    return orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)


def _leaks(engine: Engine, tenant_id: str, needles: tuple[str, ...]) -> list[str]:
    """Every (table, column) of the whole metadata whose value mentions one of `needles`."""
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            query = select(table)
            if "tenant_id" in table.c:
                query = query.where(table.c.tenant_id == tenant_id)
            for row in connection.execute(query):
                for column, value in row._mapping.items():
                    text = _text(value)
                    found += [f"{table.name}.{column}" for needle in needles if needle in text]
    return found


@pytest.fixture
def two_learners(engine: Engine, tenant: TenantUnderTest) -> TenantUnderTest:
    apply_catalog(engine, tenant.tenant_id, small_catalog(), NOW)
    report = ingest_events(
        engine, tenant.scope, rich_activity(ALICE) + rich_activity(BOB), LIMITS, NOW
    )
    assert report.count(EventStatus.ACCEPTED) == len(report.outcomes), report.outcomes
    with engine.begin() as connection:
        for table in learner_tables():
            for raw in (ALICE, BOB):
                key = learner_key(tenant.scope.learner_secret, raw)
                _fill_if_empty(connection, table, tenant.tenant_id, key)
    return tenant


def _admin(tenant: TenantUnderTest) -> Principal:
    return Principal(tenant.tenant_id, "test-admin", Role.ADMIN, tenant.scope.learner_secret)


def test_erasure_removes_the_learner_from_every_table_and_keeps_the_others(
    engine: Engine, two_learners: TenantUnderTest
) -> None:
    tenant = two_learners
    alice = learner_key(tenant.scope.learner_secret, ALICE)
    bob = learner_key(tenant.scope.learner_secret, BOB)
    tables = {t.name for t in learner_tables()}
    assert {"events", "learners", "learner_stats", "learner_skills"} <= tables
    assert "audit_log" not in tables, "the audit trail must outlive an erasure"

    before = _learner_snapshot(engine, tenant.tenant_id, alice)
    empty = sorted(name for name, rows in before.items() if not rows)
    assert not empty, f"the precondition failed: no rows of the learner in {empty}"
    acquired = [r for r in before["events"] if r["type"] == "skill.acquired"]
    assert acquired, "the derived skill.acquired event is there before the erasure"
    bob_before = _learner_snapshot(engine, tenant.tenant_id, bob)

    report = erase_and_audit(engine, _admin(tenant), alice, NOW)

    assert report.deleted == {name: len(rows) for name, rows in before.items()}
    assert report.total == sum(len(rows) for rows in before.values())
    after = _learner_snapshot(engine, tenant.tenant_id, alice)
    assert all(not rows for rows in after.values()), after
    assert _leaks(engine, tenant.tenant_id, (alice, ALICE)) == []
    assert _learner_snapshot(engine, tenant.tenant_id, bob) == bob_before

    again = erase_and_audit(engine, _admin(tenant), alice, NOW)
    assert again.total == 0 and set(again.deleted) == tables
    assert _learner_snapshot(engine, tenant.tenant_id, bob) == bob_before


def test_erasure_is_audited_without_the_learner_key_or_id(
    engine: Engine, two_learners: TenantUnderTest
) -> None:
    if "audit_log" not in metadata.tables:
        pytest.skip("the audit_log table is not in the metadata yet")
    audit_log = metadata.tables["audit_log"]
    tenant = two_learners
    alice = learner_key(tenant.scope.learner_secret, ALICE)
    report = erase_and_audit(engine, _admin(tenant), alice, NOW)

    with engine.connect() as connection:
        entries = [
            dict(row._mapping)
            for row in connection.execute(
                select(audit_log).where(
                    audit_log.c.tenant_id == tenant.tenant_id,
                    audit_log.c.action == "learner.erase",
                )
            )
        ]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["key_id"] == "test-admin" and entry["resource"] == "learner"
    assert entry["subject"], "the entry names the learner by a one-way pseudonym"
    assert entry["detail"]["total"] == report.total
    assert entry["detail"]["deleted"] == report.deleted
    for column, value in entry.items():
        assert alice not in _text(value) and ALICE not in _text(value), column


def test_export_reads_every_learner_row_in_order_and_is_bounded(
    engine: Engine, two_learners: TenantUnderTest
) -> None:
    tenant = two_learners
    alice = learner_key(tenant.scope.learner_secret, ALICE)
    before = _learner_snapshot(engine, tenant.tenant_id, alice)
    with read_snapshot(engine) as connection:
        export = export_learner(connection, tenant.tenant_id, alice, NOW)
        paged = list(iter_learner_rows(connection, events_table, tenant.tenant_id, alice, page=4))
        held = export.row_counts
        with pytest.raises(PayloadTooLarge):
            export_learner(
                connection, tenant.tenant_id, alice, NOW, max_rows=sum(held.values()) - 1
            )
        with pytest.raises(NotFound):
            export_learner(connection, tenant.tenant_id, "0" * 32, NOW)

    assert held == {name: len(rows) for name, rows in before.items()}
    seqs = [row["seq"] for row in export.tables["events"]]
    assert seqs == sorted(seqs) == [row["seq"] for row in paged], "log order, across pages"
    first = export.tables["events"][0]
    assert isinstance(first["payload"], dict) and first["event_time"].endswith("Z")
    assert orjson.loads(orjson.dumps(export.tables)) == export.tables, "JSON-safe values"
