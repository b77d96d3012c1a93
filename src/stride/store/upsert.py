"""INSERT ... ON CONFLICT for both dialects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(connection: Connection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, replacing every non-key column of rows whose primary key exists."""
    if not rows:
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


def insert_missing(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows whose primary key is not there yet; leave existing rows alone."""
    if rows:
        connection.execute(_insert(connection, table).on_conflict_do_nothing(), list(rows))


def insert_new_returning(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], returned: str
) -> set[Any]:
    """Insert rows, skipping any that violate a unique key; return `returned` of the new ones."""
    if not rows:
        return set()
    statement = (
        _insert(connection, table).on_conflict_do_nothing().returning(table.c[returned])
    )
    return set(connection.execute(statement, list(rows)).scalars().all())
