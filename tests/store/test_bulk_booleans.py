"""store.bulk carries Boolean columns on both databases: written as given, read back as bool
(SQLite stores 0/1), replaced on a conflict; so inserts such as the xAPI statements' and their
agents' index take the bulk path rather than SQLAlchemy's executemany."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from stride.store.bulk import insert_rows, select_by_keys
from stride.store.tables import learner_consents, xapi_related_agents

NAMES = ("tenant_id", "seq", "statement_id", "learner_key", "direct")


def test_booleans_are_written_and_read_back_as_bool(engine: Engine) -> None:
    tenant_id = str(uuid.uuid4())
    rows = [
        (tenant_id, 1, "s-1", "learner-a", True),
        (tenant_id, 1, "s-1", "learner-b", False),
        (tenant_id, 2, "s-2", "learner-a", False),
    ]
    with engine.begin() as connection:
        insert_rows(connection, xapi_related_agents, NAMES, rows, "nothing")
        # A row whose key is stored is skipped, its flag unchanged.
        insert_rows(connection, xapi_related_agents, NAMES, [(*rows[0][:4], False)], "nothing")
    with engine.connect() as connection:
        found = select_by_keys(
            connection,
            xapi_related_agents,
            ("seq", "learner_key", "direct"),
            tenant_id,
            ("seq", "learner_key"),
            [(1, "learner-a"), (1, "learner-b"), (2, "learner-a"), (3, "learner-a")],
        )
        # What SQLAlchemy's own Boolean type reads agrees with what bulk wrote.
        columns = xapi_related_agents.c
        query = select(columns.seq, columns.learner_key, columns.direct).where(
            columns.tenant_id == tenant_id
        )
        through_sqlalchemy = {tuple(row) for row in connection.execute(query)}
    assert sorted(tuple(row) for row in found) == [
        (1, "learner-a", True),
        (1, "learner-b", False),
        (2, "learner-a", False),
    ]
    assert all(type(row[2]) is bool for row in found)
    assert through_sqlalchemy == {
        (1, "learner-a", True),
        (1, "learner-b", False),
        (2, "learner-a", False),
    }


def test_a_boolean_is_replaced_on_conflict(engine: Engine) -> None:
    tenant_id = str(uuid.uuid4())
    names = ("tenant_id", "learner_key", "purpose", "granted", "changed_at")
    granted = (tenant_id, "learner-a", "analytics", True, datetime(2026, 11, 1, tzinfo=UTC))
    withdrawn = (tenant_id, "learner-a", "analytics", False, datetime(2026, 11, 2, tzinfo=UTC))
    with engine.begin() as connection:
        insert_rows(connection, learner_consents, names, [granted], "update")
        insert_rows(connection, learner_consents, names, [withdrawn], "update")
    columns = learner_consents.c
    with engine.connect() as connection:
        stored = connection.execute(
            select(columns.granted).where(columns.tenant_id == tenant_id)
        ).scalar_one()
    assert stored is False
