"""Checking a credential anyone hands in: by its VC-JWT or by its verification code.

The order of checks: well-formed, a known key (the kid names the tenant), the signature
(EdDSA only), the issuer the key belongs to, then revocation (the status list bit) and the
validity window. The first failure is the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from stride.certificates import status_list
from stride.certificates.codes import normalize_code
from stride.certificates.keys import tenant_of_kid
from stride.certificates.signing import (
    BadSignature,
    DecodedToken,
    MalformedToken,
    check_signature,
    decode,
)
from stride.store import credentials as repo

_LIST_URL = re.compile(r"/v1/status-lists/(?P<tenant>[^/]+)/(?P<list>\d{1,9})$")


class VerificationResult(StrEnum):
    VALID = "valid"
    INVALID_SIGNATURE = "invalid_signature"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN_ISSUER = "unknown_issuer"
    MALFORMED = "malformed"
    UNKNOWN_CODE = "unknown_code"


@dataclass(frozen=True)
class Verification:
    result: VerificationResult
    reason: str
    credential: dict[str, Any] | None = None  # the decoded credential, when there is one


def verify_code(connection: Connection, code: str, now: datetime) -> Verification:
    """Verify the credential a code stands for; only that credential is shown."""
    normal = normalize_code(code)
    row = repo.find_by_code(connection, normal) if normal is not None else None
    if row is None:
        return Verification(
            VerificationResult.UNKNOWN_CODE, "No credential has this verification code."
        )
    return verify_token(connection, row.jwt, now)


def verify_token(connection: Connection, token: str, now: datetime) -> Verification:
    """Verify a VC-JWT against the issuing tenant's keys and status list."""
    try:
        decoded = decode(token)
    except MalformedToken as error:
        return Verification(VerificationResult.MALFORMED, str(error))
    vc = decoded.claims.get("vc")
    credential = vc if isinstance(vc, dict) else None
    kid = decoded.header.get("kid")
    tenant_id = tenant_of_kid(kid) if isinstance(kid, str) else None
    key = repo.get_key(connection, tenant_id, kid) if tenant_id and isinstance(kid, str) else None
    if key is None or tenant_id is None:
        return Verification(
            VerificationResult.UNKNOWN_ISSUER, "No issuer here holds the signing key.", credential
        )
    try:
        check_signature(decoded, key.public_jwk)
    except BadSignature as error:
        return Verification(VerificationResult.INVALID_SIGNATURE, str(error), credential)
    if credential is None:
        return Verification(VerificationResult.MALFORMED, "The payload carries no `vc` credential.")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    expected = f"/v1/tenants/{tenant_id}"
    if (
        not (isinstance(issuer_id, str) and issuer_id.endswith(expected))
        or decoded.claims.get("iss") != issuer_id
    ):
        return Verification(
            VerificationResult.UNKNOWN_ISSUER,
            "The key does not belong to the named issuer.",
            credential,
        )
    return _status_and_time(connection, decoded, credential, tenant_id, now)


def _status_and_time(
    connection: Connection,
    decoded: DecodedToken,
    credential: dict[str, Any],
    tenant_id: str,
    now: datetime,
) -> Verification:
    revoked = _revocation(connection, credential, tenant_id)
    if isinstance(revoked, Verification):
        return revoked
    if revoked:
        return Verification(
            VerificationResult.REVOKED, "The issuer has revoked this credential.", credential
        )
    nbf, exp = decoded.claims.get("nbf"), decoded.claims.get("exp")
    instant = now.timestamp()
    if isinstance(nbf, int | float) and instant < nbf:
        return Verification(
            VerificationResult.NOT_YET_VALID, f"Valid from {_text(nbf)}.", credential
        )
    if isinstance(exp, int | float) and instant >= exp:
        return Verification(VerificationResult.EXPIRED, f"Expired at {_text(exp)}.", credential)
    return Verification(
        VerificationResult.VALID,
        "Signed by the issuer's key; not revoked; in its validity period.",
        credential,
    )


def _revocation(
    connection: Connection, credential: dict[str, Any], tenant_id: str
) -> bool | Verification:
    """Whether the status list bit is set, or why the status cannot be read."""
    status = credential.get("credentialStatus")
    if status is None:
        return False  # nothing to look up: the issuer did not make it revocable
    url = status.get("statusListCredential") if isinstance(status, dict) else None
    index = status.get("statusListIndex") if isinstance(status, dict) else None
    found = _LIST_URL.search(url) if isinstance(url, str) else None
    if found is None or found["tenant"] != tenant_id or not str(index).isdigit():
        return Verification(
            VerificationResult.MALFORMED,
            "The credential's status entry is not one of its issuer's lists.",
            credential,
        )
    stored = repo.get_status_list(connection, tenant_id, int(found["list"]))
    position = int(str(index))
    if stored is None or position >= status_list.LIST_SIZE:
        return Verification(
            VerificationResult.MALFORMED, "The credential's status list does not exist.", credential
        )
    return status_list.is_set(stored.bits, position)


def _text(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
