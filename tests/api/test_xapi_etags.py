"""ETags on GET of one statement, and 304 Not Modified for a matching If-None-Match on
statements and documents."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.test_xapi import xapi
from tests.api.test_xapi_documents import STATE, send, state
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

TAG = re.compile(r'^"[0-9a-f]{40}"$')


def _headers(tenant: TenantUnderTest, **headers: str) -> dict[str, str]:
    return {**xapi(tenant.admin_key), **headers}


def test_one_statement_has_a_stable_etag_and_answers_304_when_it_matches(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement = simple_statement()
    sent = client.post("/xapi/statements", json=statement, headers=xapi(tenant.admin_key))
    assert sent.status_code == 200, sent.text
    params = {"statementId": statement["id"]}
    first = client.get("/xapi/statements", params=params, headers=xapi(tenant.admin_key))
    tag = first.headers["etag"]
    assert TAG.match(tag)
    again = client.get("/xapi/statements", params=params, headers=xapi(tenant.admin_key))
    assert again.headers["etag"] == tag and again.content == first.content
    ids = client.get(
        "/xapi/statements", params={**params, "format": "ids"}, headers=xapi(tenant.admin_key)
    )
    assert ids.status_code == 200 and ids.headers["etag"] != tag  # another rendering

    for header in (tag, f"W/{tag}", f'"{"0" * 40}", {tag}', "*"):
        cached = client.get(
            "/xapi/statements",
            params=params,
            headers=_headers(tenant, **{"If-None-Match": header}),
        )
        assert cached.status_code == 304, header
        assert cached.content == b"" and cached.headers["etag"] == tag
        assert cached.headers["X-Experience-API-Version"] == "1.0.3"
    stale = client.get(
        "/xapi/statements",
        params=params,
        headers=_headers(tenant, **{"If-None-Match": '"' + "0" * 40 + '"'}),
    )
    assert stale.status_code == 200 and stale.json()["id"] == statement["id"]


def test_pages_of_statements_have_no_etag(client: TestClient, tenant: TenantUnderTest) -> None:
    sent = client.post("/xapi/statements", json=simple_statement(), headers=xapi(tenant.admin_key))
    assert sent.status_code == 200, sent.text
    page = client.get("/xapi/statements", headers=_headers(tenant, **{"If-None-Match": "*"}))
    assert (
        page.status_code == 200 and "etag" not in page.headers
    )  # a page changes as statements come


def test_a_document_answers_304_when_if_none_match_names_its_etag(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    params = state(stateId="bookmark")
    assert send(client, tenant, "PUT", STATE, params, {"page": 3}).status_code == 204
    tag = send(client, tenant, "GET", STATE, params).headers["etag"]
    cached = send(client, tenant, "GET", STATE, params, **{"If-None-Match": tag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == tag
    changed = send(client, tenant, "GET", STATE, params, **{"If-None-Match": '"' + "1" * 40 + '"'})
    assert changed.status_code == 200 and changed.json() == {"page": 3}
