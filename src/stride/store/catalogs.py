"""Repository for tenants' catalogs: the applied document, its version and a parsed cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from stride.catalog import Catalog, catalog_document, parse_catalog
from stride.store.tables import catalogs


@dataclass(frozen=True)
class StoredCatalog:
    version: int
    applied_at: datetime
    catalog: Catalog


def catalog_version(connection: Connection, tenant_id: str) -> int | None:
    return connection.execute(
        select(catalogs.c.version).where(catalogs.c.tenant_id == tenant_id)
    ).scalar_one_or_none()


def load_catalog(connection: Connection, tenant_id: str) -> StoredCatalog | None:
    """The tenant's catalog; parsed once per version and process, then served from memory."""
    head = connection.execute(
        select(catalogs.c.version, catalogs.c.applied_at).where(catalogs.c.tenant_id == tenant_id)
    ).first()
    if head is None:
        return None
    catalog = _PARSED.get((tenant_id, head.version))
    if catalog is not None:
        return StoredCatalog(head.version, head.applied_at, catalog)
    # Version and document in one read: another process may apply a new catalog meanwhile.
    row = connection.execute(
        select(catalogs.c.version, catalogs.c.applied_at, catalogs.c.document).where(
            catalogs.c.tenant_id == tenant_id
        )
    ).one()
    catalog = parse_catalog(row.document)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[(tenant_id, row.version)] = catalog
    return StoredCatalog(row.version, row.applied_at, catalog)


# Parsed catalogs by (tenant, version): a version never changes, so entries never go stale.
_PARSED: dict[tuple[str, int], Catalog] = {}
_PARSED_MAX = 64


def save_catalog(
    connection: Connection, tenant_id: str, catalog: Catalog, now: datetime
) -> tuple[int, str | None]:
    """Store `catalog` as the tenant's; return its version and the previous mastery fingerprint."""
    previous = connection.execute(
        select(catalogs.c.version, catalogs.c.mastery_fingerprint).where(
            catalogs.c.tenant_id == tenant_id
        )
    ).first()
    document: dict[str, Any] = catalog_document(catalog)
    values = {
        "document": document,
        "mastery_fingerprint": catalog.mastery_fingerprint(),
        "applied_at": now,
    }
    if previous is None:
        version = 1
        connection.execute(catalogs.insert().values(tenant_id=tenant_id, version=version, **values))
        return version, None
    version = previous.version + 1
    connection.execute(
        catalogs.update().where(catalogs.c.tenant_id == tenant_id).values(version=version, **values)
    )
    return version, previous.mastery_fingerprint


def catalog_document_of(
    connection: Connection, tenant_id: str
) -> tuple[int, datetime, dict[str, Any]] | None:
    row = connection.execute(
        select(catalogs.c.version, catalogs.c.applied_at, catalogs.c.document).where(
            catalogs.c.tenant_id == tenant_id
        )
    ).first()
    return (row.version, row.applied_at, row.document) if row else None
