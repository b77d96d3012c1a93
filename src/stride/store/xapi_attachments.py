"""Repository for the content of xAPI statement attachments (table xapi_attachments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from stride.store.tables import xapi_attachments as table
from stride.store.upsert import insert_missing


@dataclass(frozen=True)
class StoredAttachment:
    statement_id: str
    sha2: str
    content_type: str
    sealed: str


def insert_attachments(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store attachment rows; a (statement, sha2) already stored is left as it is."""
    insert_missing(connection, table, rows)


def attachments_of(
    connection: Connection, tenant_id: str, statement_ids: Sequence[str]
) -> list[StoredAttachment]:
    """The attachments of these statements, by statement id then sha2."""
    if not statement_ids:
        return []
    c = table.c
    query = (
        select(c.statement_id, c.sha2, c.content_type, c.content)
        .where(c.tenant_id == tenant_id, c.statement_id.in_(list(statement_ids)))
        .order_by(c.statement_id, c.sha2)
    )
    return [StoredAttachment(*row) for row in connection.execute(query)]
