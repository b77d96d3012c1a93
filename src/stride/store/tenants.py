"""Repository for tenants and their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from stride.store.tables import api_keys, tenants


@dataclass(frozen=True)
class TenantRow:
    id: str
    name: str
    learner_secret: str
    signing_key: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKeyRow:
    id: str
    tenant_id: str
    role: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None


def insert_tenant(connection: Connection, tenant: TenantRow) -> None:
    connection.execute(tenants.insert().values(**tenant.__dict__))


def get_tenant(connection: Connection, tenant_id: str) -> TenantRow | None:
    row = connection.execute(select(tenants).where(tenants.c.id == tenant_id)).first()
    return TenantRow(**row._mapping) if row else None


def find_tenant_by_name(connection: Connection, name: str) -> TenantRow | None:
    row = connection.execute(select(tenants).where(tenants.c.name == name)).first()
    return TenantRow(**row._mapping) if row else None


def list_tenants(connection: Connection) -> list[TenantRow]:
    rows = connection.execute(select(tenants).order_by(tenants.c.created_at))
    return [TenantRow(**row._mapping) for row in rows]


def insert_api_key(connection: Connection, key: ApiKeyRow) -> None:
    connection.execute(api_keys.insert().values(**key.__dict__))


def get_api_key(connection: Connection, key_id: str) -> ApiKeyRow | None:
    row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    return ApiKeyRow(**row._mapping) if row else None


def list_api_keys(connection: Connection, tenant_id: str) -> list[ApiKeyRow]:
    rows = connection.execute(
        select(api_keys).where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.created_at)
    )
    return [ApiKeyRow(**row._mapping) for row in rows]


def get_key_with_tenant(connection: Connection, key_id: str) -> tuple[ApiKeyRow, TenantRow] | None:
    """A key and its tenant in one round trip (every authenticated request asks for both)."""
    row = connection.execute(
        select(
            *api_keys.c,
            tenants.c.name.label("tenant_name"),
            tenants.c.learner_secret,
            tenants.c.signing_key,
            tenants.c.created_at.label("tenant_created_at"),
        )
        .join(tenants, tenants.c.id == api_keys.c.tenant_id)
        .where(api_keys.c.id == key_id)
    ).first()
    if row is None:
        return None
    key = ApiKeyRow(**{column.name: row._mapping[column.name] for column in api_keys.c})
    tenant = TenantRow(
        row.tenant_id, row.tenant_name, row.learner_secret, row.signing_key, row.tenant_created_at
    )
    return key, tenant


def mark_api_key_revoked(connection: Connection, key_id: str, at: datetime) -> None:
    connection.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
