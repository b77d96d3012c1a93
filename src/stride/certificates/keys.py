"""A tenant's issuing keys: made on first use, published as a JWKS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from stride.certificates.signing import ALGORITHM, SigningKey, generate_key
from stride.store import credentials as repo


def issuing_key(connection: Connection, tenant_id: str, now: datetime) -> SigningKey:
    """The tenant's active key; the first call makes one. Run it in a write transaction.

    Keys are made here rather than by the migration: the private key is sealed with the
    master key, which only the application holds.
    """
    row = repo.active_key(connection, tenant_id)
    if row is not None:
        return SigningKey(row.kid, row.private_jwk, row.public_jwk)
    key = generate_key(tenant_id)
    repo.insert_key(
        connection,
        repo.KeyRow(tenant_id, key.kid, ALGORITHM, key.private_jwk, key.public_jwk, now, None),
    )
    return key


@dataclass(frozen=True)
class Rotation:
    kid: str  # the key that signs from now on
    retired: list[str]  # the keys it replaces: still published, so what they signed verifies


def rotate_issuing_key(connection: Connection, tenant_id: str, now: datetime) -> Rotation:
    """Retire the active key and make a new one. Run it in a write transaction."""
    retired = repo.retire_keys(connection, tenant_id, now)
    key = generate_key(tenant_id)
    repo.insert_key(
        connection,
        repo.KeyRow(tenant_id, key.kid, ALGORITHM, key.private_jwk, key.public_jwk, now, None),
    )
    return Rotation(key.kid, retired)


def signing_key_of(connection: Connection, tenant_id: str) -> SigningKey | None:
    """The active key without making one (None before the tenant's first issuance)."""
    row = repo.active_key(connection, tenant_id)
    return SigningKey(row.kid, row.private_jwk, row.public_jwk) if row else None


def public_jwks(connection: Connection, tenant_id: str) -> dict[str, Any]:
    """The JWKS of the tenant's keys (empty before its first issuance)."""
    return {"keys": repo.public_keys(connection, tenant_id)}


def tenant_of_kid(kid: str) -> str | None:
    """The tenant a kid names (`<tenant id>:<thumbprint>`), or None when it is not one."""
    tenant_id, colon, thumbprint = kid.partition(":")
    return tenant_id if colon and tenant_id and thumbprint else None
