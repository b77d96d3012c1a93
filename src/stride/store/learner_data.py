"""Every stored row tied to one learner: found from the metadata, read whole, deleted whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, MetaData, Table, and_, func, select

from stride.store.tables import metadata


def learner_tables(schema: MetaData = metadata) -> tuple[Table, ...]:
    """Every table holding rows of one learner: those with both `tenant_id` and `learner_key`.

    Derived from the metadata so tables added later are covered without a list to keep up.
    Tables that only refer to a learner through a one-way pseudonym (the audit log's
    `subject`) do not match on purpose: they must outlive an erasure. Parents come before
    children (foreign-key order); delete in reverse.
    """
    return tuple(
        table
        for table in schema.sorted_tables
        if "tenant_id" in table.c and "learner_key" in table.c
    )


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction whose queries all see the same committed state.

    SQLite transactions read one snapshot already (WAL); PostgreSQL's default, READ COMMITTED,
    would let an ingest batch commit between two tables' queries.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def _owned_by(table: Table, tenant_id: str, learner_key: str) -> ColumnElement[bool]:
    return and_(table.c.tenant_id == tenant_id, table.c.learner_key == learner_key)


def count_learner_rows(
    connection: Connection, table: Table, tenant_id: str, learner_key: str
) -> int:
    query = select(func.count()).select_from(table).where(_owned_by(table, tenant_id, learner_key))
    return int(connection.execute(query).scalar_one())


def iter_learner_rows(
    connection: Connection, table: Table, tenant_id: str, learner_key: str, page: int = 5000
) -> Iterator[dict[str, Any]]:
    """The learner's rows of `table` in primary-key order (the log's order for `events`).

    Tables with a single-column primary key (the event log) are read in keyset pages of `page`
    rows, so no one result holds a whole log; others (a learner has few rows in each) in one
    query. A table without a primary key is ordered by every column.
    """
    key = list(table.primary_key.columns) or list(table.c)
    if len(key) != 1:
        query = select(table).where(_owned_by(table, tenant_id, learner_key)).order_by(*key)
        yield from (dict(row._mapping) for row in connection.execute(query))
        return
    column = key[0]
    after: Any = None
    while True:
        query = select(table).where(_owned_by(table, tenant_id, learner_key))
        if after is not None:
            query = query.where(column > after)
        rows = [dict(r._mapping) for r in connection.execute(query.order_by(column).limit(page))]
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][column.name]


def delete_learner_rows(
    connection: Connection, table: Table, tenant_id: str, learner_key: str
) -> int:
    """Delete the learner's rows of `table`; return how many there were."""
    result = connection.execute(table.delete().where(_owned_by(table, tenant_id, learner_key)))
    return int(result.rowcount)
