"""Signed statements (xAPI Data 2.6) on both databases: valid JWS accepted, others refused."""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from tests.api.test_xapi import xapi
from tests.api.test_xapi_attachments import multipart, read_parts, send
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
_HASH = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(
    subject_key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey, name: str, issuer: str
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(issuer_key, hashes.SHA256())
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(
    payload: bytes,
    key: rsa.RSAPrivateKey,
    chain: list[x509.Certificate] | None = None,
    alg: str = "RS256",
) -> bytes:
    header: dict[str, Any] = {"alg": alg}
    if chain:
        der = [c.public_bytes(serialization.Encoding.DER) for c in chain]
        header["x5c"] = [base64.b64encode(d).decode() for d in der]
    signing_input = f"{_b64url(orjson.dumps(header))}.{_b64url(payload)}"
    digest = _HASH.get(alg, hashes.SHA256)()
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{_b64url(signature)}".encode()


def signed_request(
    statement: dict[str, Any], token: bytes, content_type: str = "application/octet-stream"
) -> bytes:
    sha2 = hashlib.sha256(token).hexdigest()
    sent = copy.deepcopy(statement)
    sent["attachments"] = [
        {
            "usageType": SIGNATURE,
            "display": {"en-US": "Signed by the author"},
            "contentType": content_type,
            "length": len(token),
            "sha2": sha2,
        }
    ]
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha2,
    }
    return multipart(sent, [(headers, token)])


def test_a_signed_statement_with_its_certificate_is_stored(
    client: TestClient, tenant: TenantUnderTest, key: rsa.RSAPrivateKey
) -> None:
    statement = simple_statement()
    token = jws(orjson.dumps(statement), key, [certificate(key, key, "author", "author")])
    response = send(client, tenant, signed_request(statement, token))
    assert response.status_code == 200, response.text
    full = client.get(
        "/xapi/statements",
        params={"statementId": statement["id"], "attachments": "true"},
        headers=xapi(tenant.admin_key),
    )
    assert read_parts(full)[1][1] == token


def test_signatures_without_certificates_and_with_chains_are_checked(
    client: TestClient, tenant: TenantUnderTest, key: rsa.RSAPrivateKey
) -> None:
    # No id in the signed copy: the id the LRS adds is no difference; RS512 without x5c.
    statement = simple_statement()
    unsigned = {k: v for k, v in statement.items() if k != "id"}
    response = send(
        client, tenant, signed_request(statement, jws(orjson.dumps(unsigned), key, alg="RS512"))
    )
    assert response.status_code == 200, response.text
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    chain = [certificate(key, ca_key, "author", "ca"), certificate(ca_key, ca_key, "ca", "ca")]
    statement = simple_statement()
    token = jws(orjson.dumps(statement), key, chain, alg="RS384")
    assert send(client, tenant, signed_request(statement, token)).status_code == 200
    broken = [chain[0], certificate(key, key, "not the ca", "not the ca")]
    statement = simple_statement()
    token = jws(orjson.dumps(statement), key, broken, alg="RS384")
    assert send(client, tenant, signed_request(statement, token)).status_code == 400


def test_durations_are_compared_to_the_hundredth_of_a_second(
    client: TestClient, tenant: TenantUnderTest, key: rsa.RSAPrivateKey
) -> None:
    # xAPI 2.0, 4.2.7 (found by the ADL conformance suite): precision beyond 0.01 s is not
    # part of the comparison of a statement with its signed copy.
    statement = simple_statement(result={"duration": "P1DT12H36M0.1237S"})
    signed = {**statement, "result": {"duration": "P1DT12H36M0.12S"}}
    token = jws(orjson.dumps(signed), key, [certificate(key, key, "author", "author")])
    assert send(client, tenant, signed_request(statement, token)).status_code == 200
    other = simple_statement(result={"duration": "P1DT12H36M0.1337S"})
    token = jws(orjson.dumps({**other, "result": {"duration": "P1DT12H36M0.12S"}}), key)
    assert "differs" in _refused(send(client, tenant, signed_request(other, token)))


def _refused(response: Any) -> str:
    assert response.status_code == 400, response.text
    return str(response.json()["errors"])


def test_a_tampered_statement_is_refused(
    client: TestClient, tenant: TenantUnderTest, key: rsa.RSAPrivateKey
) -> None:
    statement = simple_statement()
    token = jws(orjson.dumps(statement), key, [certificate(key, key, "author", "author")])
    tampered = {**statement, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}}
    assert "differs" in _refused(send(client, tenant, signed_request(tampered, token)))
    assert (
        client.get(
            "/xapi/statements",
            params={"statementId": statement["id"]},
            headers=xapi(tenant.admin_key),
        ).status_code
        == 404
    )


def test_a_signature_by_another_key_is_refused(
    client: TestClient, tenant: TenantUnderTest, key: rsa.RSAPrivateKey
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    statement = simple_statement()
    token = jws(orjson.dumps(statement), other, [certificate(key, key, "author", "author")])
    assert "does not verify" in _refused(send(client, tenant, signed_request(statement, token)))


def test_malformed_signatures_are_refused(
    client: TestClient, tenant: TenantUnderTest, key: rsa.RSAPrivateKey
) -> None:
    statement = simple_statement()
    good = jws(orjson.dumps(statement), key)
    header = _b64url(b'{"alg":"HS256"}')
    hs256 = f"{header}.{good.decode().split('.', 1)[1]}".encode()
    not_json = jws(orjson.dumps(statement).replace(b'"', b"'", 1), key)
    cases = [
        (signed_request(statement, good, "text/plain; charset=ascii"), "contentType"),
        (signed_request(statement, hs256), "RS256"),
        (signed_request(statement, not_json), "JSON"),
        (signed_request(statement, b"not a jws"), "compact"),
    ]
    for body, reason in cases:
        assert reason in _refused(send(client, tenant, body))
    json_only = {
        **statement,
        "attachments": [
            {
                "usageType": SIGNATURE,
                "display": {"en-US": "Signed"},
                "contentType": "application/octet-stream",
                "length": 10,
                "sha2": hashlib.sha256(b"x").hexdigest(),
                "fileUrl": "http://example.com/signature",
            }
        ],
    }
    assert "multipart" in _refused(send(client, tenant, multipart(json_only, [])))
