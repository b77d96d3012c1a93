"""One learner, several platform ids: POST/GET/DELETE /v1/learners/{id}/aliases."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from stride.catalog.service import apply_catalog
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.learners.aliases import link_alias
from stride.privacy.pseudonym import learner_key
from stride.store.tables import audit_log, events, learner_aliases
from stride.tenancy.audit import operator_principal
from stride.tenancy.roles import Role
from stride.verify.service import verify_tenant
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest, make_tenant

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=50)
ITEMS = ("course-1/ex-1", "course-1/ex-2", "course-1/ex-3")
READS = ("progress", "activities", "timeline", "skills")


def _events(learners: tuple[str, ...], count: int, offset: int = 0) -> list[dict[str, Any]]:
    """A history that alternates between the given ids of one person."""
    made = []
    for n in range(offset, offset + count):
        made.append(
            {
                "id": str(uuid.UUID(int=n + 1)),
                "type": ("exercise.attempted", "activity.completed")[n % 5 == 4],
                "learner": learners[n % len(learners)],
                "timestamp": (START + timedelta(hours=9 * n)).isoformat(),
                "session": f"s{n // 3}",
                "activity": {"id": ITEMS[n % 3], "type": "exercise"},
                "result": {"score": (n % 10) / 10, "success": n % 2 == 0, "duration_s": 60 + n},
                "skills": ["planning"],
            }
        )
    return made


def _tenant(engine: Engine) -> TenantUnderTest:
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, small_catalog(threshold=0.6), NOW)
    return tenant


def _ingest(engine: Engine, tenant: TenantUnderTest, batch: list[dict[str, Any]]) -> None:
    limits = ValidationLimits(datetime.now(UTC), timedelta(hours=24))
    report = ingest_events(engine, tenant.scope, batch, limits, datetime.now(UTC))
    assert all(o.status.value in ("accepted", "duplicate") for o in report.outcomes), report


def _reads(client: TestClient, tenant: TenantUnderTest, learner: str) -> dict[str, Any]:
    headers = bearer(tenant.admin_key)
    found = {}
    for read in READS:
        response = client.get(f"/v1/learners/{learner}/{read}", headers=headers)
        assert response.status_code == 200, (read, response.text)
        found[read] = _without_keys(response.json())
    return found


def _without_keys(value: Any) -> Any:
    """The answer without learner keys: they differ between tenants (a secret each)."""
    if isinstance(value, dict):
        return {k: _without_keys(v) for k, v in value.items() if k != "learner_key"}
    if isinstance(value, list):
        return [_without_keys(v) for v in value]
    return value


def _link(client: TestClient, tenant: TenantUnderTest, learner: str, alias: str) -> Any:
    return client.post(
        f"/v1/learners/{learner}/aliases", json={"alias": alias}, headers=bearer(tenant.admin_key)
    )


def test_linking_folds_both_ids_into_one_learner_and_unlinking_splits_them_again(
    client: TestClient, engine: Engine
) -> None:
    history = _events(("ana", "ana-app"), 40)
    merged, single, split = _tenant(engine), _tenant(engine), _tenant(engine)
    _ingest(engine, merged, history)
    _ingest(engine, single, [{**e, "learner": "ana"} for e in history])
    _ingest(engine, split, history)

    linked = _link(client, merged, "ana", "ana-app")
    assert linked.status_code == 201, linked.text
    body = linked.json()
    assert body["linked"] and body["changed"] and body["alias"] == "ana-app"
    assert body["events_moved"] == 20
    # Exactly what one id for the whole history gives, under either id.
    assert _reads(client, merged, "ana") == _reads(client, single, "ana")
    assert _reads(client, merged, "ana-app") == _reads(client, single, "ana")
    assert verify_tenant(engine, merged.tenant_id).clean

    # New events under the alias fold into the learner.
    more = _events(("ana-app",), 5, offset=100)
    _ingest(engine, merged, more)
    _ingest(engine, single, [{**e, "learner": "ana"} for e in more])
    assert _reads(client, merged, "ana") == _reads(client, single, "ana")
    listed = client.get("/v1/learners/ana-app/aliases", headers=bearer(merged.admin_key))
    assert [a["alias"] for a in listed.json()["data"]] == ["ana-app"]

    unlinked = client.delete("/v1/learners/ana/aliases/ana-app", headers=bearer(merged.admin_key))
    assert unlinked.status_code == 200, unlinked.text
    assert unlinked.json()["events_moved"] == 25 and not unlinked.json()["linked"]
    _ingest(engine, split, more)
    assert _reads(client, merged, "ana") == _reads(client, split, "ana")
    assert _reads(client, merged, "ana-app") == _reads(client, split, "ana-app")
    assert verify_tenant(engine, merged.tenant_id).clean
    assert client.get("/v1/learners/ana/aliases", headers=bearer(merged.admin_key)).json() == {
        "data": []
    }
    with engine.connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.tenant_id == merged.tenant_id)
        ).scalars()
        assert {"learner.alias.link", "learner.alias.unlink"} <= set(actions)


def test_link_answers(
    client: TestClient, engine: Engine, key_factory: Callable[[str, Role], str]
) -> None:
    tenant = _tenant(engine)
    _ingest(engine, tenant, _events(("ana", "ben", "ana-lms"), 9))
    assert _link(client, tenant, "ana", "ana-lms").status_code == 201
    again = _link(client, tenant, "ana", "ana-lms")
    assert again.status_code == 200 and again.json()["changed"] is False
    # Through the alias itself: the same learner.
    assert _link(client, tenant, "ana-lms", "ana-lms").json()["changed"] is False
    assert _link(client, tenant, "ana-lms", "ana").status_code == 422
    taken = _link(client, tenant, "ben", "ana-lms")
    assert taken.status_code == 409
    assert taken.headers["content-type"].startswith("application/problem+json")
    has_aliases = _link(client, tenant, "ben", "ana")
    assert has_aliases.status_code == 409
    for bad in ({}, {"alias": ""}, {"alias": "  "}, {"alias": 7}, {"alias": "x" * 257}, []):
        answer = client.post("/v1/learners/ana/aliases", json=bad, headers=bearer(tenant.admin_key))
        assert answer.status_code == 422, (bad, answer.text)
    extra = _link_body(client, tenant, {"alias": "a", "other": 1})
    assert extra.status_code == 422 and "other" in extra.text
    assert (
        client.delete("/v1/learners/ben/aliases/ana-lms", headers=bearer(tenant.admin_key))
    ).status_code == 404
    for role, allowed in ((Role.INSTRUCTOR, True), (Role.ANALYST, False), (Role.INGEST, False)):
        headers = bearer(key_factory(tenant.tenant_id, role))
        got = client.get("/v1/learners/ana/aliases", headers=headers)
        assert (got.status_code == 200) is allowed, (role, got.text)
        posted = client.post("/v1/learners/ben/aliases", json={"alias": "b2"}, headers=headers)
        assert (posted.status_code == 201) is allowed, (role, posted.text)


def _link_body(client: TestClient, tenant: TenantUnderTest, body: Any) -> Any:
    return client.post("/v1/learners/ana/aliases", json=body, headers=bearer(tenant.admin_key))


def test_a_withdrawal_under_either_id_holds_for_the_linked_learner(
    client: TestClient, engine: Engine
) -> None:
    tenant = _tenant(engine)
    headers = bearer(tenant.admin_key)
    _ingest(engine, tenant, _events(("ana", "ana-app"), 4))
    client.put("/v1/learners/ana/consent", json={"research": True}, headers=headers)
    client.put("/v1/learners/ana-app/consent", json={"research": False}, headers=headers)
    assert _link(client, tenant, "ana", "ana-app").status_code == 201
    purposes = client.get("/v1/learners/ana/consent", headers=headers).json()["purposes"]
    research = next(p for p in purposes if p["purpose"] == "research")
    assert research["granted"] is False and research["source"] == "learner"


def test_a_learner_token_of_either_id_opens_the_linked_learner(
    client: TestClient, engine: Engine
) -> None:
    tenant = _tenant(engine)
    headers = bearer(tenant.admin_key)
    _ingest(engine, tenant, _events(("ana", "ana-app", "ben"), 6))
    issued = client.post("/v1/learners/ana-app/tokens", json={"ttl_seconds": 600}, headers=headers)
    token = bearer(issued.json()["token"])
    assert client.get("/v1/learners/ana/progress", headers=token).status_code == 403
    assert _link(client, tenant, "ana", "ana-app").status_code == 201
    assert client.get("/v1/learners/ana/progress", headers=token).status_code == 200
    assert client.get("/v1/learners/ana-app/progress", headers=token).json()["events"] == 4
    assert client.get("/v1/learners/ben/progress", headers=token).status_code == 403


def test_erasure_removes_every_id_of_the_learner(client: TestClient, engine: Engine) -> None:
    tenant = _tenant(engine)
    headers = bearer(tenant.admin_key)
    _ingest(engine, tenant, _events(("ana", "ana-app", "ben"), 9))
    assert _link(client, tenant, "ana", "ana-app").status_code == 201
    statement = {
        "actor": {"mbox": "mailto:ana@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://lms.example.com/course-1/ex-1"},
    }
    xapi = _xapi_headers(tenant)
    assert client.post("/xapi/statements", json=statement, headers=xapi).status_code == 200
    assert _link(client, tenant, "ana", "mbox:mailto:ana@example.com").status_code == 201

    erased = client.delete("/v1/learners/ana-app", headers=headers)
    assert erased.status_code == 200, erased.text
    assert erased.json()["tables"]["learner_aliases"] == 2
    assert erased.json()["tables"]["xapi_statements"] == 1
    keys = [learner_key(tenant.scope.learner_secret, i) for i in ("ana", "ana-app")]
    with engine.connect() as connection:
        left = connection.execute(
            select(func.count()).where(
                events.c.tenant_id == tenant.tenant_id, events.c.learner_key.in_(keys)
            )
        ).scalar_one()
        aliases = connection.execute(
            select(func.count()).where(learner_aliases.c.tenant_id == tenant.tenant_id)
        ).scalar_one()
    assert (left, aliases) == (0, 0)
    assert client.get("/v1/learners/ben/progress", headers=headers).json()["events"] == 3
    assert client.get("/v1/learners/ana/progress", headers=headers).status_code == 404


def _xapi_headers(tenant: TenantUnderTest) -> dict[str, str]:
    _, key_id, secret = tenant.admin_key.split("_", 2)
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def test_xapi_agents_returns_every_known_identifier(client: TestClient, engine: Engine) -> None:
    tenant = _tenant(engine)
    mbox = "mbox:mailto:ana@example.com"
    openid = "openid:https:%2F%2Fid.example.org%2Fana"
    account = "account:https:%2F%2Flms.example.com|ana%7C7"
    for alias in (openid, account, "lms-user-7"):  # the last names no xAPI identifier
        assert _link(client, tenant, mbox, alias).status_code == 201
    asked = {"account": {"homePage": "https://lms.example.com", "name": "ana|7"}}
    got = client.get(
        "/xapi/agents", params={"agent": json.dumps(asked)}, headers=_xapi_headers(tenant)
    )
    assert got.status_code == 200, got.text
    assert got.json() == {
        "objectType": "Person",
        "mbox": ["mailto:ana@example.com"],
        "openid": ["https://id.example.org/ana"],
        "account": [asked["account"]],
    }


def test_linking_while_batches_arrive_loses_and_doubles_nothing(engine: Engine) -> None:
    tenant = _tenant(engine)
    history = _events(("ana", "ana-app"), 120)
    _ingest(engine, tenant, history[:20])
    failures: list[BaseException] = []

    def send() -> None:
        try:
            for start in range(20, 120, 10):
                _ingest(engine, tenant, history[start : start + 10])
        except BaseException as error:
            failures.append(error)

    with engine.connect() as connection:
        actor = operator_principal(connection, tenant.tenant_id)
    sender = threading.Thread(target=send)
    sender.start()
    link_alias(engine, actor, "ana", "ana-app", datetime.now(UTC))
    sender.join()
    assert not failures
    ana = learner_key(tenant.scope.learner_secret, "ana")
    with engine.connect() as connection:
        held = connection.execute(
            select(events.c.learner_key, events.c.payload).where(
                events.c.tenant_id == tenant.tenant_id
            )
        ).all()
    sent = [key for key, payload in held if not payload.get("derived")]
    assert sent == [ana] * 120
    assert verify_tenant(engine, tenant.tenant_id).clean
