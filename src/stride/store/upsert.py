"""INSERT ... ON CONFLICT for both dialects."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from stride.store import bulk
from stride.store.codecs import UnsupportedType


def _insert(connection: Connection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _fast(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: bulk.Conflict,
    returning: str | None = None,
) -> list[Any] | None:
    """Run the insert through `bulk`; None when it cannot and SQLAlchemy must.

    SQLAlchemy stays in charge of what it alone knows how to do: other dialects, column types
    the codecs do not convert, Python-side defaults, keys that name no column.
    """
    present = rows[0].keys()
    names = [column.name for column in table.columns if column.name in present]
    keys = {column.name for column in table.primary_key.columns}
    python_side = any(
        (column.default is not None and column.name not in present)
        or (column.onupdate is not None and conflict != "nothing")
        for column in table.columns
    )
    if (
        python_side
        or not bulk.supports(connection.dialect)
        or len(names) != len(present)  # keys that are no column: as SQLAlchemy treats them
        or (conflict != "nothing" and keys.issuperset(names))  # nothing to update
    ):
        return None
    getter = itemgetter(*names)
    values = [(getter(row),) for row in rows] if len(names) == 1 else list(map(getter, rows))
    try:
        return bulk.insert_rows(connection, table, names, values, conflict, returning)
    except UnsupportedType:
        return None


def upsert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, replacing every non-key column of rows whose primary key exists."""
    if not rows or _fast(connection, table, rows, "update") is not None:
        return
    statement = _insert(connection, table)
    keys = [column.name for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in keys
        },
    )
    connection.execute(statement, list(rows))


def add_to_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, adding each non-key column's value to the stored one where the primary key
    exists: sums commute, so the result does not depend on the order batches arrive in.

    Rows must have distinct keys; callers sort them by key, so that concurrent batches lock
    the rows they share in one order.
    """
    if not rows or _fast(connection, table, rows, "add") is not None:
        return
    statement = _insert(connection, table)
    keys = [column.name for column in table.primary_key.columns]
    sums = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in sums}
    )
    connection.execute(statement, rows)


def insert_missing(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows whose primary key is not there yet; leave existing rows alone."""
    if not rows or _fast(connection, table, rows, "nothing") is not None:
        return
    connection.execute(_insert(connection, table).on_conflict_do_nothing(), list(rows))


def insert_new_returning(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], returned: str
) -> set[Any]:
    """Insert rows, skipping any that violate a unique key; return `returned` of the new ones."""
    if not rows:
        return set()
    new = _fast(connection, table, rows, "nothing", returned)
    if new is not None:
        return set(new)
    statement = _insert(connection, table).on_conflict_do_nothing().returning(table.c[returned])
    return set(connection.execute(statement, list(rows)).scalars().all())
