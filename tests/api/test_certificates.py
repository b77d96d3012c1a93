"""Certificates over HTTP: eligibility, issuance, verification (tampering too), revocation
through the status list, erasure, keys and permissions, on both databases."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from stride.certificates import status_list
from stride.certificates.verification import verify_token
from stride.privacy.pseudonym import learner_key
from stride.store.tables import audit_log, events
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)
CERTIFICATION = {
    "program": "prog",
    "name": "Project Basics",
    "description": "Plans and budgets a small project.",
    "required_modules": [{"module": "prog/c1/m1", "min_score": 0.8}],
    "min_mastery": {"planning": 0.5},
    "min_hours": 0.2,
    "valid_for_days": 30,
}


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _attempt(item: str, minutes_ago: float, learner: str = "ines") -> dict[str, Any]:
    return make_event(
        learner=learner,
        type="exercise.attempted",
        timestamp=(NOW - timedelta(minutes=minutes_ago)).isoformat(),
        activity={"id": item, "type": "exercise"},
        result={"success": True, "score": 0.9, "completion": True, "duration_s": 300},
    )


def _setup(client: TestClient, tenant: TenantUnderTest, complete: bool = True) -> None:
    headers = bearer(tenant.admin_key)
    catalog = {**small_catalog(), "certifications": [CERTIFICATION]}
    assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
    sent = [_attempt("prog/c1/m1/ex1", 60 - i) for i in range(3)]
    if complete:
        sent.append(_attempt("prog/c1/m1/ex2", 10))
    response = client.post("/v1/events", json=sent, headers=headers)
    assert response.json()["accepted"] == len(sent), response.text


def _issue(client: TestClient, tenant: TenantUnderTest, learner: str = "ines") -> dict[str, Any]:
    response = client.post(
        f"/v1/learners/{learner}/certifications/prog", headers=bearer(tenant.admin_key)
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def _verify(client: TestClient, **body: str) -> dict[str, Any]:
    response = client.post("/v1/credentials/verify", json=body)  # no API key
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_eligibility_shows_what_is_missing_and_issuing_early_is_a_409(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    _setup(client, tenant, complete=False)
    headers = bearer(tenant.admin_key)
    found = client.get("/v1/learners/ines/certifications/prog", headers=headers).json()
    assert found["eligible"] is False
    missing = {m["requirement"]: m for m in found["missing"]}
    assert set(missing) == {"module:prog/c1/m1.completion"}
    assert missing["module:prog/c1/m1.completion"]["actual"] < 1
    refused = client.post("/v1/learners/ines/certifications/prog", headers=headers)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["path"] for e in refused.json()["errors"]] == ["module:prog/c1/m1.completion"]
    unknown = client.get("/v1/learners/ines/certifications/prog/c1", headers=headers)
    assert unknown.status_code == 404


def test_an_issued_credential_is_an_ob3_vc_jwt_that_the_jwks_verifies(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    _setup(client, tenant)
    headers = bearer(tenant.admin_key)
    assert client.get("/v1/learners/ines/certifications/prog", headers=headers).json()["eligible"]
    issued = _issue(client, tenant)
    again = client.post("/v1/learners/ines/certifications/prog", headers=headers)
    assert again.status_code == 200 and again.json()["credential_id"] == issued["credential_id"]

    header_part, payload_part, signature_part = issued["jwt"].split(".")
    header, claims = _b64json(header_part), _b64json(payload_part)
    assert header["alg"] == "EdDSA" and header["typ"] == "JWT"
    vc = claims["vc"]
    assert vc == issued["credential"]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["@context"][1].endswith("context-3.0.3.json")
    assert claims["iss"] == vc["issuer"]["id"] and claims["jti"] == vc["id"]
    assert claims["exp"] - claims["nbf"] == 30 * 86_400 and "validUntil" in vc
    assert vc["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    # The recipient is a salted hash of the learner key, never the platform's id.
    identity = vc["credentialSubject"]["identifier"][0]
    key = learner_key(tenant.scope.learner_secret, "ines")
    expected = hashlib.sha256((key + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}" and identity["hashed"] is True
    assert "ines" not in base64.urlsafe_b64decode(payload_part + "==").decode()

    # An independent path: the published JWKS and cryptography's Ed25519 directly.
    jwks = client.get(f"/v1/tenants/{tenant.tenant_id}/keys").json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
    signature = base64.urlsafe_b64decode(signature_part + "==")
    public.verify(signature, f"{header_part}.{payload_part}".encode())

    assert _verify(client, jwt=issued["jwt"])["result"] == "valid"
    by_code = _verify(client, code=issued["verification_code"].lower())
    assert by_code["result"] == "valid" and by_code["credential"] == vc
    got = client.get(f"/v1/credentials/{issued['credential_id']}", headers=headers).json()
    assert got["jwt"] == issued["jwt"] and got["revoked_at"] is None

    with engine.connect() as connection:
        kinds = connection.execute(
            select(events.c.payload).where(
                events.c.tenant_id == tenant.tenant_id, events.c.type == "certificate.issued"
            )
        ).scalars()
        assert [p["derived"] for p in kinds] == [True]
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.tenant_id == tenant.tenant_id)
        ).scalars()
        assert "certificate.issue" in list(actions)
        at = datetime.now(UTC)
        expired = verify_token(connection, issued["jwt"], at + timedelta(days=31))
        early = verify_token(connection, issued["jwt"], at - timedelta(days=1))
    assert expired.result == "expired" and early.result == "not_yet_valid"


@pytest.mark.parametrize(
    ("tamper", "result"),
    [
        ("payload_byte", "invalid_signature"),
        ("signature_swapped", "invalid_signature"),
        ("alg_none", "invalid_signature"),
        ("alg_hs256", "invalid_signature"),
        ("unknown_kid", "unknown_issuer"),
        ("garbage", "malformed"),
    ],
)
def test_tampered_credentials_fail_verification(
    client: TestClient, tenant: TenantUnderTest, tamper: str, result: str
) -> None:
    _setup(client, tenant)
    first = _issue(client, tenant)
    header_part, payload_part, signature_part = first["jwt"].split(".")
    header = _b64json(header_part)
    if tamper == "payload_byte":
        raw = bytearray(base64.urlsafe_b64decode(payload_part + "=="))
        raw[raw.index(b"Project Basics")] ^= 0x01
        payload_part = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    elif tamper == "signature_swapped":
        # Another learner's credential: a genuine signature by the same key, of other bytes.
        sent = [_attempt(item, n, "zoe") for n, item in enumerate(["prog/c1/m1/ex1"] * 3)]
        sent.append(_attempt("prog/c1/m1/ex2", 0.5, "zoe"))
        client.post("/v1/events", json=sent, headers=bearer(tenant.admin_key))
        signature_part = _issue(client, tenant, "zoe")["jwt"].split(".")[2]
    elif tamper in ("alg_none", "alg_hs256"):
        header_part = _b64({**header, "alg": "none" if tamper == "alg_none" else "HS256"})
    elif tamper == "unknown_kid":
        header_part = _b64({**header, "kid": f"{tenant.tenant_id}:nothumbprint"})
    else:
        header_part = "not-json"
    verified = _verify(client, jwt=f"{header_part}.{payload_part}.{signature_part}")
    assert verified["result"] == result, verified


def test_revocation_goes_through_the_status_list_and_survives_erasure(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    _setup(client, tenant)
    issued = _issue(client, tenant)
    path = f"/v1/credentials/{issued['credential_id']}/revoke"
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    assert client.post(path, json={"reason": "x"}, headers=instructor).status_code == 403
    revoked = client.post(
        path, json={"reason": "issued in error"}, headers=bearer(tenant.admin_key)
    )
    assert revoked.status_code == 200 and revoked.json()["revocation_reason"] == "issued in error"
    assert _verify(client, jwt=issued["jwt"])["result"] == "revoked"

    # The published list is a signed VC-JWT whose bit for this credential is set.
    entry = issued["credential"]["credentialStatus"]
    published = client.get(entry["statusListCredential"].replace("http://testserver", ""))
    assert published.headers["content-type"].startswith("application/vc+jwt")
    listed = _b64json(published.text.split(".")[1])["vc"]
    bits = status_list.decode_list(listed["credentialSubject"]["encodedList"])
    assert status_list.is_set(bits, int(entry["statusListIndex"]))

    # Revoked, the learner may be certified again; erasure then revokes the new one too.
    fresh = _issue(client, tenant)
    assert fresh["credential_id"] != issued["credential_id"]
    erased = client.delete("/v1/learners/ines", headers=bearer(tenant.admin_key))
    assert erased.status_code == 200 and erased.json()["tables"]["credentials"] == 2
    assert _verify(client, jwt=fresh["jwt"])["result"] == "revoked"
    assert _verify(client, code=fresh["verification_code"])["result"] == "unknown_code"


def test_permissions_and_a_learner_token_sees_only_its_own(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    _setup(client, tenant)
    issued = _issue(client, tenant)
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    assert client.get("/v1/learners/ines/certifications/prog", headers=analyst).status_code == 403
    credential = f"/v1/credentials/{issued['credential_id']}"
    assert client.get(credential, headers=analyst).status_code == 403
    admin = bearer(tenant.admin_key)
    tokens = {
        name: bearer(
            client.post(
                f"/v1/learners/{name}/tokens", json={"ttl_seconds": 600}, headers=admin
            ).json()["token"]
        )
        for name in ("ines", "zoe")
    }
    assert client.get(credential, headers=tokens["ines"]).status_code == 200
    assert client.get(credential, headers=tokens["zoe"]).status_code == 404
    mine = client.get("/v1/learners/ines/certifications/prog", headers=tokens["ines"])
    assert mine.status_code == 200
    assert (
        client.get("/v1/learners/ines/certifications/prog", headers=tokens["zoe"]).status_code
        == 403
    )
    assert (
        client.post("/v1/learners/ines/certifications/prog", headers=tokens["ines"]).status_code
        == 403
    )
    assert client.get(credential).status_code == 401
    assert client.get("/v1/tenants/nobody/keys").status_code == 404
    assert client.get(f"/v1/status-lists/{tenant.tenant_id}/7").status_code == 404
    bad = client.post("/v1/credentials/verify", json={"jwt": "a", "code": "b"})
    assert bad.status_code == 422


def test_rotating_the_signing_key_keeps_old_credentials_valid(
    client: TestClient,
    tenant: TenantUnderTest,
    engine: Engine,
    key_factory: Callable[[str, Role], str],
) -> None:
    _setup(client, tenant)
    before = _issue(client, tenant)
    old_kid = _b64json(before["jwt"].split(".")[0])["kid"]
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    assert client.post("/v1/credentials/keys/rotate", headers=instructor).status_code == 403
    response = client.post("/v1/credentials/keys/rotate", headers=bearer(tenant.admin_key))
    assert response.status_code == 200, response.text
    rotation = response.json()
    assert rotation["retired"] == [old_kid] and rotation["kid"] != old_kid
    # Both keys are published; the old credential still verifies, a new one uses the new key.
    jwks = client.get(f"/v1/tenants/{tenant.tenant_id}/keys").json()["keys"]
    assert [k["kid"] for k in jwks] == [old_kid, rotation["kid"]]
    assert _verify(client, jwt=before["jwt"])["result"] == "valid"
    client.post(
        "/v1/events",
        json=[_attempt("prog/c1/m1/ex1", 9 - i, "zoe") for i in range(3)]
        + [_attempt("prog/c1/m1/ex2", 4, "zoe")],
        headers=bearer(tenant.admin_key),
    )
    after = _issue(client, tenant, "zoe")
    assert _b64json(after["jwt"].split(".")[0])["kid"] == rotation["kid"]
    assert _verify(client, jwt=after["jwt"])["result"] == "valid"
    with engine.connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.tenant_id == tenant.tenant_id)
        ).scalars()
        assert "signing_key.rotate" in set(actions)
