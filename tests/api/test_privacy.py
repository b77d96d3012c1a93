"""Consent, PII at ingest, the privacy policy, the audit log and learner tokens, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, column, select, table

from stride.privacy.pseudonym import learner_key
from stride.store.tables import audit_log, events, tenants
from stride.store.tenants import get_tenant
from stride.tenancy.roles import Role
from stride.tenancy.tokens import issue_learner_token
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)


def _post(client: TenantClient, *sent: dict[str, Any]) -> dict[str, Any]:
    response = client.http.post("/v1/events", json=list(sent), headers=client.admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TenantClient:
    def __init__(self, http: TestClient, tenant: TenantUnderTest) -> None:
        self.http = http
        self.tenant = tenant
        self.admin = bearer(tenant.admin_key)


def _event(learner: str = "ana", **extra: Any) -> dict[str, Any]:
    return make_event(learner=learner, timestamp=(NOW - timedelta(hours=1)).isoformat(), **extra)


def test_withdrawn_analytics_consent_stops_storage_at_once(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    tc = TenantClient(client, tenant)
    assert _post(tc, _event())["accepted"] == 1  # analytics is opt-out by default
    consent = client.get("/v1/learners/ana/consent", headers=tc.admin).json()
    analytics = next(p for p in consent["purposes"] if p["purpose"] == "analytics")
    assert analytics == {
        "purpose": "analytics",
        "granted": True,
        "source": "policy",
        "changed_at": None,
    }

    changed = client.put("/v1/learners/ana/consent", json={"analytics": False}, headers=tc.admin)
    assert changed.status_code == 200, changed.text
    assert [h["purpose"] for h in changed.json()["history"]] == ["analytics"]

    report = _post(tc, _event(), _event("ben"))
    assert [r["status"] for r in report["results"]] == ["rejected", "accepted"]
    assert report["results"][0]["reason"] == "consent"
    assert report["results"][0]["errors"][0]["path"] == "learner"
    single = client.post("/v1/events", json=_event(), headers=tc.admin)
    assert single.status_code == 403 and single.json()["code"] == "consent_required"

    # Consenting again lets events in again; the history keeps both answers.
    client.put("/v1/learners/ana/consent", json={"analytics": True}, headers=tc.admin)
    assert _post(tc, _event())["accepted"] == 1
    history = client.get("/v1/learners/ana/consent", headers=tc.admin).json()["history"]
    assert [(h["purpose"], h["granted"]) for h in history] == [
        ("analytics", False),
        ("analytics", True),
    ]


def test_opt_in_analytics_stores_nothing_until_consent(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    tc = TenantClient(client, tenant)
    policy = {"consent": {"analytics": "opt-in"}}
    assert client.put("/v1/privacy/policy", json=policy, headers=tc.admin).status_code == 200
    assert _post(tc, _event("cleo"))["rejected"] == 1
    client.put("/v1/learners/cleo/consent", json={"analytics": True}, headers=tc.admin)
    assert _post(tc, _event("cleo"))["accepted"] == 1
    with engine.connect() as connection:
        stored = connection.execute(
            select(events.c.event_id).where(events.c.tenant_id == tenant.tenant_id)
        ).all()
    assert len(stored) == 1


def test_forecast_is_withheld_without_personalization_consent(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    tc = TenantClient(client, tenant)
    client.put("/v1/catalog", json=small_catalog(), headers=tc.admin)
    _post(tc, _event(activity={"id": "prog/c1/m1/ex1", "type": "exercise"}))
    path = "/v1/learners/ana/forecast?program=prog"
    assert client.get(path, headers=tc.admin).status_code == 200
    client.put("/v1/learners/ana/consent", json={"personalization": False}, headers=tc.admin)
    withheld = client.get(path, headers=tc.admin)
    assert withheld.status_code == 403 and withheld.json()["code"] == "consent_required"
    # Progress is not personalization: still there.
    assert client.get("/v1/learners/ana/skills", headers=tc.admin).status_code == 200


def test_consent_changes_are_validated(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = bearer(tenant.admin_key)
    bad = client.put(
        "/v1/learners/ana/consent", json={"marketing": True, "research": "yes"}, headers=headers
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"marketing", "research"}
    assert client.put("/v1/learners/ana/consent", json={}, headers=headers).status_code == 422


def test_personal_data_is_redacted_by_default_and_counted(
    client: TestClient, tenant: TenantUnderTest, engine: Engine
) -> None:
    tc = TenantClient(client, tenant)
    sent = _event(
        "ana.lopez@example.org",  # an id that is an e-mail address is hashed, never scanned
        result={"score": 0.5, "response": "call me on +44 20 7946 0958"},
        properties={"note": "mail ana@example.org", "card": "4111 1111 1111 1111"},
    )
    assert _post(tc, sent)["accepted"] == 1
    with engine.connect() as connection:
        payload = connection.execute(
            select(events.c.payload, events.c.learner_key).where(
                events.c.tenant_id == tenant.tenant_id
            )
        ).one()
    assert payload.payload["result"]["response"] == "call me on [redacted:phone]"
    assert payload.payload["properties"] == {
        "note": "mail [redacted:email]",
        "card": "[redacted:card]",
    }
    assert "ana.lopez@example.org" not in str(payload.payload)
    assert payload.learner_key == learner_key(tenant.scope.learner_secret, "ana.lopez@example.org")
    figures = client.get("/v1/privacy/pii-findings", headers=tc.admin).json()
    assert figures["totals"] == {"card:redacted": 1, "email:redacted": 1, "phone:redacted": 1}


def test_policy_can_reject_personal_data_with_its_path(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    tc = TenantClient(client, tenant)
    policy = {"pii": {"fields": {"properties": "reject", "result.response": "redact"}}}
    applied = client.put("/v1/privacy/policy", json=policy, headers=tc.admin)
    assert applied.status_code == 200, applied.text
    report = _post(tc, _event(properties={"contact": ["ok", "bob@example.com"]}), _event())
    rejected = report["results"][0]
    assert rejected["status"] == "rejected" and rejected["reason"] == "pii"
    assert rejected["errors"] == [
        {"path": "properties.contact[1]", "reason": rejected["errors"][0]["reason"]}
    ]
    assert "email" in rejected["errors"][0]["reason"]
    assert report["results"][1]["status"] == "accepted"
    figures = client.get("/v1/privacy/pii-findings", headers=tc.admin).json()
    assert figures["totals"] == {"email:rejected": 1}


def test_policy_is_validated_whole_and_admin_only(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    headers = bearer(tenant.admin_key)
    default = client.get("/v1/privacy/policy", headers=headers).json()
    assert default["consent"]["analytics"] == "opt-out"
    assert default["min_group_size"] == 5
    bad = client.put(
        "/v1/privacy/policy",
        json={"consent": {"analytics": "maybe"}, "retention": {"raw_events_days": 0}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {
        "consent.analytics",
        "retention.raw_events_days",
    }
    assert client.get("/v1/privacy/policy", headers=headers).json() == default
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    assert client.get("/v1/privacy/policy", headers=instructor).status_code == 403
    assert client.put("/v1/privacy/policy", json={}, headers=instructor).status_code == 403


def test_staff_reads_and_changes_are_audited_without_learner_keys(
    client: TestClient,
    tenant: TenantUnderTest,
    engine: Engine,
    key_factory: Callable[[str, Role], str],
) -> None:
    tc = TenantClient(client, tenant)
    _post(tc, _event("zq-7"))
    instructor_key = key_factory(tenant.tenant_id, Role.INSTRUCTOR)
    assert (
        client.get("/v1/learners/zq-7/progress", headers=bearer(instructor_key)).status_code == 200
    )
    client.put("/v1/learners/zq-7/consent", json={"research": True}, headers=tc.admin)
    client.put("/v1/privacy/policy", json={"min_group_size": 10}, headers=tc.admin)

    page = client.get("/v1/audit", headers=tc.admin).json()
    # Entries come in the order written; reads are written in batches, so sort by time.
    by_time = sorted(page["entries"], key=lambda e: e["at"])
    assert [e["action"] for e in by_time] == ["learner.read", "consent.update", "policy.update"]
    actions = [e["action"] for e in page["entries"]]
    read = by_time[0]
    assert read["role"] == "instructor" and read["key_id"] == instructor_key.split("_")[1]
    assert read["resource"] == "/v1/learners/{learner_id}/progress"
    only_zq = client.get("/v1/audit?learner=zq-7", headers=tc.admin).json()["entries"]
    assert sorted(e["action"] for e in only_zq) == ["consent.update", "learner.read"]
    assert client.get("/v1/audit?learner=ben", headers=tc.admin).json()["entries"] == []
    paged = client.get("/v1/audit?limit=2", headers=tc.admin).json()
    rest = client.get(f"/v1/audit?after={paged['next_after']}", headers=tc.admin).json()
    assert [e["action"] for e in paged["entries"] + rest["entries"]] == actions

    key = learner_key(tenant.scope.learner_secret, "zq-7")
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_log).where(audit_log.c.tenant_id == tenant.tenant_id)
        ).all()
    assert rows and all(key not in str(row) and "zq-7" not in str(row) for row in rows)
    assert client.get("/v1/audit", headers=bearer(instructor_key)).status_code == 403
    naive = client.get("/v1/audit?since=2000-01-01T00:00:00", headers=tc.admin)
    assert naive.status_code == 422 and naive.json()["errors"][0]["path"] == "query.since"
    later = client.get("/v1/audit?since=2999-01-01T00:00:00Z", headers=tc.admin).json()
    assert later["entries"] == []


def test_analyst_never_reads_a_learners_rows(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    _post(TenantClient(client, tenant), _event())
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    for path in ("progress", "skills", "trends", "consent", "export", "timeline"):
        response = client.get(f"/v1/learners/ana/{path}", headers=analyst)
        assert response.status_code == 403, path


def test_learner_token_reads_only_its_own_learner(
    client: TestClient,
    tenant: TenantUnderTest,
    engine: Engine,
    key_factory: Callable[[str, Role], str],
) -> None:
    tc = TenantClient(client, tenant)
    _post(tc, _event(), _event("ben"))
    instructor = bearer(key_factory(tenant.tenant_id, Role.INSTRUCTOR))
    issued = client.post("/v1/learners/ana/tokens", json={"ttl_seconds": 600}, headers=instructor)
    assert issued.status_code == 201, issued.text
    token = bearer(issued.json()["token"])
    assert client.get("/v1/learners/ana/progress", headers=token).status_code == 200
    assert client.get("/v1/learners/ana/consent", headers=token).status_code == 200
    assert client.get("/v1/learners/ana/export", headers=token).status_code == 200
    assert client.get("/v1/learners/ben/progress", headers=token).status_code == 403
    assert client.post("/v1/events", json=_event(), headers=token).status_code == 403
    assert (
        client.put("/v1/learners/ana/consent", json={"research": True}, headers=token).status_code
        == 403
    )
    assert client.delete("/v1/learners/ana", headers=token).status_code == 403
    assert client.post("/v1/learners/ana/tokens", headers=token).status_code == 403
    assert client.get("/v1/audit", headers=token).status_code == 403
    ingest = bearer(key_factory(tenant.tenant_id, Role.INGEST))
    assert client.post("/v1/learners/ana/tokens", headers=ingest).status_code == 403

    # Expired, tampered and foreign tokens are refused.
    with engine.connect() as connection:
        row = get_tenant(connection, tenant.tenant_id)
    assert row is not None
    key = learner_key(row.learner_secret, "ana")
    old = issue_learner_token(
        row.id, row.signing_key, key, NOW - timedelta(hours=2), timedelta(hours=1)
    )
    assert client.get("/v1/learners/ana/progress", headers=bearer(old.token)).status_code == 401
    forged = issue_learner_token(row.id, "00" * 32, key, NOW, timedelta(minutes=5))
    assert client.get("/v1/learners/ana/progress", headers=bearer(forged.token)).status_code == 401
    raw = issued.json()["token"]
    tampered = raw[:-2] + ("AA" if raw[-2:] != "AA" else "BB")
    assert client.get("/v1/learners/ana/progress", headers=bearer(tampered)).status_code == 401
    assert client.get("/v1/learners/ana/progress", headers=bearer("a.b.c")).status_code == 401


def test_tenant_secrets_are_sealed_at_rest(tenant: TenantUnderTest, engine: Engine) -> None:
    raw = table("tenants", column("id"), column("learner_secret"))
    with engine.connect() as connection:
        stored = connection.execute(
            select(raw.c.learner_secret).where(raw.c.id == tenant.tenant_id)
        ).scalar_one()
        through_the_type = connection.execute(
            select(tenants.c.learner_secret).where(tenants.c.id == tenant.tenant_id)
        ).scalar_one()
    assert tenant.scope.learner_secret not in stored
    assert through_the_type == tenant.scope.learner_secret
