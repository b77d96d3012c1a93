"""The Open Badges 3.0 credential of a certification, and its VC-JWT claims. Pure.

Claims follow the Open Badges 3.0 VC-JWT convention: the credential sits whole in the `vc`
claim, beside `iss` (the issuer's id), `jti` (the credential's id), `nbf` and `iat` (issuance)
and `exp` (`validUntil`, when the certification expires). There is no `sub`: the recipient
has no public id, only a salted hash (`identifier`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from stride.certificates.requirements import Certification

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


@dataclass(frozen=True)
class Issuer:
    """The tenant as an issuer: URLs are absolute, built from the API's public address."""

    tenant_id: str
    name: str
    base_url: str  # e.g. https://stride.example.org, without a trailing slash

    @property
    def id(self) -> str:
        return f"{self.base_url}/v1/tenants/{self.tenant_id}"

    def status_list_url(self, list_id: int) -> str:
        return f"{self.base_url}/v1/status-lists/{self.tenant_id}/{list_id}"

    def achievement_id(self, program_id: str) -> str:
        return f"{self.id}/certifications/{quote(program_id, safe='')}"


@dataclass(frozen=True)
class Slot:
    """Where the credential's revocation bit lives."""

    list_id: int
    index: int


def identity_hash(learner_key: str, salt: str) -> str:
    """OB3's hashed identifier: `sha256$` and the hex SHA-256 of the identity then the salt."""
    return "sha256$" + hashlib.sha256((learner_key + salt).encode()).hexdigest()


def utc_text(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds").replace("+00:00", "Z")


def build_credential(
    *,
    credential_id: str,
    issuer: Issuer,
    certification: Certification,
    learner_key: str,
    salt: str,
    valid_from: datetime,
    valid_until: datetime | None,
    slot: Slot,
) -> dict[str, Any]:
    """The OpenBadgeCredential; it names the learner only through a salted hash."""
    list_url = issuer.status_list_url(slot.list_id)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{credential_id}",
        "type": CREDENTIAL_TYPES,
        "name": certification.name,
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
        "validFrom": utc_text(valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(learner_key, salt),
                    "identityType": "identifier",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": issuer.achievement_id(certification.program),
                "type": ["Achievement"],
                "name": certification.name,
                "description": certification.description or certification.name,
                "criteria": {"narrative": certification.criteria},
            },
        },
        "credentialStatus": {
            "id": f"{list_url}#{slot.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(slot.index),
            "statusListCredential": list_url,
        },
    }
    if valid_until is not None:
        credential["validUntil"] = utc_text(valid_until)
    return credential


def jwt_claims(credential: dict[str, Any], issued_at: datetime) -> dict[str, Any]:
    """The VC-JWT payload of a credential (an OpenBadgeCredential or a status list)."""
    issuer = credential["issuer"]
    claims: dict[str, Any] = {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "iat": int(issued_at.timestamp()),
        "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
        "vc": credential,
    }
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return claims
