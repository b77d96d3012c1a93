"""The xAPI 1.0.3 alternate request syntax (POST ?method=X with a form) on both databases."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi.testclient import TestClient

from tests.api.test_xapi import basic, xapi
from tests.fixtures.tenant import TenantUnderTest
from tests.xapi_fixtures import simple_statement

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AGENT = json.dumps({"mbox": "mailto:ana@example.com"})
ACTIVITY = "http://example.com/courses/pm/lesson-1"


def alternate(
    client: TestClient,
    path: str,
    method: str,
    form: dict[str, str],
    headers: dict[str, str] | None = None,
    **query: str,
) -> httpx.Response:
    return client.post(
        path,
        params={"method": method, **query},
        content=urlencode(form).encode(),
        headers={**FORM, **(headers or {})},
    )


def credentials(tenant: TenantUnderTest, version: str = "1.0.3") -> dict[str, str]:
    """The headers as form fields, as a client that cannot set headers sends them."""
    return {**basic(tenant.admin_key), "X-Experience-API-Version": version}


def test_put_post_and_get_statements_through_forms(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    put = simple_statement()
    statement_id = put.pop("id")
    form = {**credentials(tenant), "statementId": statement_id, "content": json.dumps(put)}
    response = alternate(client, "/xapi/statements", "PUT", form)
    assert response.status_code == 204, response.text
    assert response.headers["X-Experience-API-Version"] == "1.0.3"

    posted = simple_statement(verb="http://adlnet.gov/expapi/verbs/passed")
    form = {
        **credentials(tenant),
        "Content-Type": "application/json",
        "content": json.dumps([posted]),
    }
    response = alternate(client, "/xapi/statements", "POST", form)
    assert response.status_code == 200, response.text
    assert response.json() == [posted["id"]]

    form = {**credentials(tenant), "statementId": statement_id}
    response = alternate(client, "/xapi/statements", "GET", form)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == statement_id

    form = {**credentials(tenant), "limit": "1", "verb": "http://adlnet.gov/expapi/verbs/passed"}
    response = alternate(client, "/xapi/statements", "GET", form)
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["statements"]] == [posted["id"]]
    assert "more" in response.json()


def test_headers_may_stay_headers(client: TestClient, tenant: TenantUnderTest) -> None:
    response = alternate(
        client, "/xapi/statements", "GET", {"limit": "1"}, headers=xapi(tenant.admin_key)
    )
    assert response.status_code == 200, response.text
    assert response.json()["statements"] == []


def test_document_resources_take_the_syntax_too(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    place = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
    form = {
        **credentials(tenant),
        **place,
        "Content-Type": "application/json",
        "content": '{"page": 3}',
    }
    response = alternate(client, "/xapi/activities/state", "PUT", form)
    assert response.status_code == 204, response.text
    response = alternate(client, "/xapi/activities/state", "GET", {**credentials(tenant), **place})
    assert response.status_code == 200, response.text
    assert response.json() == {"page": 3}
    etag = response.headers["ETag"]
    form = {**credentials(tenant), **place, "If-Match": '"' + "0" * 40 + '"'}
    assert alternate(client, "/xapi/activities/state", "DELETE", form).status_code == 412
    form = {**credentials(tenant), **place, "If-Match": etag}
    assert alternate(client, "/xapi/activities/state", "DELETE", form).status_code == 204
    response = alternate(client, "/xapi/activities/state", "GET", {**credentials(tenant), **place})
    assert response.status_code == 404


def _refused(response: httpx.Response, path: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["X-Experience-API-Version"] in ("1.0.3", "2.0.0")
    assert [e["path"] for e in response.json()["errors"]] == [path], response.json()


def test_requests_that_break_the_syntax_are_refused(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    statement_id = str(uuid.uuid4())
    content = json.dumps(simple_statement())
    form = {**credentials(tenant), "statementId": statement_id, "content": content}
    statements = "/xapi/statements"
    # Another query parameter besides method.
    _refused(alternate(client, statements, "PUT", form, statementId=statement_id), "statementId")
    # Not sent as POST.
    response = client.put(
        statements, params={"method": "POST"}, content=urlencode(form), headers=FORM
    )
    _refused(response, "method")
    _refused(alternate(client, statements, "PATCH", form), "method")
    # A body that is no form.
    response = client.post(
        statements, params={"method": "PUT"}, content=json.dumps(form), headers=FORM
    )
    _refused(response, "(body)")
    response = client.post(
        statements,
        params={"method": "PUT"},
        content=urlencode(form),
        headers={"Content-Type": "application/json"},
    )
    _refused(response, "Content-Type")
    # xAPI 2.0 has no alternate syntax, whether the version is a header or a form field.
    response = alternate(client, statements, "GET", {}, headers=xapi(tenant.admin_key, "2.0.0"))
    _refused(response, "method")
    response = alternate(client, statements, "GET", credentials(tenant, "2.0.0"))
    _refused(response, "X-Experience-API-Version")


def test_a_put_without_content_is_refused(client: TestClient, tenant: TenantUnderTest) -> None:
    form = {**credentials(tenant), "statementId": str(uuid.uuid4())}
    response = alternate(client, "/xapi/statements", "PUT", form)
    assert response.status_code == 400, response.text


def test_credentials_in_the_form_are_checked(client: TestClient, tenant: TenantUnderTest) -> None:
    form: dict[str, Any] = {"X-Experience-API-Version": "1.0.3", "limit": "1"}
    assert alternate(client, "/xapi/statements", "GET", form).status_code == 401
    form["Authorization"] = "Basic " + "bm90OmFrZXk="
    assert alternate(client, "/xapi/statements", "GET", form).status_code == 401
