"""Repository for certificates: signing keys, issued credentials and revocation status lists."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from stride.store.tables import credential_status_lists, credentials, tenant_signing_keys


@dataclass(frozen=True)
class KeyRow:
    tenant_id: str
    kid: str
    algorithm: str
    private_jwk: dict[str, Any]
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class CredentialRow:
    tenant_id: str
    credential_id: str
    learner_key: str
    program_id: str
    issued_at: datetime
    valid_until: datetime | None
    jwt: str
    verification_code: str
    list_id: int
    status_index: int
    revoked_at: datetime | None
    revocation_reason: str | None


@dataclass(frozen=True)
class StatusListRow:
    tenant_id: str
    list_id: int
    bits: bytes
    next_index: int
    updated_at: datetime


def _key(row: Any) -> KeyRow:
    values = dict(row._mapping)
    values["private_jwk"] = json.loads(values["private_jwk"])
    return KeyRow(**values)


def active_key(connection: Connection, tenant_id: str) -> KeyRow | None:
    """The tenant's newest key that is not retired."""
    query = (
        select(tenant_signing_keys)
        .where(
            tenant_signing_keys.c.tenant_id == tenant_id,
            tenant_signing_keys.c.retired_at.is_(None),
        )
        .order_by(tenant_signing_keys.c.created_at.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return _key(row) if row else None


def get_key(connection: Connection, tenant_id: str, kid: str) -> KeyRow | None:
    query = select(tenant_signing_keys).where(
        tenant_signing_keys.c.tenant_id == tenant_id, tenant_signing_keys.c.kid == kid
    )
    row = connection.execute(query).first()
    return _key(row) if row else None


def public_keys(connection: Connection, tenant_id: str) -> list[dict[str, Any]]:
    """Every key's public JWK, retired ones too: they still verify what they signed."""
    query = (
        select(tenant_signing_keys.c.public_jwk)
        .where(tenant_signing_keys.c.tenant_id == tenant_id)
        .order_by(tenant_signing_keys.c.created_at)
    )
    return [dict(jwk) for jwk in connection.execute(query).scalars()]


def insert_key(connection: Connection, key: KeyRow) -> None:
    values = {**key.__dict__, "private_jwk": json.dumps(key.private_jwk)}
    connection.execute(tenant_signing_keys.insert().values(**values))


def retire_keys(connection: Connection, tenant_id: str, now: datetime) -> list[str]:
    """Retire every active key of the tenant; returns their kids."""
    active = tenant_signing_keys.c.retired_at.is_(None)
    query = select(tenant_signing_keys.c.kid).where(
        tenant_signing_keys.c.tenant_id == tenant_id, active
    )
    kids = list(connection.execute(query).scalars())
    if kids:
        connection.execute(
            update(tenant_signing_keys)
            .where(tenant_signing_keys.c.tenant_id == tenant_id, active)
            .values(retired_at=now)
        )
    return kids


def insert_credential(connection: Connection, row: CredentialRow) -> None:
    connection.execute(credentials.insert().values(**row.__dict__))


def get_credential(
    connection: Connection, tenant_id: str, credential_id: str
) -> CredentialRow | None:
    query = select(credentials).where(
        credentials.c.tenant_id == tenant_id, credentials.c.credential_id == credential_id
    )
    row = connection.execute(query).first()
    return CredentialRow(**row._mapping) if row else None


def find_by_code(connection: Connection, code: str) -> CredentialRow | None:
    """The credential with this verification code, in whichever tenant (codes are global)."""
    row = connection.execute(
        select(credentials).where(credentials.c.verification_code == code)
    ).first()
    return CredentialRow(**row._mapping) if row else None


def code_taken(connection: Connection, code: str) -> bool:
    query = select(credentials.c.credential_id).where(credentials.c.verification_code == code)
    return connection.execute(query).first() is not None


def learner_credentials(
    connection: Connection, tenant_id: str, learner_key: str, program_id: str | None = None
) -> list[CredentialRow]:
    """The learner's credentials (of one program), oldest first."""
    query = select(credentials).where(
        credentials.c.tenant_id == tenant_id, credentials.c.learner_key == learner_key
    )
    if program_id is not None:
        query = query.where(credentials.c.program_id == program_id)
    rows = connection.execute(query.order_by(credentials.c.issued_at))
    return [CredentialRow(**row._mapping) for row in rows]


def tenant_credentials(connection: Connection, tenant_id: str) -> list[CredentialRow]:
    query = (
        select(credentials)
        .where(credentials.c.tenant_id == tenant_id)
        .order_by(credentials.c.issued_at, credentials.c.credential_id)
    )
    return [CredentialRow(**row._mapping) for row in connection.execute(query)]


def mark_revoked(
    connection: Connection, tenant_id: str, credential_id: str, now: datetime, reason: str
) -> None:
    connection.execute(
        update(credentials)
        .where(
            credentials.c.tenant_id == tenant_id,
            credentials.c.credential_id == credential_id,
            credentials.c.revoked_at.is_(None),
        )
        .values(revoked_at=now, revocation_reason=reason)
    )


def get_status_list(
    connection: Connection, tenant_id: str, list_id: int, for_update: bool = False
) -> StatusListRow | None:
    query = select(credential_status_lists).where(
        credential_status_lists.c.tenant_id == tenant_id,
        credential_status_lists.c.list_id == list_id,
    )
    if for_update and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return StatusListRow(**row._mapping) if row else None


def last_status_list(connection: Connection, tenant_id: str) -> StatusListRow | None:
    """The tenant's newest list, locked on PostgreSQL: its `next_index` is handed out next."""
    query = (
        select(credential_status_lists)
        .where(credential_status_lists.c.tenant_id == tenant_id)
        .order_by(credential_status_lists.c.list_id.desc())
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return StatusListRow(**row._mapping) if row else None


def insert_status_list(connection: Connection, row: StatusListRow) -> None:
    connection.execute(credential_status_lists.insert().values(**row.__dict__))


def save_status_list(connection: Connection, row: StatusListRow) -> None:
    connection.execute(
        update(credential_status_lists)
        .where(
            credential_status_lists.c.tenant_id == row.tenant_id,
            credential_status_lists.c.list_id == row.list_id,
        )
        .values(bits=row.bits, next_index=row.next_index, updated_at=row.updated_at)
    )
