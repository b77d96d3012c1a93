"""Statements and the events made from them commit in one transaction: neither is kept alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from stride.clock import utc_now
from stride.errors import Conflict
from stride.events.validation import ValidationLimits
from stride.ingest import pipeline
from stride.store import xapi as repo
from stride.store.tables import events
from stride.xapi.preparation import XapiScope
from stride.xapi.service import record_statements
from stride.xapi.validation import V1
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "lms"}}


def _limits() -> ValidationLimits:
    return ValidationLimits(utc_now(), timedelta(hours=24))


def _stored(engine: Engine, tenant: TenantUnderTest, ids: list[str]) -> tuple[int, int]:
    """(statements stored of `ids`, events in the tenant's log)."""
    with engine.connect() as connection:
        statements = len(repo.find_hashes(connection, tenant.tenant_id, ids))
        logged = connection.execute(
            select(func.count()).select_from(events).where(events.c.tenant_id == tenant.tenant_id)
        ).scalar_one()
    return statements, logged


def test_a_failure_while_folding_the_events_stores_no_statement(
    engine: Engine, tenant: TenantUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = XapiScope(tenant.tenant_id, tenant.scope.learner_secret, AUTHORITY)
    batch = [simple_statement(), simple_statement(mbox="mailto:ben@example.com")]
    ids = [s["id"] for s in batch]

    def broken(*args: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(pipeline, "project_events", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        record_statements(engine, scope, batch, V1, _limits())
    assert _stored(engine, tenant, ids) == (0, 0)

    monkeypatch.undo()  # the client sends the batch again
    recorded = record_statements(engine, scope, batch, V1, _limits())
    assert recorded.stored == 2
    assert _stored(engine, tenant, ids) == (2, 2)


def test_a_statement_refused_in_the_transaction_takes_its_events_with_it(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    scope = XapiScope(tenant.tenant_id, tenant.scope.learner_secret, AUTHORITY)
    first = simple_statement()
    record_statements(engine, scope, [first], V1, _limits())
    changed = {**first, "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
    other = simple_statement(mbox="mailto:ben@example.com")
    with pytest.raises(Conflict):
        record_statements(engine, scope, [other, changed], V1, _limits())
    assert _stored(engine, tenant, [other["id"]]) == (0, 1)  # only the first statement's event


def test_a_refusal_before_the_append_stores_nothing_of_the_batch(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    event = {
        "id": "5f0c5a43-6a55-4c4c-9f5c-0d5d3e2f8a11",
        "type": "activity.started",
        "learner": "ana",
        "timestamp": utc_now().isoformat(),
    }

    def refuse(connection: Connection) -> None:
        raise Conflict("refused by the caller")

    now = utc_now()
    with pytest.raises(Conflict):
        pipeline.ingest_events(engine, tenant.scope, [event], _limits(), now, refuse)
    assert _stored(engine, tenant, []) == (0, 0)
    report = pipeline.ingest_events(engine, tenant.scope, [event], _limits(), now)
    assert report.counts()[pipeline.EventStatus.ACCEPTED] == 1
