"""Adding to stored sums (points, counters, content and item sums) in one statement per batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from stride.store.tables import content_stats, learner_counters
from stride.store.upsert import add_to_rows
from tests.fixtures.tenant import TenantUnderTest


def _counters(engine: Engine, tenant_id: str) -> dict[tuple[str, str], int]:
    table = learner_counters
    query = select(table.c.learner_key, table.c.counter, table.c.value).where(
        table.c.tenant_id == tenant_id
    )
    with engine.connect() as connection:
        return {(key, counter): value for key, counter, value in connection.execute(query)}


def _counter(tenant_id: str, key: str, counter: str, value: int) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "learner_key": key, "counter": counter, "value": value}


def test_rows_are_inserted_then_added_to(engine: Engine, tenant: TenantUnderTest) -> None:
    t = tenant.tenant_id
    with engine.begin() as connection:
        add_to_rows(
            connection, learner_counters, [_counter(t, "a", "x", 2), _counter(t, "b", "x", 1)]
        )
    with engine.begin() as connection:
        add_to_rows(
            connection, learner_counters, [_counter(t, "a", "x", 3), _counter(t, "a", "y", -4)]
        )
        add_to_rows(connection, learner_counters, [])  # nothing to do
    assert _counters(engine, t) == {("a", "x"): 5, ("b", "x"): 1, ("a", "y"): -4}


def test_every_non_key_column_is_added(engine: Engine, tenant: TenantUnderTest) -> None:
    t = tenant.tenant_id
    sums = {"starts": 1, "completions": 0, "scored": 1, "score_micros": 750_000, "passed": 1}
    row = {"tenant_id": t, "activity_id": "quiz", "level": "item", **sums}
    with engine.begin() as connection:
        add_to_rows(connection, content_stats, [row])
        add_to_rows(connection, content_stats, [{**row, "completions": 1, "passed": -1}])
        stored = connection.execute(
            select(*(content_stats.c[name] for name in sums)).where(content_stats.c.tenant_id == t)
        ).one()
    assert tuple(stored) == (2, 1, 2, 1_500_000, 0)
