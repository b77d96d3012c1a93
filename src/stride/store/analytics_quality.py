"""Repository for the data-quality counts ingest keeps (ingest_outcomes, ingest_timing).

Written by adding a batch's tally to the stored counts (INSERT ... ON CONFLICT DO UPDATE SET
count = count + excluded.count): sums commute, so concurrent batches need no read first. On
PostgreSQL concurrent batches update the same rows (today's "accepted"), so rows are written
in key order (no deadlock) and as the transaction's last statements (locks held briefly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Table, case, func, select
from sqlalchemy.engine import Dialect

from stride.store.codecs import POSTGRESQL, SQLITE, Convert, codec_for, column_kind
from stride.store.tables import ingest_outcomes, ingest_timing, pii_findings

if TYPE_CHECKING:
    from stride.analytics.quality_tally import IngestTally


@lru_cache(maxsize=8)
def _plan(table: Table, dialect: Dialect) -> tuple[str, tuple[tuple[int, Convert], ...]]:
    """The additive INSERT of one dialect, and the conversions its values need (see codecs).

    SQLite runs it over the rows in C (executemany); PostgreSQL reads all rows from one JSON
    parameter. Either way SQLAlchemy's per-value type processing, which would cost more than
    the database work, is skipped (as in store.bulk).
    """
    names = [column.name for column in table.columns]
    keys = ", ".join(column.name for column in table.primary_key.columns)
    tail = f" ON CONFLICT ({keys}) DO UPDATE SET count = {table.name}.count + excluded.count"
    if dialect.name == "sqlite":
        values = f"VALUES ({', '.join('?' for _ in names)})"
        codec = SQLITE
    else:
        selected = [
            f"w.value ->> {i}"
            if column_kind(column.type, dialect) == "string"
            else f"CAST(w.value ->> {i} AS {column.type.compile(dialect=dialect)})"
            for i, column in enumerate(table.columns)
        ]
        values = f"SELECT {', '.join(selected)} FROM jsonb_array_elements(%s::jsonb) AS w(value)"
        codec = POSTGRESQL
    kinds = [column_kind(column.type, dialect) for column in table.columns]
    conversions = tuple((i, codec.into[k]) for i, k in enumerate(kinds) if k in codec.into)
    return f"INSERT INTO {table.name} ({', '.join(names)}) {values}{tail}", conversions


def _add_counts(connection: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """Add rows (values of every column in table order) to the stored counts, in their order."""
    if not rows:
        return
    sql, conversions = _plan(table, connection.dialect)
    columns: list[Any] = list(zip(*rows, strict=True))
    for i, convert in conversions:
        columns[i] = list(map(convert, columns[i]))
    encoded = list(zip(*columns, strict=True))
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(sql, encoded)
    else:
        connection.exec_driver_sql(sql, (orjson.dumps(encoded).decode(),))


def record_ingest_tally(connection: Connection, tenant_id: str, tally: IngestTally) -> None:
    """Add one batch's outcomes and timing counts (two statements at most), in key order."""
    _add_counts(
        connection,
        ingest_outcomes,
        [(tenant_id, tally.day, *key, n) for key, n in sorted(tally.outcomes.items())],
    )
    _add_counts(
        connection,
        ingest_timing,
        [(tenant_id, *key, n) for key, n in sorted(tally.timing.items())],
    )


@dataclass(frozen=True)
class OutcomeCount:
    day: date
    status: str
    reason: str
    path: str
    message: str
    count: int


def outcome_counts(
    connection: Connection, tenant_id: str, first: date, last: date
) -> list[OutcomeCount]:
    """The tenant's outcome rows of days first..last (inclusive)."""
    t = ingest_outcomes
    rows = connection.execute(
        select(t.c.day, t.c.status, t.c.reason, t.c.path, t.c.message, t.c.count.label("n")).where(
            t.c.tenant_id == tenant_id, t.c.day >= first, t.c.day <= last
        )
    )
    return [OutcomeCount(r.day, r.status, r.reason, r.path, r.message, r.n) for r in rows]


def timing_counts(
    connection: Connection, tenant_id: str, series: str, start: datetime, end: datetime
) -> list[tuple[datetime, int, int]]:
    """(at, bucket, count) of one series over [start, end).

    Read by the driver, each distinct `at` decoded once: a year of daily histograms is
    100,000 rows, and SQLAlchemy's per-row processing would cost more than the query.
    """
    codec = codec_for(connection.dialect)
    encode = codec.into.get("instant", _same)
    decode = codec.out.get("instant", _same)
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    sql = (
        f"SELECT at, bucket, count FROM {ingest_timing.name} WHERE tenant_id = {mark} "
        f"AND series = {mark} AND at >= {mark} AND at < {mark}"
    )
    rows = connection.exec_driver_sql(sql, (tenant_id, series, encode(start), encode(end)))
    instants: dict[Any, datetime] = {}
    found = []
    for at, bucket, count in rows.fetchall():
        instant = instants.get(at)
        if instant is None:
            instant = instants[at] = decode(at)
        found.append((instant, bucket, count))
    return found


def _same(value: Any) -> Any:
    return value


def timing_by_period(
    connection: Connection, tenant_id: str, series: str, bounds: list[datetime]
) -> list[tuple[int, int, int]]:
    """(period, bucket, summed count) of one series, period i being [bounds[i], bounds[i+1]).

    Summed by the database: a week or month holds many days of rows. For few periods only
    (each one is a CASE branch).
    """
    t = ingest_timing
    period = case(*((t.c.at < bound, i) for i, bound in enumerate(bounds[1:])))
    rows = connection.execute(
        select(period, t.c.bucket, func.sum(t.c.count))
        .where(
            t.c.tenant_id == tenant_id,
            t.c.series == series,
            t.c.at >= bounds[0],
            t.c.at < bounds[-1],
        )
        .group_by(period, t.c.bucket)
    )
    return [(int(p), int(b), int(n)) for p, b, n in rows]


def first_timing_at(connection: Connection, tenant_id: str, series: str) -> datetime | None:
    """The earliest `at` of a series (the first hour with data, for "volume")."""
    t = ingest_timing
    found: datetime | None = connection.execute(
        select(func.min(t.c.at)).where(t.c.tenant_id == tenant_id, t.c.series == series)
    ).scalar()
    return found


def pii_counts(
    connection: Connection, tenant_id: str, first: date, last: date
) -> Mapping[tuple[date, str, str], int]:
    """(day, kind, action) -> findings of days first..last (see store.privacy)."""
    t = pii_findings
    rows = connection.execute(
        select(t.c.day, t.c.kind, t.c.action, t.c.count.label("n")).where(
            t.c.tenant_id == tenant_id, t.c.day >= first, t.c.day <= last
        )
    )
    return {(r.day, r.kind, r.action): r.n for r in rows}
