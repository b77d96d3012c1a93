"""INSERT ... ON CONFLICT for both dialects."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from stride.store import bulk


def _insert(connection: Connection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _as_tuples(table: Table, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[Any]]:
    """The rows' columns (in table order) and their values as tuples; all rows share keys."""
    present = rows[0].keys()
    names = [column.name for column in table.columns if column.name in present]
    if len(names) != len(present):
        unknown = sorted(set(present) - set(names))
        raise ValueError(f"{table.name} has no column(s) {unknown}")
    if len(names) == 1:
        return names, [(row[names[0]],) for row in rows]
    return names, list(map(itemgetter(*names), rows))


def _fast(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: bulk.Conflict,
    returning: str | None = None,
) -> list[Any] | None:
    """Run the insert through `bulk`; None when it cannot (other dialect, column type)."""
    if not bulk.supports(connection.dialect) or any(
        column.default is not None for column in table.columns if column.name not in rows[0]
    ):
        return None
    names, values = _as_tuples(table, rows)
    try:
        return bulk.insert_rows(connection, table, names, values, conflict, returning)
    except bulk.UnsupportedType:
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
    statement = (
        _insert(connection, table).on_conflict_do_nothing().returning(table.c[returned])
    )
    return set(connection.execute(statement, list(rows)).scalars().all())
