"""store.bulk.insert_new_rows: the rows not stored yet are inserted and returned, exactly
those (PostgreSQL: one INSERT ... RETURNING; SQLite: read, then insert)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Engine, select

from stride.store.bulk import insert_new_rows
from stride.store.tables import usage_learner_marks

NAMES = ("type", "dim", "value", "period", "start", "learner_key")
WEEK = date(2026, 11, 23)


def _mark(learner: str, start: date = WEEK) -> tuple[str, str, str, str, date, str]:
    return ("activity.completed", "platform", "web", "week", start, learner)


def _stored(engine: Engine, tenant_id: str) -> set[tuple[object, ...]]:
    columns = [usage_learner_marks.c[name] for name in NAMES]
    query = select(*columns).where(usage_learner_marks.c.tenant_id == tenant_id)
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(query)}


def test_only_the_rows_not_stored_are_inserted_and_returned(engine: Engine) -> None:
    tenant_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as connection:
        assert insert_new_rows(connection, usage_learner_marks, NAMES, tenant_id, []) == []
        first = insert_new_rows(
            connection, usage_learner_marks, NAMES, tenant_id, [_mark("a"), _mark("b")]
        )
    assert sorted(first) == [_mark("a"), _mark("b")]

    batch = [_mark("b"), _mark("c"), _mark("a", date(2026, 11, 30))]
    with engine.begin() as connection:
        again = insert_new_rows(connection, usage_learner_marks, NAMES, tenant_id, batch)
        # Another tenant's identical rows are its own.
        theirs = insert_new_rows(connection, usage_learner_marks, NAMES, other, [_mark("b")])

    assert sorted(again) == sorted([_mark("a", date(2026, 11, 30)), _mark("c")])
    assert all(isinstance(row[4], date) for row in again)
    assert theirs == [_mark("b")]
    assert _stored(engine, tenant_id) == {*first, *again}
    assert _stored(engine, other) == {_mark("b")}
