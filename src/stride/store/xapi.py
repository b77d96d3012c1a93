"""Repository for the xAPI statements (table xapi_statements)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from stride.store.bulk import select_by_keys
from stride.store.tables import xapi_statements as table
from stride.store.upsert import insert_new_returning


@dataclass(frozen=True)
class StoredStatement:
    seq: int
    statement_id: str
    content_hash: str
    voids: str | None
    voided: bool
    stored: datetime
    sealed: str


@dataclass(frozen=True)
class StatementFilter:
    """The query of GET /xapi/statements, resolved to index keys (None: no condition)."""

    learner_key: str | None = None
    verb_key: str | None = None
    activity_key: str | None = None
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    after: int | None = None  # the `more` cursor: the last seq of the previous page


def _stored(row: Any) -> StoredStatement:
    return StoredStatement(
        row.seq,
        row.statement_id,
        row.content_hash,
        row.voids,
        row.voided,
        row.stored,
        row.statement,
    )


def find_hashes(
    connection: Connection, tenant_id: str, statement_ids: Iterable[str]
) -> dict[str, tuple[str, str | None]]:
    """statement id -> (content hash, the id it voids) of those already stored."""
    wanted = [(statement_id,) for statement_id in statement_ids]
    if not wanted:
        return {}
    rows = select_by_keys(
        connection,
        table,
        ("statement_id", "content_hash", "voids"),
        tenant_id,
        ("statement_id",),
        wanted,
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def voided_by_stored(
    connection: Connection, tenant_id: str, statement_ids: Sequence[str]
) -> set[str]:
    """Those of `statement_ids` a stored voiding statement names (it came before them)."""
    if not statement_ids:
        return set()
    query = select(table.c.voids).where(
        table.c.tenant_id == tenant_id, table.c.voids.in_(list(statement_ids))
    )
    return set(connection.execute(query).scalars())


def insert_statements(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows; return the statement ids inserted (a concurrent writer may have won)."""
    return insert_new_returning(connection, table, rows, "statement_id")


def mark_voided(connection: Connection, tenant_id: str, statement_ids: Sequence[str]) -> None:
    if statement_ids:
        connection.execute(
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.statement_id.in_(list(statement_ids)))
            .values(voided=True)
        )


def get_statement(
    connection: Connection, tenant_id: str, statement_id: str
) -> StoredStatement | None:
    query = select(table).where(
        table.c.tenant_id == tenant_id, table.c.statement_id == statement_id
    )
    row = connection.execute(query).first()
    return _stored(row) if row is not None else None


def query_statements(
    connection: Connection, tenant_id: str, where: StatementFilter, limit: int
) -> list[StoredStatement]:
    """Not-voided statements matching `where`, in `seq` order, at most `limit`."""
    c = table.c
    query = select(table).where(c.tenant_id == tenant_id, c.voided.is_(False))
    for column, value in (
        (c.learner_key, where.learner_key),
        (c.verb_key, where.verb_key),
        (c.activity_key, where.activity_key),
        (c.registration, where.registration),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(c.stored > where.since)
    if where.until is not None:
        query = query.where(c.stored <= where.until)
    if where.after is not None:
        query = query.where(c.seq > where.after if where.ascending else c.seq < where.after)
    query = query.order_by(c.seq if where.ascending else c.seq.desc()).limit(limit)
    return [_stored(row) for row in connection.execute(query)]
