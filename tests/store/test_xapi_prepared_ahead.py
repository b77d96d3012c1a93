"""Statement batches prepared by a server's helper process (stride.xapi.preparation, run
through stride.ingest.ahead) store and answer exactly as batches prepared in the request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from stride.clock import utc_now
from stride.errors import Conflict
from stride.events.validation import ValidationLimits
from stride.ingest.ahead import AheadPool
from stride.ingest.pipeline import HELPED_FROM_EVENTS, use_helpers
from stride.store.tables import events
from stride.xapi import service
from stride.xapi.errors import InvalidStatement
from stride.xapi.preparation import XapiScope, prepare_statements
from stride.xapi.query import StatementQuery
from stride.xapi.service import Recorded, get_statement, record_statements
from stride.xapi.validation import V1
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "lms"}}
LIMITS = ValidationLimits(utc_now(), timedelta(hours=24))


@pytest.fixture
def pool(engine: Engine) -> Iterator[AheadPool]:
    """One helper process preparing the engine's batches, as `stride serve` starts it."""
    with AheadPool(1) as helpers:
        use_helpers(engine, helpers)
        try:
            yield helpers
        finally:
            use_helpers(engine, None)


def _scope(tenant: TenantUnderTest) -> XapiScope:
    return XapiScope(tenant.tenant_id, tenant.scope.learner_secret, AUTHORITY)


def _batch(size: int = HELPED_FROM_EVENTS + 10) -> list[dict[str, Any]]:
    verbs = ["completed", "answered", "experienced"]
    batch = []
    for n in range(size):
        verb = f"http://adlnet.gov/expapi/verbs/{verbs[n % 3]}"
        statement = simple_statement(verb, mbox=f"mailto:learner{n % 7}@example.com")
        statement["context"] = {"contextActivities": {"parent": [{"id": "http://lms/c/1"}]}}
        if n % 5 == 0:
            statement["result"] = {"score": {"scaled": n / size}, "success": n % 2 == 0}
        batch.append(statement)
    return batch


def _counting(calls: list[int]) -> Any:
    def prepare(*arguments: Any) -> Any:
        calls.append(1)
        return prepare_statements(*arguments)

    return prepare


def _record(engine: Engine, tenant: TenantUnderTest, batch: list[dict[str, Any]]) -> Recorded:
    return record_statements(engine, _scope(tenant), batch, V1, LIMITS)


def _stored(engine: Engine, tenant: TenantUnderTest, ids: list[str]) -> list[Any]:
    documents = []
    for statement_id in ids:
        query = StatementQuery(statement_id=statement_id)
        document, _ = get_statement(engine, _scope(tenant), query, [])
        documents.append(orjson.loads(document))
    return documents


def _logged(engine: Engine, tenant: TenantUnderTest) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.event_id, events.c.type)
            .where(events.c.tenant_id == tenant.tenant_id)
            .order_by(events.c.event_id)
        )
        return [tuple(row) for row in rows]


def test_a_batch_prepared_by_the_helper_is_stored_as_one_prepared_in_the_request(
    engine: Engine,
    pool: AheadPool,
    tenant_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    helped, here = tenant_factory(), tenant_factory()
    first, batch = _batch(), _batch()
    _record(engine, helped, first)  # stores the policy document the helper prepares with
    ids = [s["id"] for s in batch]
    before = pool.prepared_now
    prepared_here: list[int] = []
    monkeypatch.setattr(service, "prepare_statements", _counting(prepared_here))

    recorded = _record(engine, helped, batch)

    assert pool.prepared_now == before + 1 and prepared_here == []  # one round trip, all of it
    use_helpers(engine, None)
    _record(engine, here, first)
    assert _record(engine, here, batch).ids == recorded.ids == ids
    assert recorded.stored == len(batch)
    assert recorded.events is not None
    assert {o.status for o in recorded.events.outcomes} == {"accepted"}
    assert _stored(engine, helped, ids) == _stored(engine, here, ids)
    assert _logged(engine, helped) == _logged(engine, here)


def test_invalid_batches_and_conflicts_answer_alike_through_the_helper(
    engine: Engine, pool: AheadPool, tenant: TenantUnderTest
) -> None:
    batch = _batch()
    del batch[7]["verb"]
    with pytest.raises(InvalidStatement) as invalid:
        _record(engine, tenant, batch)
    assert [e.path for e in invalid.value.errors] == ["[7].verb"]

    batch = _batch()
    batch[9]["id"] = batch[3]["id"]
    with pytest.raises(InvalidStatement, match="same id") as twice:
        _record(engine, tenant, batch)
    assert [e.path for e in twice.value.errors] == ["[9].id"]

    batch = _batch()
    _record(engine, tenant, batch)
    again = _record(engine, tenant, [{**s} for s in batch])  # the same statements again
    assert again.stored == 0
    changed = [*batch[:20], {**batch[20], "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}]
    changed += _batch(HELPED_FROM_EVENTS)
    with pytest.raises(Conflict, match=batch[20]["id"]):
        _record(engine, tenant, changed)
    assert pool.prepared_now >= 4


def test_statements_are_prepared_in_the_request_when_the_helper_stopped(
    engine: Engine, pool: AheadPool, tenant: TenantUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(engine, tenant, _batch())
    prepared = pool.prepared_now
    prepared_here: list[int] = []
    monkeypatch.setattr(service, "prepare_statements", _counting(prepared_here))
    pool._helpers[0].process.kill()
    pool._helpers[0].process.join()

    batch = _batch()
    recorded = _record(engine, tenant, batch)

    assert recorded.stored == len(batch) and pool.prepared_now == prepared
    assert prepared_here == [1]
    with engine.connect() as connection:
        logged = connection.execute(
            select(func.count()).select_from(events).where(events.c.tenant_id == tenant.tenant_id)
        ).scalar_one()
    assert logged == 2 * len(batch)
