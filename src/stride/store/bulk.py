"""Batch reads and writes by key, with SQL built once per table for SQLite and PostgreSQL.

SQLAlchemy would compile statements whose shape depends on the batch (a VALUES list, a
multi-row INSERT) and run every value through its type processors; at ingest rates that
costs more than the database work. Here a statement's text depends only on the table and
columns, so it is built once, and values are converted column by column (see codecs).

Reads join the table to the wanted keys, passed as ONE JSON parameter, and make the database
probe the primary key (or unique) index once per key, whatever its statistics say:

- SQLite: `json_each(?) AS w CROSS JOIN t`; CROSS JOIN fixes json_each as the outer loop
  (the planner would otherwise scan all of the tenant's rows).
- PostgreSQL: `jsonb_array_elements(%s::jsonb) AS w CROSS JOIN LATERAL (SELECT ... OFFSET 0)`;
  OFFSET 0 keeps the subquery from being merged into a join that, on a young table without
  statistics, the planner turns into a hash join over the whole tenant.

Writes are `INSERT ... ON CONFLICT`:

- SQLite: executemany, a C loop over one prepared statement. executemany cannot return
  rows; when the inserted ones are asked for, it still serves if it inserted every row (in a
  savepoint, undone otherwise), else a multi-row INSERT ... VALUES ... RETURNING does.
- PostgreSQL: one `INSERT ... SELECT ... FROM jsonb_array_elements(%s::jsonb)` per batch
  (not unnest of arrays: psycopg renders array parameters in Python, value by value, where
  orjson writes the whole batch in C). jsonb, not json: the document is parsed once, where
  `->>` on a json element parses its text again for every column taken (twice the cost of
  the events' INSERT).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, CursorResult, Select, Table
from sqlalchemy.engine import Dialect

from stride.store.codecs import Convert, Kind, UnsupportedType, codec_for, column_kind

# On a conflict with the primary key: replace the other columns, add to them, or skip the row.
Conflict = Literal["update", "add", "nothing"]
DIALECTS = frozenset({"sqlite", "postgresql"})


def supports(dialect: Dialect) -> bool:
    return dialect.name in DIALECTS


@dataclass(frozen=True)
class _Columns:
    names: tuple[str, ...]
    quoted: tuple[str, ...]
    kinds: tuple[Kind, ...]
    into: tuple[tuple[int, Convert], ...]  # (position, conversion) on the way in
    out: tuple[tuple[int, Convert], ...]  # (position, conversion) on the way out


def _columns(dialect: Dialect, table: Table, names: Sequence[str]) -> _Columns:
    codec = codec_for(dialect)
    kinds = tuple(column_kind(table.c[name].type, dialect) for name in names)
    return _Columns(
        tuple(names),
        tuple(dialect.identifier_preparer.quote(name) for name in names),
        kinds,
        tuple((i, codec.into[kind]) for i, kind in enumerate(kinds) if kind in codec.into),
        tuple((i, codec.out[kind]) for i, kind in enumerate(kinds) if kind in codec.out),
    )


def _encode(columns: _Columns, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with the values of the columns that need it converted, column by column."""
    if not columns.into:
        return list(rows)
    transposed: list[Any] = list(zip(*rows, strict=True))
    for index, convert in columns.into:
        transposed[index] = list(map(convert, transposed[index]))
    return list(zip(*transposed, strict=True))


def _decode(columns: _Columns, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    decoded = []
    for row in rows:
        values = list(row)
        for index, convert in columns.out:
            values[index] = convert(values[index])
        decoded.append(values)
    return decoded


def _json_rows(rows: list[tuple[Any, ...]], flat: bool = False) -> str:
    return orjson.dumps([row[0] for row in rows] if flat else rows).decode()


def _pg_value(dialect: Dialect, table: Table, name: str, kind: Kind, index: int | None) -> str:
    """SQL for the value of column `name` in JSON element `w.value`: the element itself when
    it is a text (index None), else item `index` of the array, cast to the column's type."""
    # ->> gives an item as text, -> as JSON (kept whole for a JSON column).
    operator = "->" if kind == "json" else "->>"
    text = "w.value" if index is None else f"(w.value {operator} {index})"
    if kind == "string":
        # No cast: assigning text to a varchar(n) column raises on overlong values as before,
        # where an explicit cast would silently truncate them.
        return text
    return f"CAST({text} AS {table.c[name].type.compile(dialect=dialect)})"


# ---------------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class _Select:
    sql: str
    keys: _Columns
    columns: _Columns


@lru_cache(maxsize=64)
def _select_plan(
    dialect: Dialect, table: Table, names: tuple[str, ...], key_names: tuple[str, ...]
) -> _Select:
    keys = _columns(dialect, table, key_names)
    if "json" in keys.kinds:
        raise UnsupportedType("JSON key column")
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    single = len(key_names) == 1
    if dialect.name == "sqlite":
        matches = [
            f"t.{quoted} = " + ("w.value" if single else f"json_extract(w.value, '$[{i}]')")
            for i, quoted in enumerate(keys.quoted)
        ]
        sql = (
            f"SELECT {', '.join(f't.{quote(name)}' for name in names)} "
            f"FROM json_each(?) AS w CROSS JOIN {target} AS t "
            f"WHERE t.tenant_id = ? AND {' AND '.join(matches)}"
        )
    else:
        # A text array is split as text; arrays of keys as jsonb, parsed once (->> on a json
        # element would parse its text again for every item taken).
        elements = (
            "json_array_elements_text(%s::json)" if single else "jsonb_array_elements(%s::jsonb)"
        )
        matches = [
            f"x.{quoted} = " + _pg_value(dialect, table, name, kind, None if single else i)
            for i, (name, quoted, kind) in enumerate(
                zip(key_names, keys.quoted, keys.kinds, strict=True)
            )
        ]
        sql = (
            f"SELECT {', '.join(f't.{quote(name)}' for name in names)} "
            f"FROM {elements} AS w(value) CROSS JOIN LATERAL ("
            f"SELECT {', '.join(f'x.{quote(name)}' for name in names)} FROM {target} AS x "
            f"WHERE x.tenant_id = %s AND {' AND '.join(matches)} OFFSET 0) AS t"
        )
    return _Select(sql, keys, _columns(dialect, table, names))


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
    wanted = _encode(plan.keys, list(keys))
    if not wanted:
        return []
    document = _json_rows(wanted, flat=len(key_names) == 1)
    rows = driver_rows(connection.exec_driver_sql(plan.sql, (document, tenant_id)))
    return _decode(plan.columns, rows)


def driver_rows(result: CursorResult[Any]) -> Sequence[Any]:
    """All rows of a statement executed through SQLAlchemy (its transaction, with the tenant
    setting PostgreSQL's row security reads), as the driver's plain tuples: for reads of
    thousands of rows, SQLAlchemy's rows and type processing cost more than the read."""
    try:
        return result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()


@lru_cache(maxsize=64)
def _read_columns(dialect: Dialect, table: Table, names: tuple[str, ...]) -> _Columns:
    return _columns(dialect, table, names)


def fetch_decoded(
    connection: Connection, query: Select[Any], table: Table, names: Sequence[str]
) -> list[list[Any]]:
    """Execute `query`, which selects the columns `names` of `table` in that order, and
    return its `driver_rows` with their values converted by the codecs (the log's pages).
    Raises UnsupportedType for a column codecs do not handle."""
    columns = _read_columns(connection.dialect, table, tuple(names))
    return _decode(columns, driver_rows(connection.execute(query)))


def select_by_learners(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    tenant_id: str,
    learner_keys: Iterable[str],
) -> list[list[Any]]:
    """The `names` values of all rows of the learners named, for a table whose key starts
    with (tenant_id, learner_key): one index probe per learner."""
    wanted = [(key,) for key in learner_keys]
    return select_by_keys(connection, table, names, tenant_id, ("learner_key",), wanted)


# --------------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class _Insert:
    columns: _Columns
    sql: str  # on SQLite with one VALUES row
    head: str  # "INSERT INTO t (...)"
    row: str  # SQLite: "(?, ...)"
    tail: str  # " ON CONFLICT ... [RETURNING ...]"


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
        stored = "{target}.{quoted} + " if conflict == "add" else ""
        updates = ", ".join(
            f"{quoted} = {stored.format(target=target, quoted=quoted)}excluded.{quoted}"
            for name, quoted in zip(names, columns.quoted, strict=True)
            if name not in keys
        )
        tail = f" ON CONFLICT ({', '.join(quote(key) for key in keys)}) DO UPDATE SET {updates}"
    if returning is not None:
        tail += f" RETURNING {quote(returning)}"
    head = f"INSERT INTO {target} "
    head += f"({', '.join(columns.quoted)})"
    if dialect.name == "sqlite":
        row = f"({', '.join('?' for _ in names)})"
        return _Insert(columns, f"{head} VALUES {row}{tail}", head, row, tail)
    selected = ", ".join(
        _pg_value(dialect, table, name, kind, i)
        for i, (name, kind) in enumerate(zip(names, columns.kinds, strict=True))
    )
    sql = f"{head} SELECT {selected} FROM jsonb_array_elements(%s::jsonb) AS w(value){tail}"
    return _Insert(columns, sql, head, "", tail)


@lru_cache(maxsize=128)
def _multi_row_sql(plan: _Insert, count: int) -> str:
    return f"{plan.head} VALUES {', '.join([plan.row] * count)}{plan.tail}"


def _sqlite_rows_per_statement(connection: Connection, width: int) -> int:
    # SQLite caps the parameters of one statement (32766 by default since 3.32).
    driver = connection.connection.driver_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if driver else 999
    return max(1, min(500, limit // width))


def _last_per_key(table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> Any:
    # One INSERT may not update a row twice on PostgreSQL; executing the rows one after the
    # other would leave the last of them, so that is the one to keep.
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
    """INSERT rows (tuples of `names`' values); on a conflict with the primary key replace
    the non-key columns, add the row's values to them (rows must then have distinct keys), or
    skip the row. Returns the `returning` column of the rows written, else [].

    Raises UnsupportedType, before writing anything, for a column codecs do not handle.
    """
    if not rows:
        return []
    key = tuple(names)
    plan = _insert_plan(connection.dialect, table, key, conflict, returning)
    if connection.dialect.name == "postgresql":
        if conflict == "update":
            rows = _last_per_key(table, key, rows)
        result = connection.exec_driver_sql(plan.sql, (_json_rows(_encode(plan.columns, rows)),))
        return list(result.scalars()) if returning is not None else []
    encoded = _encode(plan.columns, rows)
    if returning is None:
        connection.exec_driver_sql(plan.sql, encoded)
        return []
    if conflict == "nothing":
        inserted = _sqlite_insert_all(connection, table, key, encoded, returning)
        if inserted is not None:
            return inserted
    step = _sqlite_rows_per_statement(connection, len(key))
    returned: list[Any] = []
    for start in range(0, len(encoded), step):
        chunk = encoded[start : start + step]
        flat = tuple(value for row in chunk for value in row)
        sql = _multi_row_sql(plan, len(chunk))
        returned.extend(connection.exec_driver_sql(sql, flat).scalars())
    return returned


def insert_new_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    tenant_id: str,
    rows: Collection[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """Insert the tenant's rows (values of `names`, which with tenant_id make the table's
    whole primary key) not stored yet, and return them.

    PostgreSQL: one INSERT ... ON CONFLICT DO NOTHING RETURNING. SQLite, whose executemany
    returns nothing: read the stored ones first, then insert the rest (one writer at a time,
    so nothing can come in between).
    """
    if not rows:
        return []
    key = ("tenant_id", *names)
    if connection.dialect.name == "postgresql":
        plan = _insert_plan(connection.dialect, table, key, "nothing", None)
        sql = f"{plan.sql} RETURNING {', '.join(plan.columns.quoted[1:])}"
        document = _json_rows(_encode(plan.columns, [(tenant_id, *row) for row in rows]))
        result = connection.exec_driver_sql(sql, (document,))
        returned = _columns(connection.dialect, table, names)
        return [tuple(row) for row in _decode(returned, result)]
    stored = select_by_keys(connection, table, names, tenant_id, names, rows)
    found = {tuple(row) for row in stored}
    fresh = [row for row in rows if row not in found]
    insert_rows(connection, table, key, [(tenant_id, *row) for row in fresh], "nothing")
    return fresh


def _sqlite_insert_all(
    connection: Connection,
    table: Table,
    names: tuple[str, ...],
    encoded: list[tuple[Any, ...]],
    returning: str,
) -> list[Any] | None:
    """Insert with executemany, returning `returning` of all rows if none was skipped; else
    undo and give None, for the caller to insert them with RETURNING.

    Rows are nearly always all new (callers look for stored ones first, and SQLite writers do
    not race), and executemany costs half of a multi-row INSERT ... RETURNING.
    """
    position = names.index(returning) if returning in names else None
    plan = _insert_plan(connection.dialect, table, names, "nothing", None)
    if position is None or plan.columns.kinds[position] not in ("string", "integer"):
        return None  # the value returned would not be the value sent
    with connection.begin_nested() as savepoint:
        if connection.exec_driver_sql(plan.sql, encoded).rowcount == len(encoded):
            return [row[position] for row in encoded]
        savepoint.rollback()
    return None
