"""Repository for the xAPI State, Activity Profile and Agent Profile documents (xapi_documents)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, select, update

from stride.store.tables import xapi_documents as table
from stride.store.upsert import insert_new_returning


@dataclass(frozen=True)
class DocumentContext:
    """Where documents live, resolved to index keys: None is no activity, agent or registration."""

    kind: str
    activity_key: str | None = None
    learner_key: str | None = None
    registration: str | None = None


@dataclass(frozen=True)
class StoredDocument:
    document_id: str
    content_type: str
    updated: datetime
    sealed: str


def document_key(context: DocumentContext, document_id: str) -> str:
    """A fixed-size key for a document's full address (ids may be of any length)."""
    parts = (
        context.kind,
        context.activity_key or "",
        context.learner_key or "",
        context.registration or "",
        document_id,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _in_context(tenant_id: str, context: DocumentContext) -> list[ColumnElement[bool]]:
    """The context's documents; those of every registration unless the context names one."""
    c = table.c
    where = [c.tenant_id == tenant_id, c.kind == context.kind]
    for column, value in (
        (c.activity_key, context.activity_key),
        (c.learner_key, context.learner_key),
    ):
        where.append(column.is_(None) if value is None else column == value)
    if context.registration is not None:
        where.append(c.registration == context.registration)
    return where


def get_document(
    connection: Connection,
    tenant_id: str,
    context: DocumentContext,
    document_id: str,
    for_update: bool = False,
) -> StoredDocument | None:
    """The document, locked until the transaction ends when `for_update` (PostgreSQL)."""
    query = select(table.c.document_id, table.c.content_type, table.c.updated, table.c.content)
    query = query.where(
        table.c.tenant_id == tenant_id, table.c.doc_key == document_key(context, document_id)
    )
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else StoredDocument(row[0], row[1], row[2], row[3])


def insert_document(
    connection: Connection,
    tenant_id: str,
    context: DocumentContext,
    document_id: str,
    content_type: str,
    sealed: str,
    updated: datetime,
) -> bool:
    """Insert a new document; False when a concurrent writer stored one at this address first."""
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "doc_key": document_key(context, document_id),
        "kind": context.kind,
        "activity_key": context.activity_key,
        "learner_key": context.learner_key,
        "registration": context.registration,
        "document_id": document_id,
        "content_type": content_type,
        "updated": updated,
        "content": sealed,
    }
    return bool(insert_new_returning(connection, table, [row], "doc_key"))


def replace_document(
    connection: Connection,
    tenant_id: str,
    context: DocumentContext,
    document_id: str,
    content_type: str,
    sealed: str,
    updated: datetime,
) -> None:
    connection.execute(
        update(table)
        .where(
            table.c.tenant_id == tenant_id, table.c.doc_key == document_key(context, document_id)
        )
        .values(content_type=content_type, content=sealed, updated=updated)
    )


def delete_document(
    connection: Connection, tenant_id: str, context: DocumentContext, document_id: str
) -> int:
    result = connection.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id, table.c.doc_key == document_key(context, document_id)
        )
    )
    return int(result.rowcount)


def delete_documents(connection: Connection, tenant_id: str, context: DocumentContext) -> int:
    """Delete every document of the context (any registration unless the context names one)."""
    result = connection.execute(delete(table).where(*_in_context(tenant_id, context)))
    return int(result.rowcount)


def list_documents(
    connection: Connection, tenant_id: str, context: DocumentContext, since: datetime | None
) -> list[tuple[str, datetime]]:
    """(id, updated) of the context's documents updated after `since` (any registration
    unless the context names one), ordered by id."""
    query = select(table.c.document_id, table.c.updated).where(*_in_context(tenant_id, context))
    if since is not None:
        query = query.where(table.c.updated > since)
    return [(row[0], row[1]) for row in connection.execute(query.order_by(table.c.document_id))]
