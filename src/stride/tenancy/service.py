"""Creating tenants, issuing and revoking keys, and authenticating requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from stride.errors import InvalidInput, NotFound, Unauthenticated
from stride.privacy.pseudonym import new_tenant_secret
from stride.store import tenants as repo
from stride.tenancy.keys import issue_key, parse_key, secret_matches
from stride.tenancy.roles import KEY_ROLES, Role


@dataclass(frozen=True)
class CreatedTenant:
    tenant_id: str
    name: str
    key_id: str
    api_key: str


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    tenant_id: str
    role: Role
    api_key: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant, the key and its role, and the tenant's learner secret.

    `learner_key` is set for a learner's self-service token: it may touch that learner only.
    """

    tenant_id: str
    key_id: str
    role: Role
    learner_secret: str
    learner_key: str | None = None
    # Maps a learner key to the key of the learner it is an alias of (the API binds one per
    # request; stride.api.deps.learner_key_for applies it). None: no aliases are looked up.
    resolve_learner: Callable[[str], str] | None = field(default=None, compare=False, repr=False)


def create_tenant(connection: Connection, name: str, now: datetime) -> CreatedTenant:
    """Create a tenant with its own learner secret and an admin key.

    Raises InvalidInput when the name is blank or already taken.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("A tenant needs a name.")
    if repo.find_tenant_by_name(connection, name) is not None:
        raise InvalidInput(f"A tenant named {name!r} already exists.")
    tenant_id = str(uuid.uuid4())
    repo.insert_tenant(
        connection,
        repo.TenantRow(tenant_id, name, new_tenant_secret(), new_tenant_secret(), now),
    )
    key = create_key(connection, tenant_id, Role.ADMIN, now)
    return CreatedTenant(tenant_id, name, key.key_id, key.api_key)


def create_key(connection: Connection, tenant_id: str, role: Role, now: datetime) -> CreatedKey:
    """Issue a key for a tenant; raises NotFound for an unknown tenant."""
    if role not in KEY_ROLES:
        raise InvalidInput(
            f"A key cannot have the role {role.value!r}; learners get tokens instead "
            "(POST /v1/learners/{id}/tokens)."
        )
    if repo.get_tenant(connection, tenant_id) is None:
        raise NotFound(f"No tenant with id {tenant_id!r}; `stride tenants list` shows them.")
    issued = issue_key()
    repo.insert_api_key(
        connection,
        repo.ApiKeyRow(issued.key_id, tenant_id, role.value, issued.secret_hash, now, None),
    )
    return CreatedKey(issued.key_id, tenant_id, role, issued.api_key)


def revoke_key(connection: Connection, key_id: str, now: datetime) -> repo.ApiKeyRow:
    """Revoke a key (idempotent); raises NotFound for an unknown key id."""
    if repo.get_api_key(connection, key_id) is None:
        raise NotFound(f"No API key with id {key_id!r}.")
    repo.mark_api_key_revoked(connection, key_id, now)
    revoked = repo.get_api_key(connection, key_id)
    assert revoked is not None
    return revoked


def authenticate(connection: Connection, api_key: str) -> Principal:
    """Resolve an API key to its principal; raises Unauthenticated if unknown or revoked."""
    parsed = parse_key(api_key)
    found = repo.get_key_with_tenant(connection, parsed[0]) if parsed else None
    if parsed is None or found is None:
        raise Unauthenticated("Unknown or revoked API key.")
    key, tenant = found
    if key.revoked_at is not None or not secret_matches(parsed[1], key.secret_hash):
        raise Unauthenticated("Unknown or revoked API key.")
    return Principal(tenant.id, key.id, Role(key.role), tenant.learner_secret)
