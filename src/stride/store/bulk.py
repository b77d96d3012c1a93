"""Batch reads and writes by key with fixed, once-built SQL for SQLite and PostgreSQL.

SQLAlchemy would compile a statement whose shape depends on the batch (a VALUES list, a
multi-row INSERT) and run every value through its type processors; at ingest rates that
costs more than the database work. Here each statement's text depends only on the table and
columns, so it is built once, and values are converted column by column (see codecs):

- Reads join the table to the wanted keys passed as ONE parameter: `json_each(?)` on
  SQLite, `unnest(%s::type[], ...)` on PostgreSQL. On SQLite a CROSS JOIN keeps json_each as
  the outer loop, so every wanted key is one probe of the primary key (or unique) index; the
  planner would otherwise scan the tenant's rows.
- Writes are `INSERT ... ON CONFLICT`: on SQLite through executemany (a C loop over one
  prepared statement), or a multi-row VALUES when rows must be returned; on PostgreSQL one
  INSERT ... SELECT FROM unnest(arrays) whatever the number of rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from stride.store.codecs import (
    Convert,
    UnsupportedType,
    codec_for,
    column_kind,
    decoder,
    encoder,
)

Conflict = Literal["update", "nothing"]
DIALECTS = frozenset({"sqlite", "postgresql"})


def supports(dialect: Dialect) -> bool:
    return dialect.name in DIALECTS


@dataclass(frozen=True)
class _Columns:
    names: tuple[str, ...]
    quoted: tuple[str, ...]
    kinds: tuple[str, ...]
    encoders: tuple[Convert | None, ...]


def _columns(dialect: Dialect, table: Table, names: Sequence[str]) -> _Columns:
    codec = codec_for(dialect)
    quote = dialect.identifier_preparer.quote
    kinds = tuple(column_kind(table.c[name].type, dialect) for name in names)
    return _Columns(
        tuple(names),
        tuple(quote(name) for name in names),
        kinds,
        tuple(encoder(kind, codec) for kind in kinds),
    )


def _encode_columns(columns: _Columns, rows: Sequence[tuple[Any, ...]]) -> list[Sequence[Any]]:
    """Transpose rows to columns, converting the values of the columns that need it."""
    transposed: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, convert in enumerate(columns.encoders):
        if convert is not None:
            transposed[index] = [convert(value) for value in transposed[index]]
    return transposed


def _pg_array_type(dialect: Dialect, table: Table, name: str, kind: str) -> str:
    # Strings travel as text[]: an explicit cast to varchar(n)[] would silently truncate,
    # where assigning text to the varchar(n) column raises on overlong values as before.
    if kind in ("string", "json"):
        return "text[]"
    return f"{table.c[name].type.compile(dialect=dialect)}[]"


# ---------------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class _Select:
    sql: str
    keys: _Columns
    decoders: tuple[tuple[int, Convert], ...]  # (position, conversion) of selected columns


@lru_cache(maxsize=64)
def _select_plan(
    dialect: Dialect, table: Table, names: tuple[str, ...], key_names: tuple[str, ...]
) -> _Select:
    keys = _columns(dialect, table, key_names)
    quote = dialect.identifier_preparer.quote
    selected = ", ".join(f"t.{quote(name)}" for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "sqlite":
        if len(key_names) == 1:
            matches = [f"t.{keys.quoted[0]} = w.value"]
        else:
            matches = [
                f"t.{quoted} = json_extract(w.value, '$[{index}]')"
                for index, quoted in enumerate(keys.quoted)
            ]
        sql = (
            f"SELECT {selected} FROM json_each(?) AS w CROSS JOIN {target} AS t "
            f"WHERE t.tenant_id = ? AND {' AND '.join(matches)}"
        )
    else:
        arrays = ", ".join(
            f"%s::{_pg_array_type(dialect, table, name, kind)}"
            for name, kind in zip(key_names, keys.kinds, strict=True)
        )
        aliases = ", ".join(f"k{index}" for index in range(len(key_names)))
        matches = [f"t.{quoted} = w.k{index}" for index, quoted in enumerate(keys.quoted)]
        sql = (
            f"SELECT {selected} FROM unnest({arrays}) AS w({aliases}) JOIN {target} AS t "
            f"ON t.tenant_id = %s AND {' AND '.join(matches)}"
        )
    codec = codec_for(dialect)
    decoders = tuple(
        (index, convert)
        for index, name in enumerate(names)
        if (convert := decoder(column_kind(table.c[name].type, dialect), codec)) is not None
    )
    return _Select(sql, keys, decoders)


def select_by_keys(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    tenant_id: str,
    key_names: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
) -> list[list[Any]]:
    """The `names` values of a tenant's rows whose `key_names` equal one of `keys`.

    `key_names` should complete tenant_id to a primary or unique key (or a prefix of one), so
    that each key is one index probe. Raises UnsupportedType for a column codecs do not handle.
    """
    plan = _select_plan(connection.dialect, table, tuple(names), tuple(key_names))
    wanted = list(keys)
    if not wanted:
        return []
    columns = _encode_columns(plan.keys, wanted)
    parameters: tuple[Any, ...]
    if connection.dialect.name == "sqlite":
        document = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
        parameters = (orjson.dumps(list(document)).decode(), tenant_id)
    else:
        parameters = (*(list(column) for column in columns), tenant_id)
    rows = connection.exec_driver_sql(plan.sql, parameters).fetchall()
    if not plan.decoders:
        return [list(row) for row in rows]
    decoded = []
    for row in rows:
        values = list(row)
        for index, convert in plan.decoders:
            values[index] = convert(values[index])
        decoded.append(values)
    return decoded


# --------------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class _Insert:
    columns: _Columns
    head: str  # INSERT INTO t (...) for SQLite; the whole statement for PostgreSQL
    row: str  # one VALUES row, SQLite only
    tail: str  # ON CONFLICT ... [RETURNING ...]


@lru_cache(maxsize=64)
def _insert_plan(
    dialect: Dialect,
    table: Table,
    names: tuple[str, ...],
    conflict: Conflict,
    returning: str | None,
) -> _Insert:
    columns = _columns(dialect, table, names)
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    if conflict == "nothing":
        tail = " ON CONFLICT DO NOTHING"
    else:
        keys = [column.name for column in table.primary_key.columns]
        updates = ", ".join(
            f"{quoted} = excluded.{quoted}"
            for name, quoted in zip(names, columns.quoted, strict=True)
            if name not in keys
        )
        tail = f" ON CONFLICT ({', '.join(quote(key) for key in keys)}) DO UPDATE SET {updates}"
    if returning is not None:
        tail += f" RETURNING {quote(returning)}"
    into = f"INSERT INTO {target} ({', '.join(columns.quoted)})"
    if dialect.name == "sqlite":
        return _Insert(columns, into, f"({', '.join('?' for _ in names)})", tail)
    arrays = ", ".join(
        f"%s::{_pg_array_type(dialect, table, name, kind)}"
        for name, kind in zip(names, columns.kinds, strict=True)
    )
    aliases = [f"c{index}" for index in range(len(names))]
    selected = ", ".join(
        f"w.{alias}::jsonb" if kind == "json" else f"w.{alias}"
        for alias, kind in zip(aliases, columns.kinds, strict=True)
    )
    head = f"{into} SELECT {selected} FROM unnest({arrays}) AS w({', '.join(aliases)})"
    return _Insert(columns, head, "", tail)


@lru_cache(maxsize=128)
def _values_sql(plan: _Insert, count: int) -> str:
    return f"{plan.head} VALUES {', '.join([plan.row] * count)}{plan.tail}"


def _sqlite_rows_per_statement(connection: Connection, width: int) -> int:
    # SQLite caps the bound parameters of one statement (32766 by default since 3.32).
    driver = connection.connection.driver_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if driver else 999
    return max(1, min(500, limit // width))


def _unique_last(table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> Any:
    # One INSERT may not update a row twice on PostgreSQL; executing rows one after the
    # other would leave the last of them, so keep that one.
    positions = [names.index(column.name) for column in table.primary_key.columns]
    return list({tuple(row[p] for p in positions): row for row in rows}.values())


def insert_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    conflict: Conflict,
    returning: str | None = None,
) -> list[Any]:
    """INSERT rows (tuples of `names`' values); on a conflict update all non-key columns or
    skip the row. Returns the `returning` column of the rows inserted or updated, else [].

    Raises UnsupportedType for a column the codecs do not handle.
    """
    if not rows:
        return []
    key = tuple(names)
    plan = _insert_plan(connection.dialect, table, key, conflict, returning)
    if connection.dialect.name == "postgresql":
        if conflict == "update":
            rows = _unique_last(table, key, rows)
        columns = _encode_columns(plan.columns, rows)
        result = connection.exec_driver_sql(
            plan.head + plan.tail, tuple(list(column) for column in columns)
        )
        return list(result.scalars()) if returning is not None else []
    encoded = list(zip(*_encode_columns(plan.columns, rows), strict=True))
    if returning is None:
        connection.exec_driver_sql(_values_sql(plan, 1), encoded)
        return []
    step = _sqlite_rows_per_statement(connection, len(key))
    returned: list[Any] = []
    for start in range(0, len(encoded), step):
        chunk = encoded[start : start + step]
        flat = tuple(value for row in chunk for value in row)
        returned.extend(connection.exec_driver_sql(_values_sql(plan, len(chunk)), flat).scalars())
    return returned


__all__ = ["UnsupportedType", "insert_rows", "select_by_keys", "supports"]
