"""HTTP hardening: rate limits, size limits, security headers and CORS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send

from stride.api.app import create_app
from stride.api.limits import BodySizeLimitMiddleware
from stride.config import Settings
from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

ClientFactory = Callable[..., TestClient]

ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


@pytest.fixture
def make_client(engine: Engine) -> Iterator[ClientFactory]:
    """A client over an app built with these settings (on top of the test database)."""
    with ExitStack() as stack:

        def build(**overrides: Any) -> TestClient:
            settings = Settings(DATABASE_URL=str(engine.url), **overrides)
            app = create_app(settings, engine=engine)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield build


def assert_security_headers(response: Any, v1: bool = True) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name
    assert response.headers.get("cross-origin-resource-policy") == "same-origin"
    assert "strict-transport-security" not in response.headers
    assert (response.headers.get("cache-control") == "no-store") is v1


# Rate limits


def test_the_request_after_the_burst_is_429_with_retry_after(
    make_client: ClientFactory, tenant: TenantUnderTest
) -> None:
    client = make_client(RATE_LIMIT_PER_SECOND=0.01, RATE_LIMIT_BURST=3)
    headers = bearer(tenant.admin_key)
    for _ in range(3):
        assert client.get("/v1/catalog", headers=headers).status_code != 429
    limited = client.get("/v1/catalog", headers=headers)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 100
    problem = limited.json()
    assert problem["type"] == "urn:stride:problem:rate_limited"
    assert problem["title"] == "Too Many Requests"
    assert problem["status"] == 429
    assert problem["instance"] == "/v1/catalog"
    assert f"wait {retry_after} seconds" in problem["detail"]
    assert_security_headers(limited)


def test_each_api_key_has_its_own_bucket(
    make_client: ClientFactory,
    tenant: TenantUnderTest,
    key_factory: Callable[[str, Role], str],
) -> None:
    client = make_client(RATE_LIMIT_PER_SECOND=0.01, RATE_LIMIT_BURST=2)
    first, second = bearer(tenant.admin_key), bearer(key_factory(tenant.tenant_id, Role.ADMIN))
    assert [client.get("/v1/catalog", headers=first).status_code != 429 for _ in range(2)] == [
        True,
        True,
    ]
    assert client.get("/v1/catalog", headers=first).status_code == 429
    assert client.get("/v1/catalog", headers=second).status_code != 429
    # Requests without a well-shaped key share their address's bucket, apart from the keys'.
    assert client.get("/v1/catalog").status_code == 401
    assert client.get("/v1/catalog", headers=bearer("not-a-key")).status_code == 401
    assert client.get("/v1/catalog", headers=bearer("other")).status_code == 429


def test_health_and_metrics_are_never_rate_limited(
    make_client: ClientFactory, tenant: TenantUnderTest
) -> None:
    client = make_client(RATE_LIMIT_PER_SECOND=0.01, RATE_LIMIT_BURST=1)
    client.get("/v1/catalog")
    assert client.get("/v1/catalog").status_code == 429
    for path in ("/healthz", "/readyz", "/metrics") * 5:
        assert client.get(path).status_code == 200, path


def test_a_rate_of_zero_turns_rate_limiting_off(make_client: ClientFactory) -> None:
    client = make_client(RATE_LIMIT_PER_SECOND=0, RATE_LIMIT_BURST=1)
    assert {client.get("/v1/catalog").status_code for _ in range(5)} == {401}


# Size limits


def test_a_declared_length_over_the_limit_is_413_before_auth(make_client: ClientFactory) -> None:
    client = make_client(MAX_REQUEST_BYTES=2048)
    response = client.post(
        "/v1/learners/l-1/enrollments",
        content=b"x" * 4096,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    problem = response.json()
    assert (problem["code"], problem["status"]) == ("payload_too_large", 413)
    assert "2048 bytes" in problem["detail"]
    assert_security_headers(response)


def test_a_chunked_body_growing_over_the_limit_is_413(
    make_client: ClientFactory, tenant: TenantUnderTest
) -> None:
    client = make_client(MAX_REQUEST_BYTES=2048)
    body = orjson.dumps({"activity_id": "a" * 4000})

    def chunks() -> Iterator[bytes]:
        yield body

    response = client.post(
        "/v1/learners/l-1/enrollments",
        content=chunks(),
        headers={**bearer(tenant.admin_key), "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert_security_headers(response)


def test_the_size_limit_counts_across_chunks() -> None:
    read: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            read.append(message["body"])
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    incoming = [{"type": "http.request", "body": b"x" * 600, "more_body": True}] * 3
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    limited = BodySizeLimitMiddleware(app, max_bytes=1024, route_max_bytes={})
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}
    asyncio.run(limited(scope, receive, send))
    assert len(read) == 1, "the app never sees the chunk that crosses the limit"
    assert sent[0]["status"] == 413


def test_ingest_takes_bodies_up_to_max_body_bytes(
    make_client: ClientFactory, tenant: TenantUnderTest
) -> None:
    client = make_client(MAX_REQUEST_BYTES=1024 * 1024, MAX_BODY_BYTES=3 * 1024 * 1024)
    headers = {**bearer(tenant.admin_key), "Content-Type": "application/json"}
    # JSON allows trailing whitespace: a 2 MB body holding one valid event.
    body = orjson.dumps({"events": [make_event()]}) + b" " * (2 * 1024 * 1024)
    response = client.post("/v1/events", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    too_big = client.post("/v1/events", content=body + b" " * 1024 * 1024, headers=headers)
    assert too_big.status_code == 413


# Security headers


def test_security_headers_on_ok_unauthorized_and_not_found(
    make_client: ClientFactory, tenant: TenantUnderTest
) -> None:
    client = make_client()
    ok = client.get("/healthz")
    assert ok.status_code == 200
    assert_security_headers(ok, v1=False)
    unauthorized = client.get("/v1/catalog")
    assert unauthorized.status_code == 401
    assert_security_headers(unauthorized)
    missing = client.get("/v1/learners/nobody/progress", headers=bearer(tenant.admin_key))
    assert missing.status_code == 404
    assert_security_headers(missing)
    unrouted = client.get("/nowhere")
    assert unrouted.status_code == 404
    assert_security_headers(unrouted, v1=False)


def test_the_docs_page_keeps_working_without_the_json_csp(make_client: ClientFactory) -> None:
    docs = make_client().get("/docs")
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-frame-options"] == "DENY"


def test_hsts_and_csp_come_from_settings(make_client: ClientFactory) -> None:
    client = make_client(HSTS_SECONDS=31536000, CONTENT_SECURITY_POLICY="default-src 'self'")
    response = client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert response.headers["content-security-policy"] == "default-src 'self'"


# CORS

ORIGIN = "https://app.example"


def preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/v1/events",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_preflight_is_answered_for_allowed_origins_without_auth_or_rate_limit(
    make_client: ClientFactory,
) -> None:
    client = make_client(
        CORS_ORIGINS=[ORIGIN, "https://other.example"],
        RATE_LIMIT_PER_SECOND=0.01,
        RATE_LIMIT_BURST=1,
    )
    client.get("/v1/catalog")
    assert client.get("/v1/catalog").status_code == 429
    for _ in range(3):
        answer = preflight(client, ORIGIN)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in answer.headers["access-control-allow-methods"]
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "cross-origin-resource-policy" not in answer.headers
    denied = preflight(client, "https://evil.example")
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers
    # A limited answer still carries CORS headers, so a browser client can read Retry-After.
    limited = client.get("/v1/catalog", headers={"Origin": ORIGIN})
    assert limited.status_code == 429
    assert limited.headers["access-control-allow-origin"] == ORIGIN
    assert "retry-after" in limited.headers["access-control-expose-headers"].lower()


def test_no_cors_headers_without_configured_origins(make_client: ClientFactory) -> None:
    client = make_client()
    answer = preflight(client, ORIGIN)
    assert "access-control-allow-origin" not in answer.headers
    simple = client.get("/healthz", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("https://a.example,https://b.example", ["https://a.example", "https://b.example"]),
        (
            " https://a.example/ , http://localhost:5173 ,",
            ["https://a.example", "http://localhost:5173"],
        ),
        ('["https://a.example"]', ["https://a.example"]),
        ("", []),
    ],
)
def test_cors_origins_are_read_from_a_comma_separated_env_var(
    monkeypatch: pytest.MonkeyPatch, value: str, origins: list[str]
) -> None:
    monkeypatch.setenv("STRIDE_CORS_ORIGINS", value)
    assert origins == Settings().CORS_ORIGINS


def test_cors_origins_default_to_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIDE_CORS_ORIGINS", raising=False)
    assert Settings().CORS_ORIGINS == []


@pytest.mark.parametrize("value", ["a.example", "https://a.example/app", "ftp://a.example"])
def test_cors_origins_must_be_origins(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("STRIDE_CORS_ORIGINS", value)
    with pytest.raises(ValidationError):
        Settings()
