"""Learner self-service tokens: short-lived signed JWTs that read one learner's own data.

HS256 with the tenant's signing key (sealed at rest like every tenant secret); the header's
`kid` names the tenant so the key can be found before the signature is checked. Nothing is
stored per token: it lives until it expires, or until the tenant's signing key changes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy import Connection

from stride.errors import InvalidInput, Unauthenticated
from stride.store.tenants import get_tenant
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal

ALGORITHM = "HS256"
ISSUER = "stride"
SCOPE = "learner"
DEFAULT_TTL = timedelta(minutes=15)
MAX_TTL = timedelta(hours=24)
LEARNER_TOKEN_KEY_ID = "learner-token"  # the actor recorded in the audit log


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def _key(signing_key: str) -> OctKey:
    return OctKey.import_key(bytes.fromhex(signing_key))


def issue_learner_token(
    tenant_id: str, signing_key: str, learner_key: str, now: datetime, ttl: timedelta
) -> IssuedToken:
    if not timedelta(seconds=1) <= ttl <= MAX_TTL:
        raise InvalidInput(
            f"A learner token lives between 1 second and {int(MAX_TTL.total_seconds())} seconds."
        )
    expires = now + ttl
    claims = {
        "iss": ISSUER,
        "sub": learner_key,
        "scope": SCOPE,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(12),
    }
    token = jwt.encode({"alg": ALGORITHM, "kid": tenant_id}, claims, _key(signing_key))
    return IssuedToken(token, expires.replace(microsecond=0))


def looks_like_token(credential: str) -> bool:
    return credential.count(".") == 2


def authenticate_token(connection: Connection, token: str, now: datetime) -> Principal:
    """The learner principal a valid, unexpired token stands for; Unauthenticated otherwise."""
    refused = Unauthenticated("Invalid or expired learner token; ask for a new one.")
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError):
        raise refused from None
    tenant_id = header.get("kid")
    tenant = get_tenant(connection, tenant_id) if isinstance(tenant_id, str) else None
    if tenant is None or header.get("alg") != ALGORITHM:
        raise refused
    try:
        decoded = jwt.decode(token, _key(tenant.signing_key), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=0,
            iss={"essential": True, "value": ISSUER},
            sub={"essential": True},
            exp={"essential": True},
            scope={"essential": True, "value": SCOPE},
        ).validate(decoded.claims)
    except (JoseError, ValueError):
        raise refused from None
    return Principal(
        tenant.id,
        LEARNER_TOKEN_KEY_ID,
        Role.LEARNER,
        tenant.learner_secret,
        learner_key=str(decoded.claims["sub"]),
    )
