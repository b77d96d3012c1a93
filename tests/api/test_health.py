from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_openapi_documents_the_event(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/v1/events" in schema["paths"]
    assert "Event" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
