"""Statement attachments (multipart/mixed) on both databases: round trips and refusals."""

from __future__ import annotations

import hashlib
import re
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from stride.store.tables import xapi_attachments
from tests.api.helpers import bearer
from tests.api.test_xapi import xapi
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

BOUNDARY = "abcABC0123'()+_,-./:=?"
CONTENT = b"here is a simple attachment\r\n\x00\xff binary too"
SHA2 = hashlib.sha256(CONTENT).hexdigest()


def attachment(sha2: str = SHA2, **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": len(CONTENT),
        "sha2": sha2,
        **extra,
    }


def multipart(
    statements: Any,
    parts: list[tuple[dict[str, str], bytes]],
    first_type: str = "application/json",
) -> bytes:
    chunks = [
        f"--{BOUNDARY}\r\nContent-Type:{first_type}\r\n\r\n".encode(),
        orjson.dumps(statements),
    ]
    for headers, body in parts:
        lines = "".join(f"{name}:{value}\r\n" for name, value in headers.items())
        chunks += [f"\r\n--{BOUNDARY}\r\n{lines}\r\n".encode(), body]
    chunks.append(f"\r\n--{BOUNDARY}--".encode())
    return b"".join(chunks)


def part(body: bytes = CONTENT, sha2: str = SHA2) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha2,
    }
    return headers, body


def send(
    client: TestClient,
    tenant: TenantUnderTest,
    body: bytes,
    method: str = "POST",
    content_type: str = f'multipart/mixed; boundary="{BOUNDARY}"',
    **params: str,
) -> Any:
    headers = {**xapi(tenant.admin_key), "Content-Type": content_type}
    return client.request(method, "/xapi/statements", content=body, headers=headers, params=params)


def read_parts(response: Any) -> list[tuple[dict[str, str], bytes]]:
    assert response.headers["content-type"].startswith("multipart/mixed")
    head = f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + response.content)
    return [(dict(item.items()), item.get_payload(decode=True)) for item in message.iter_parts()]


def test_an_attachment_comes_back_with_its_statement(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(attachments=[attachment()])
    response = send(client, tenant, multipart(statement, [part()]))
    assert response.status_code == 200, response.text
    assert response.json() == [statement["id"]]

    plain = client.get(
        "/xapi/statements", params={"statementId": statement["id"]}, headers=xapi(tenant.admin_key)
    )
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["attachments"] == [attachment()]

    full = client.get(
        "/xapi/statements",
        params={"statementId": statement["id"], "attachments": "true"},
        headers=xapi(tenant.admin_key),
    )
    assert full.status_code == 200, full.text
    # Unquoted: the ADL conformance suite's parser (and others) keep quotes in the boundary.
    assert re.fullmatch(r"multipart/mixed; boundary=stride-[0-9a-f]+", full.headers["content-type"])
    (json_headers, json_body), (file_headers, file_body) = read_parts(full)
    assert json_headers["Content-Type"] == "application/json"
    assert orjson.loads(json_body)["id"] == statement["id"]
    assert file_headers["X-Experience-API-Hash"] == SHA2
    assert file_headers["Content-Transfer-Encoding"] == "binary"
    assert file_body == CONTENT
    assert "Last-Modified" in full.headers


def test_a_query_with_attachments_returns_each_content_once(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    first = simple_statement(attachments=[attachment()])
    second = simple_statement(attachments=[attachment()])
    other = b"another file"
    third = simple_statement(
        attachments=[attachment(hashlib.sha512(other).hexdigest(), length=len(other))]
    )
    parts = [part(), part(other, hashlib.sha512(other).hexdigest())]
    assert send(client, tenant, multipart([first, second, third], parts)).status_code == 200
    response = client.get(
        "/xapi/statements", params={"attachments": "true"}, headers=xapi(tenant.admin_key)
    )
    assert response.status_code == 200, response.text
    found = read_parts(response)
    result = orjson.loads(found[0][1])
    assert len(result["statements"]) == 3
    assert sorted(body for _, body in found[1:]) == sorted([CONTENT, other])


def test_put_takes_a_multipart_statement(client: TestClient, tenant: TenantUnderTest) -> None:
    statement = simple_statement(attachments=[attachment()])
    statement_id = statement.pop("id")
    response = send(client, tenant, multipart(statement, [part()]), "PUT", statementId=statement_id)
    assert response.status_code == 204, response.text
    full = client.get(
        "/xapi/statements",
        params={"statementId": statement_id, "attachments": "true"},
        headers=xapi(tenant.admin_key),
    )
    assert read_parts(full)[1][1] == CONTENT


def test_multipart_without_attachments_and_file_urls_are_accepted(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    plain = simple_statement()
    linked = simple_statement(attachments=[attachment(fileUrl="http://example.com/file.txt")])
    assert send(client, tenant, multipart([plain, linked], [])).status_code == 200


def _refused(response: Any, path_part: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert any(path_part in error["path"] for error in response.json()["errors"]), response.json()


def test_json_statements_need_a_file_url_for_each_attachment(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(attachments=[attachment()])
    response = client.post("/xapi/statements", json=statement, headers=xapi(tenant.admin_key))
    _refused(response, "attachments[0].fileUrl")


def test_an_attachment_without_its_part_is_refused(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(attachments=[attachment()])
    _refused(send(client, tenant, multipart(statement, [])), "attachments[0].fileUrl")


def test_a_part_no_attachment_names_is_refused(client: TestClient, tenant: TenantUnderTest) -> None:
    response = send(client, tenant, multipart(simple_statement(), [part()]))
    _refused(response, "X-Experience-API-Hash")


def test_a_part_whose_content_differs_from_its_hash_is_refused(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(attachments=[attachment()])
    response = send(client, tenant, multipart(statement, [part(b"tampered")]))
    _refused(response, "(part 2).X-Experience-API-Hash")


def test_malformed_multipart_requests_are_refused(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(attachments=[attachment()])
    headers, body = part()
    no_hash = {k: v for k, v in headers.items() if k != "X-Experience-API-Hash"}
    base64_part = {**headers, "Content-Transfer-Encoding": "base64"}
    cases = [
        (multipart(statement, [(no_hash, body)]), "X-Experience-API-Hash"),
        (multipart(statement, [(base64_part, body)]), "Content-Transfer-Encoding"),
        (multipart(statement, [part()], first_type="text/plain"), "(part 1).Content-Type"),
        (multipart(statement, [part()])[:-4], "(body)"),  # no closing boundary
    ]
    for content, where in cases:
        _refused(send(client, tenant, content), where)
    _refused(
        send(client, tenant, multipart(statement, [part()]), content_type="multipart/mixed"),
        "Content-Type",
    )
    form_data = send(
        client,
        tenant,
        multipart(statement, [part()]),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert form_data.status_code == 400


def test_attachment_content_is_encrypted_and_erased_with_the_learner(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    secret = b"the learner's private essay"
    sha2 = hashlib.sha256(secret).hexdigest()
    statement = simple_statement(attachments=[attachment(sha2, length=len(secret))])
    assert send(client, tenant, multipart(statement, [part(secret, sha2)])).status_code == 200
    query = select(xapi_attachments).where(xapi_attachments.c.tenant_id == tenant.tenant_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    assert len(rows) == 1 and rows[0].statement_id == statement["id"]
    assert b"private essay" not in repr(tuple(rows[0])).encode()
    erased = client.delete(
        "/v1/learners/mbox:mailto:ana@example.com", headers=bearer(tenant.admin_key)
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["tables"]["xapi_attachments"] == 1
    with engine.connect() as connection:
        assert connection.execute(query).all() == []


def test_a_statement_sent_again_keeps_its_first_attachments(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement(attachments=[attachment()])
    assert send(client, tenant, multipart(statement, [part()])).status_code == 200
    assert send(client, tenant, multipart(statement, [part()])).status_code == 200
    full = client.get(
        "/xapi/statements",
        params={"statementId": statement["id"], "attachments": "true"},
        headers=xapi(tenant.admin_key),
    )
    assert [body for _, body in read_parts(full)[1:]] == [CONTENT]
    assert uuid.UUID(statement["id"])


def test_bare_line_feeds_and_extra_part_headers_are_tolerated(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    # As the conformance suite's sample files are written: LF line ends, Content-Disposition.
    first, second = b"here is a simple attachment", b"here is another simple attachment"
    statement = simple_statement(
        attachments=[
            attachment(hashlib.sha256(first).hexdigest(), length=len(first)),
            attachment(hashlib.sha256(second).hexdigest(), length=len(second)),
        ]
    )
    boundary = "-------314159265358979323846"
    lines = [
        f"--{boundary}",
        "Content-Type: application/json",
        "",
        orjson.dumps(statement).decode(),
    ]
    for content in (first, second):
        lines += [
            f"--{boundary}",
            'Content-Disposition: attachment; filename="text_data.txt"',
            "Content-Type: text/plain",
            "Content-Transfer-Encoding: binary",
            f"X-Experience-API-Hash: {hashlib.sha256(content).hexdigest()}",
            "",
            content.decode(),
        ]
    body = ("\n".join([*lines, f"--{boundary}--", ""])).encode()
    response = send(client, tenant, body, content_type=f"multipart/mixed; boundary={boundary}")
    assert response.status_code == 200, response.text
    full = client.get(
        "/xapi/statements",
        params={"statementId": statement["id"], "attachments": "true"},
        headers=xapi(tenant.admin_key),
    )
    assert sorted(body for _, body in read_parts(full)[1:]) == [first, second]
