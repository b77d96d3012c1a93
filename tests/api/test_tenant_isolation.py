"""Tenant isolation over every operation of the OpenAPI document.

Tenants A and B share a database, a catalog's ids and raw learner ids. Every operation is
called with A's credentials (each key role and a learner token) on B's identifiers. None may
answer with B's data, resolve an id only B has, or change a single row of B's.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from stride.analytics.projection_job import catch_up
from stride.api.app import create_app
from stride.clock import utc_now
from stride.config import Settings
from stride.privacy.pseudonym import learner_key
from stride.store.tables import metadata
from stride.store.tenants import get_tenant, list_api_keys
from stride.tenancy.audit import audit_subject
from stride.tenancy.roles import KEY_ROLES, Role
from stride.tenancy.service import create_key
from stride.tenancy.tokens import issue_learner_token
from tests.api.helpers import bearer
from tests.api.test_analytics_risk import store_risk_model
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant

SHARED = "ana"  # a raw learner id both tenants have
A_ALIAS = "ana-app"  # another id of A's ana (B's ana has another alias, only B knows)
A_OTHER = "ben"  # a learner only A has: A's learner token for ana must not open it
GOAL = "sweep-goal"  # every learner of both tenants has a goal by this id
SHARED_PROGRAM, SHARED_MODULE = "prog", "prog/c1/m1"  # small_catalog's, in both catalogs
EXERCISE, QUIZ = "prog/c1/m1/ex1", "prog/c1/m2/quiz"
ACHIEVEMENT = "tried"  # in both catalogs; every learner earns it with their first attempt
# xAPI statements both tenants hold under the same ids (B's name B's secret); one is voided.
XAPI = {"X-Experience-API-Version": "1.0.3"}
XAPI_STATEMENT, XAPI_VOIDED = (
    "3f1c0c9e-5b7a-4f0e-9d1e-6a2b8c4d5e6f",
    "7a9e2b4c-1d3f-4a5b-8c6d-0e1f2a3b4c5d",
)
XAPI_ACTIVITY, XAPI_VERB = (
    "http://example.com/xapi/lesson",
    "http://adlnet.gov/expapi/verbs/completed",
)

XAPI_AGENT = '{"mbox": "mailto:ana@example.com"}'
# One document of each kind, at the same address in both tenants.
XAPI_DOCUMENTS: dict[str, dict[str, str]] = {
    "/xapi/activities/state": {
        "activityId": XAPI_ACTIVITY,
        "agent": XAPI_AGENT,
        "stateId": "sweep-state",
    },
    "/xapi/activities/profile": {"activityId": XAPI_ACTIVITY, "profileId": "sweep-profile"},
    "/xapi/agents/profile": {"agent": XAPI_AGENT, "profileId": "sweep-profile"},
}
REPORT_DEFINITION = {
    "definition": {"period": "week", "metrics": ["active_learners"], "breakdown": "program"},
    "format": "json",
}


@dataclass
class World:
    a: TenantUnderTest
    b: TenantUnderTest
    secret: str  # in B's titles, responses, properties and policy: must never reach A
    b_only: str = field(default_factory=lambda: f"b-only-{uuid.uuid4().hex[:8]}")
    b_prog: str = field(default_factory=lambda: f"bprog{uuid.uuid4().hex[:8]}")
    b_alias: str = field(default_factory=lambda: f"b-alias-{uuid.uuid4().hex[:8]}")
    b_event_ids: list[str] = field(default_factory=list)
    b_key_ids: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    a_credentials: list[dict[str, Any]] = field(default_factory=list)  # as issued
    b_credentials: list[dict[str, Any]] = field(default_factory=list)
    a_webhook: str = ""
    b_webhook: str = ""
    a_report: str = ""
    b_report: str = ""
    a_run: str = ""
    b_run: str = ""

    @property
    def b_credential_ids(self) -> set[str]:
        return {c["credential_id"] for c in self.b_credentials}

    @property
    def b_module(self) -> str:
        return f"{self.b_prog}/c/m"


def _ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def _events(learner: str, note: str = "") -> list[dict[str, Any]]:
    def ev(kind: str, activity: str, atype: str, minutes: float, **extra: Any) -> dict[str, Any]:
        where = {"id": activity, "type": atype}
        return make_event(
            type=kind, learner=learner, timestamp=_ago(minutes), activity=where, **extra
        )

    result = {"score": 0.9, "success": True, "duration_s": 120, "response": f"{note} answer"}
    properties = {"note": f"{note} mail someone@example.com"}  # redacted: a PII finding
    context = {"platform": "web", "extra": f"{note} context"}
    return [
        ev("exercise.attempted", EXERCISE, "exercise", 90, result=result, properties=properties),
        ev("activity.completed", EXERCISE, "exercise", 80),
        ev("assessment.submitted", QUIZ, "assessment", 70, result=result, context=context),
        ev("activity.started", QUIZ, "assessment", 60 * 24 * 90),  # for a retention run
        ev("meeting.uploaded", "sweep-meeting", "meeting", 50),  # learner_meetings
        # Active three days ago and yesterday: B's streak freeze bridges the day between.
        ev("activity.progressed", EXERCISE, "exercise", 60 * 24 * 3),
        ev("activity.progressed", EXERCISE, "exercise", 60 * 24),
        make_event(
            type="goal.set",
            learner=learner,
            timestamp=_ago(100),
            properties={"goal_id": GOAL, "kind": "weekly_minutes", "target": 1},
            activity=None,
            result=None,
        ),
    ]


def _statements(note: str) -> list[dict[str, Any]]:
    actor = {"mbox": "mailto:ana@example.com", "name": f"{note} Ana"}
    lesson = {"id": XAPI_ACTIVITY, "definition": {"name": {"en": f"{note} lesson"}}}
    ref = {"objectType": "StatementRef", "id": XAPI_VOIDED}
    context = {"registration": XAPI_STATEMENT}
    return [
        {"id": XAPI_STATEMENT, "actor": actor, "verb": {"id": XAPI_VERB}, "object": lesson},
        {"id": XAPI_VOIDED, "actor": actor, "verb": {"id": XAPI_VERB}, "object": lesson},
        {"actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}, "object": ref},
        {"actor": actor, "verb": {"id": XAPI_VERB}, "object": lesson, "context": context},
    ]


def _with_achievement(catalog: dict[str, Any]) -> dict[str, Any]:
    rule = "events:exercise.attempted.count >= 1"
    return {**catalog, "achievements": [{"id": ACHIEVEMENT, "name": "Tried", "criteria": rule}]}


def _with_certification(catalog: dict[str, Any], *programs: str, name: str = "C") -> dict[str, Any]:
    """No requirements: every learner may be certified, so issuing reaches its logic."""
    certified = [{"program": p, "name": f"{name} certified"} for p in programs]
    return {**catalog, "certifications": certified}


def _certify(client: TestClient, tenant: TenantUnderTest, learners: list[str]) -> list[Any]:
    issued = []
    for raw in learners:
        path = f"/v1/learners/{raw}/certifications/{SHARED_PROGRAM}"
        response = client.post(path, headers=bearer(tenant.admin_key))
        assert response.status_code == 201, f"{path}: {response.text}"
        issued.append(response.json())
    return issued


def _b_catalog(world: World) -> dict[str, Any]:
    catalog = _with_achievement(small_catalog())
    catalog["name"] = f"{world.secret} catalog"
    catalog["streaks"] = {"freezes_per_month": 2}
    for activity in catalog["activities"]:
        activity["title"] = f"{world.secret} {activity['title']}"
    p = world.b_prog
    catalog["activities"] += [  # a program only B has
        {"id": p, "type": "program", "title": f"{world.secret} P"},
        {"id": f"{p}/c", "type": "course", "parent": p, "title": f"{world.secret} C"},
        {"id": f"{p}/c/m", "type": "module", "parent": f"{p}/c", "title": f"{world.secret} M"},
        {"id": f"{p}/c/m/x", "type": "exercise", "parent": f"{p}/c/m", "title": "X"},
    ]
    return _with_certification(catalog, SHARED_PROGRAM, p, name=world.secret)


def _populate(
    client: TestClient,
    tenant: TenantUnderTest,
    catalog: dict[str, Any],
    learners: dict[str, str],
    programs: list[str],
    policy: dict[str, Any],
) -> list[str]:
    """Catalog, policy, events, enrollments and consents; returns the event ids sent."""
    headers = {**bearer(tenant.admin_key), **XAPI}
    calls = [("PUT", "/v1/catalog", catalog), ("PUT", "/v1/privacy/policy", policy)]
    sent = [event for raw, note in learners.items() for event in _events(raw, note)]
    calls.append(("POST", "/v1/events", sent))
    note = next(iter(learners.values()))
    calls.append(("POST", "/xapi/statements", _statements(note)))
    for path, params in XAPI_DOCUMENTS.items():
        calls.append(("PUT", path, (params, {"note": f"{note} document"})))
    for raw in learners:
        calls += [("POST", f"/v1/learners/{raw}/enrollments", {"activity_id": p}) for p in programs]
        calls.append(("PUT", f"/v1/learners/{raw}/consent", {"research": True}))
        celebrated = f"/v1/learners/{raw}/achievements/{ACHIEVEMENT}"
        calls.append(("PATCH", celebrated, {"celebration_shown": True}))
    for method, path, body in calls:
        params = None
        if isinstance(body, tuple):  # an xAPI document: its address, then its content
            params, body = body
        response = client.request(method, path, json=body, headers=headers, params=params)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
    _attach(client, tenant, note)
    return [event["id"] for event in sent]


def _attach(client: TestClient, tenant: TenantUnderTest, note: str) -> None:
    """A statement whose attachment's content comes as a part of the request."""
    content = f"{note} attachment".encode()
    sha2 = hashlib.sha256(content).hexdigest()
    attachment = {
        "usageType": "http://example.com/attachment-usage/sweep",
        "display": {"en-US": "sweep"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": sha2,
    }
    statement = {**_statements(note)[3], "attachments": [attachment]}
    body = b"".join(
        [
            b"--sweep\r\nContent-Type: application/json\r\n\r\n",
            orjson.dumps([statement]),
            b"\r\n--sweep\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n",
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode(),
            content,
            b"\r\n--sweep--",
        ]
    )
    headers = {
        **bearer(tenant.admin_key),
        **XAPI,
        "Content-Type": "multipart/mixed; boundary=sweep",
    }
    response = client.post("/xapi/statements", content=body, headers=headers)
    assert response.status_code == 200, response.text


def _report(client: TestClient, tenant: TenantUnderTest, note: str) -> tuple[str, str]:
    """A saved report definition (stored only, no delivery) and one run of it."""
    headers = bearer(tenant.admin_key)
    body = {**REPORT_DEFINITION, "name": f"{note} report"}
    created = client.post("/v1/reports/definitions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    report = created.json()["id"]
    run = client.post(f"/v1/reports/definitions/{report}/run", headers=headers)
    assert run.status_code < 300, run.text
    return report, run.json()["id"]


def _subscribe(client: TestClient, tenant: TenantUnderTest, note: str) -> tuple[str, str]:
    """A webhook with a queued test delivery; returns its id and secret. Never sent: no
    dispatcher runs in tests (conftest), and example.com is not this machine."""
    headers = bearer(tenant.admin_key)
    body = {"url": f"https://hooks.example.com/{note}", "event_types": ["*"], "description": note}
    created = client.post("/v1/webhooks", json=body, headers=headers)
    assert created.status_code == 201, created.text
    hook = created.json()
    queued = client.post(f"/v1/webhooks/{hook['id']}/test", headers=headers)
    assert queued.status_code == 202, queued.text
    return hook["id"], hook["secret"]


def _build_world(client: TestClient, engine: Engine) -> World:
    w = World(make_tenant(engine), make_tenant(engine), f"Bsecret{uuid.uuid4().hex}")
    a_learners = {SHARED: "a", A_OTHER: "a"}
    _populate(
        client,
        w.a,
        _with_certification(_with_achievement(small_catalog()), SHARED_PROGRAM),
        a_learners,
        [SHARED_PROGRAM],
        {"min_group_size": 5},
    )
    b_fields = {"properties": "redact", f"properties.{w.secret}": "reject"}
    b_policy = {"min_group_size": 7, "pii": {"fields": b_fields}}
    b_learners = {SHARED: w.secret, w.b_only: w.secret}
    b_programs = [SHARED_PROGRAM, w.b_prog]
    w.b_event_ids = _populate(client, w.b, _b_catalog(w), b_learners, b_programs, b_policy)
    _link_alias(client, w.a, A_ALIAS)
    _link_alias(client, w.b, w.b_alias)
    w.a_credentials = _certify(client, w.a, list(a_learners))
    w.b_credentials = _certify(client, w.b, list(b_learners))
    w.a_webhook, _ = _subscribe(client, w.a, "a")
    w.b_webhook, b_webhook_secret = _subscribe(client, w.b, w.secret)
    w.a_report, w.a_run = _report(client, w.a, "a")
    w.b_report, w.b_run = _report(client, w.b, w.secret)
    store_risk_model(engine, w.b.tenant_id, w.secret)
    with engine.connect() as connection:
        b_row = get_tenant(connection, w.b.tenant_id)
        w.b_key_ids = [key.id for key in list_api_keys(connection, w.b.tenant_id)]
    assert b_row is not None
    b_keys = [learner_key(b_row.learner_secret, raw) for raw in [*b_learners, w.b_alias]]
    b_keys += [audit_subject(key) for key in b_keys]
    w.markers = [w.secret, b_row.id, b_row.name, b_row.learner_secret, b_row.signing_key]
    w.markers += [*w.b_key_ids, *b_keys, *w.b_event_ids, w.b_webhook, b_webhook_secret]
    w.markers += [w.b_report, w.b_run, w.b_alias]
    w.markers += [
        c[k] for c in w.b_credentials for k in ("credential_id", "jwt", "verification_code")
    ]
    return w


def _link_alias(client: TestClient, tenant: TenantUnderTest, alias: str) -> None:
    """Another platform id of the shared learner (learner_aliases, events.sent_as)."""
    headers = bearer(tenant.admin_key)
    linked = client.post(f"/v1/learners/{SHARED}/aliases", json={"alias": alias}, headers=headers)
    assert linked.status_code == 201, linked.text
    event = make_event(learner=alias, timestamp=_ago(30))
    assert client.post("/v1/events", json=event, headers=headers).json()["accepted"] == 1


def _always(value: str) -> Callable[[World], list[str]]:
    return lambda w: [value]


# How to fill each parameter with B's identifiers (or, for the rest, with valid values).
PATH_VALUES: dict[str, Callable[[World], list[str]]] = {
    "achievement_id": lambda w: [ACHIEVEMENT],
    "learner_id": lambda w: [SHARED, w.b_only, A_OTHER],
    "program_id": lambda w: [SHARED_PROGRAM, w.b_prog],
    "module_id": lambda w: [SHARED_MODULE, w.b_module],
    "activity_id": lambda w: [SHARED_PROGRAM, w.b_prog],
    "credential_id": lambda w: [
        *(c["credential_id"] for c in w.a_credentials),
        *sorted(w.b_credential_ids),
    ],
    # Public issuer keys and status lists: B's are public by design, so asking with B's
    # tenant id shows B's keys and list (the id is in the request, so it is no leak).
    "tenant_id": lambda w: [w.a.tenant_id, w.b.tenant_id],
    "list_id": lambda w: ["0"],
    "webhook_id": lambda w: [w.a_webhook, w.b_webhook],
    "goal_id": lambda w: [GOAL],
    "dataset": lambda w: [
        "events",
        "progress",
        "skills",
        "achievements",
        "enrollments",
        "learners",
        "days",
        "points",
        "goals",
        "certificates",
    ],
    "alias": lambda w: [A_ALIAS, w.b_alias],
    "report_id": lambda w: [w.a_report, w.b_report],
    "run_id": lambda w: [w.a_run, w.b_run],
}
QUERY_VALUES: dict[str, Callable[[World], list[str]]] = {
    "program": lambda w: [SHARED_PROGRAM, w.b_prog],
    "format": lambda w: ["json", "zip"],
    "status": lambda w: ["completed", "in_progress"],
    "limit": lambda w: ["500"],
    "offset": lambda w: ["0"],
    "after": lambda w: ["0"],
    "action": lambda w: ["policy.update", "consent.update"],
    "key_id": lambda w: w.b_key_ids,
    "learner": lambda w: [SHARED, w.b_only],
    "period": lambda w: ["week"],
    "top": lambda w: ["10"],
    "cohort": lambda w: ["2024-W01"],
    # Usage, metrics and funnels (docs/analytics-usage.md).
    "type": lambda w: ["exercise.attempted"],
    "feature": lambda w: ["custom."],
    "field": lambda w: ["result.score"],
    "steps": lambda w: [
        f"activity.started:{w.b_prog},exercise.attempted",
        f"exercise.attempted:{SHARED_PROGRAM},exercise.attempted",
    ],
    "window_days": lambda w: ["7"],
    "order": lambda w: ["strict"],
    "step": lambda w: ["1"],
    # At-risk learners (docs/at-risk.md).
    "inactive_days": lambda w: ["1"],
    "min_score": lambda w: ["0"],
}
# Where a route's parameter takes other values than the name's usual ones.
ROUTE_QUERY_VALUES: dict[tuple[str, str], Callable[[World], list[str]]] = {
    # Learning analytics (docs/analytics-learning.md).
    **{
        (f"GET /v1/analytics/{route}", name): values
        for route in ("content", "items")
        for name, values in (
            ("course", lambda w: ["prog/c1"]),
            ("module", lambda w: [SHARED_MODULE, w.b_module]),
        )
    },
    **{
        (f"GET /v1/analytics/{route}", name): values
        for route in ("coaching", "outcomes")
        for name, values in (
            ("from", lambda w: [(utc_now() - timedelta(days=20)).date().isoformat()]),
            ("to", lambda w: [utc_now().date().isoformat()]),
        )
    },
    ("GET /v1/webhooks/{webhook_id}/deliveries", "status"): lambda w: ["pending", "failed"],
    ("GET /v1/analytics/data-quality", "from"): lambda w: [
        (utc_now() - timedelta(days=10)).date().isoformat()
    ],
    ("GET /v1/analytics/data-quality", "threshold"): lambda w: ["2.5"],
    ("GET /v1/analytics/data-quality", "history_weeks"): lambda w: ["4"],
    **{
        ("GET /xapi/statements", name): values
        for name, values in (
            ("statementId", lambda w: [XAPI_STATEMENT]),
            ("voidedStatementId", lambda w: [XAPI_VOIDED]),
            ("agent", lambda w: ['{"mbox": "mailto:ana@example.com"}']),
            ("verb", lambda w: [XAPI_VERB]),
            ("activity", lambda w: [XAPI_ACTIVITY]),
            ("registration", lambda w: [XAPI_STATEMENT]),
            ("related_activities", lambda w: ["false"]),
            ("related_agents", lambda w: ["false"]),
            ("limit", lambda w: ["2"]),
            ("format", lambda w: ["exact", "ids", "canonical"]),
            ("attachments", lambda w: ["false"]),
            ("ascending", lambda w: ["true"]),
        )
    },
    ("PUT /xapi/statements", "statementId"): lambda w: [XAPI_STATEMENT],
    # The document resources' addresses are required together: see ADDRESSED.
    **{
        (f"{method} {path}", name): _always(value)
        for method in ("GET", "PUT", "POST", "DELETE")
        for path, address in XAPI_DOCUMENTS.items()
        for name, value in address.items()
    },
    **{
        (f"{method} {path}", name): lambda w: []  # not sent: the single document's address
        for method in ("GET", "PUT", "POST", "DELETE")
        for path in XAPI_DOCUMENTS
        for name in ("since", "registration")
    },
    ("GET /xapi/activities", "activityId"): lambda w: [XAPI_ACTIVITY],
    ("GET /xapi/agents", "agent"): lambda w: [XAPI_AGENT],
    ("GET /v1/exports/{dataset}", "format"): lambda w: ["jsonl", "csv", "parquet", "xapi"],
    ("GET /v1/exports/{dataset}", "purpose"): lambda w: ["analytics", "research"],
    ("GET /v1/learners/{learner_id}/reports", "format"): lambda w: ["json", "html", "pdf", "csv"],
    ("GET /v1/reports/summary", "format"): lambda w: ["json", "html", "pdf"],
    ("GET /v1/reports/runs", "report"): lambda w: [w.a_report, w.b_report],
    ("GET /v1/reports/runs", "status"): lambda w: ["succeeded", "pending", "failed"],
    ("GET /v1/reports/runs", "cursor"): lambda w: [],
    ("GET /v1/reports/runs", "limit"): lambda w: ["10"],
    **{
        (f"GET /v1/analytics/{route}", name): values
        for route in ("engagement", "retention", "lifecycle")
        for name, values in (
            ("from", lambda w: [(utc_now() - timedelta(days=20)).date().isoformat()]),
            ("to", lambda w: [utc_now().date().isoformat()]),
        )
    },
    ("GET /v1/analytics/engagement", "breakdown"): lambda w: ["program", "platform"],
    **{
        (f"GET /v1/analytics/{route}", "from"): lambda w: [
            (utc_now() - timedelta(days=20)).date().isoformat()
        ]
        for route in ("usage", "metrics")
    },
    ("GET /v1/analytics/metrics", "breakdown"): lambda w: ["platform", "properties.level"],
    ("GET /v1/analytics/retention", "start_event"): lambda w: ["any", "activity.completed"],
    ("GET /v1/analytics/retention", "return_event"): lambda w: ["any"],
    ("GET /v1/analytics/retention", "entry"): lambda w: ["first", "recurring"],
    ("GET /v1/analytics/retention", "return"): lambda w: ["on", "on_or_after"],
}
# Parameters the route needs together although each is optional in the document (the xAPI
# document resources: a document's address).
ADDRESSED: dict[str, set[str]] = {
    f"{method} {path}": set(address)
    for method in ("GET", "PUT", "POST", "DELETE")
    for path, address in XAPI_DOCUMENTS.items()
} | {"GET /xapi/activities": {"activityId"}, "GET /xapi/agents": {"agent"}}
# Answers that show A's admin reached the route's logic although they are 4xx: the xAPI
# profile resources refuse a PUT over an existing document without If-Match (409).
REACHED: dict[str, set[int]] = {
    "PUT /xapi/activities/profile": {409},
    "PUT /xapi/agents/profile": {409},
    # A filter or format only the events dataset has, sent for another dataset.
    "GET /v1/exports/{dataset}": {422},
    # ana-lms, linked to ana first, is taken for ben; A's alias, unlinked, is not linked again.
    "POST /v1/learners/{learner_id}/aliases": {409},
    "DELETE /v1/learners/{learner_id}/aliases/{alias}": {404},
}
# Filters over A's own records: the audit trail holds A's own reads of any id, even B's.
FILTERS = {"learner"}
# Parameters not named above (time bounds) by their schema's format: wide open.
FORMAT_VALUES = {"date": ["2000-01-01", "2100-01-01"], "date-time": ["2000-01-01T00:00:00Z"]}
# Bodies that work for the route in B's own hands, keyed by "METHOD /path".
BODIES: dict[str, Callable[[World], list[Any]]] = {
    # B's event ids with A's content: new events in A, never duplicates of B's.
    "POST /v1/events": lambda w: [
        [
            make_event(id=i, learner=(SHARED, w.b_only)[n % 2], timestamp=_ago(5))
            for n, i in enumerate(w.b_event_ids)
        ]
    ],
    "PUT /v1/catalog": lambda w: [_with_certification(small_catalog(), SHARED_PROGRAM)],
    "POST /v1/analytics/at-risk/fit": lambda w: [{}],
    "PATCH /v1/learners/{learner_id}/achievements/{achievement_id}": lambda w: [
        {"celebration_shown": True}
    ],
    # A's retention run then removes A's old events, and must leave B's alone.
    "PUT /v1/privacy/policy": lambda w: [{"retention": {"raw_events_days": 30}}],
    "PUT /v1/learners/{learner_id}": lambda w: [{"timezone": "Europe/Paris"}],
    "POST /v1/learners/{learner_id}/enrollments": lambda w: [
        {"activity_id": SHARED_PROGRAM},
        {"activity_id": w.b_prog, "activity_type": "program"},
    ],
    "PUT /v1/learners/{learner_id}/consent": lambda w: [{"research": False}],
    "POST /v1/learners/{learner_id}/aliases": lambda w: [{"alias": "ana-lms"}],
    "POST /v1/learners/{learner_id}/tokens": lambda w: [{"ttl_seconds": 60}],
    "POST /v1/learners/{learner_id}/goals": lambda w: [{"kind": "weekly_minutes", "target": 30}],
    "POST /v1/webhooks": lambda w: [
        {"url": "https://hooks.example.com/a", "event_types": ["achievement.*", "goal.met"]}
    ],
    "POST /v1/credentials/{credential_id}/revoke": lambda w: [{"reason": "sweep"}],
    # Public verification answers for any tenant's credential by design (that is what a
    # credential is for; tests/api/test_certificates.py covers it): the sweep sends only A's
    # own credentials and a code nobody has, so nothing of B's may come back.
    # A's own statements: new ones, and the one it holds under the id B uses too.
    "POST /xapi/statements": lambda w: [[s for s in _statements("a") if "id" not in s]],
    "PUT /xapi/statements": lambda w: [_statements("a")[0]],
    **{
        f"{method} {path}": lambda w: [{"note": "a document"}]
        for method in ("PUT", "POST")
        for path in XAPI_DOCUMENTS
    },
    "POST /v1/reports/definitions": lambda w: [{**REPORT_DEFINITION, "name": "a report"}],
    "PUT /v1/reports/definitions/{report_id}": lambda w: [
        {**REPORT_DEFINITION, "name": "a report, renamed"}
    ],
    "POST /v1/credentials/verify": lambda w: [
        *({"code": c["verification_code"]} for c in w.a_credentials),
        {"jwt": w.a_credentials[0]["jwt"]},
        {"code": "00000-00000"},
    ],
}


@dataclass(frozen=True)
class Call:
    label: str  # the operation, "METHOD /path"
    method: str
    url: str
    params: dict[str, str]
    body: Any
    filled: dict[str, str]  # path parameters

    @property
    def values(self) -> set[str]:
        return {*self.filled.values(), *self.params.values()}


def _format(schema: dict[str, Any]) -> str | None:
    """The format of a parameter's schema, looking through `anyOf: [..., null]`."""
    found = [schema, *schema.get("anyOf", [])]
    return next((part["format"] for part in found if "format" in part), None)


def _plan(w: World, label: str, operation: dict[str, Any]) -> list[Call] | str:
    """Every way to call the operation with B's identifiers, or why it cannot be called."""
    method, path = label.split(" ", 1)
    paths: list[list[tuple[str, str]]] = [[]]
    required: list[list[tuple[str, str]]] = [[]]
    optional: list[tuple[str, str]] = []
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        table = PATH_VALUES if where == "path" else QUERY_VALUES
        if (label, name) in ROUTE_QUERY_VALUES:
            table = {name: ROUTE_QUERY_VALUES[(label, name)]}
        by_format = FORMAT_VALUES.get(_format(parameter.get("schema", {})), [])
        if where not in ("path", "query") or (name not in table and not by_format):
            return (
                f"{label}: no value for the {where} parameter {name!r}; add it to PATH/QUERY_VALUES"
            )
        values = [(name, value) for value in (table[name](w) if name in table else by_format)]
        if where == "path":
            paths = [[*done, pair] for done in paths for pair in values]
        elif parameter.get("required") or name in ADDRESSED.get(label, set()):
            required = [[*done, pair] for done in required for pair in values]
        else:
            optional += values
    if "requestBody" in operation and label not in BODIES:
        return f"{label}: takes a body; add one that works for B to BODIES"
    bodies = BODIES[label](w) if "requestBody" in operation else [None]
    queries = [dict(r) for r in required] + [
        {**dict(r), k: v} for r in required for k, v in optional
    ]
    calls = []
    for filled, query, body in itertools.product(paths, queries, bodies):
        url = path
        for name, value in filled:
            url = url.replace("{" + name + "}", value)
        calls.append(Call(label, method, url, query, body, dict(filled)))
    return calls


def _principals(engine: Engine, tenant: TenantUnderTest) -> dict[str, str]:
    """A's admin key, a key of every other role, and a learner token of A's learner ana."""
    credentials = {Role.ADMIN.value: tenant.admin_key}
    now = utc_now()
    with engine.begin() as connection:
        for role in KEY_ROLES:
            if role is not Role.ADMIN:
                credentials[role.value] = create_key(
                    connection, tenant.tenant_id, role, now
                ).api_key
        row = get_tenant(connection, tenant.tenant_id)
    assert row is not None
    key = learner_key(row.learner_secret, SHARED)
    token = issue_learner_token(row.id, row.signing_key, key, now, timedelta(hours=1)).token
    credentials[Role.LEARNER.value] = token
    return credentials


def _snapshot(engine: Engine, tenant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every tenant-owned table that belongs to the tenant."""
    rows = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            column = table.c.id if table.name == "tenants" else table.c.get("tenant_id")
            if column is not None:
                found = connection.execute(select(table).where(column == tenant_id)).all()
                rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows


def _text(response: httpx.Response, headers: bool = True) -> str:
    """Headers and body; a ZIP (the CSV export) is searched inside, member by member."""
    parts = [str(response.headers)] if headers else []
    if response.content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            parts += [archive.read(name).decode() for name in archive.namelist()]
    else:
        parts.append(response.text)
    return "\n".join(parts)


# Live streams never end, so a request cannot be swept like the others: their isolation (a
# tenant feed and learner streams of the caller's tenant only) is tested in
# tests/api/test_stream.py.
STREAMS = {"GET /v1/stream", "GET /v1/learners/{learner_id}/stream"}


def _operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every operation of the document but the streams: reads first, then writes, erasures
    last."""
    found = [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete", "head", "options")
        and f"{method.upper()} {path}" not in STREAMS
    ]
    order = {"GET": 0, "HEAD": 0, "OPTIONS": 0, "PUT": 1, "PATCH": 1, "POST": 2, "DELETE": 3}
    # Deeper deletes first, so cancelling an enrollment runs before erasing the learner.
    return sorted(found, key=lambda op: (order[op[0].split()[0]], -len(op[0]), op[0]))


def _send(client: TestClient, call: Call, credential: str) -> httpx.Response:
    return client.request(
        call.method,
        call.url,
        params=call.params,
        json=call.body,
        headers={**bearer(credential), **XAPI},
    )


def _twin(w: World, call: Call) -> tuple[Call, dict[str, str]]:
    """The same call with B's own identifiers replaced by ones nobody has."""
    fresh = {v: f"nobody{uuid.uuid4().hex[:8]}" for v in (w.b_only, w.b_prog, w.b_module)}
    url = call.url.replace(w.b_module, fresh[w.b_module])
    url = url.replace(w.b_prog, fresh[w.b_prog]).replace(w.b_only, fresh[w.b_only])
    params = {k: fresh.get(v, v) for k, v in call.params.items()}
    return Call(call.label, call.method, url, params, call.body, {}), fresh


def _check(client: TestClient, w: World, who: str, credential: str, call: Call) -> list[str]:
    response = _send(client, call, credential)
    where = f"{who}: {call.method} {call.url} {call.params} -> {response.status_code}"
    problems = []
    if response.status_code >= 500 or response.status_code == 429:
        problems.append(f"{where}: {response.text[:300]}")
    text, sent = _text(response), repr(call)  # a response may echo what the caller sent
    leaked = [marker for marker in w.markers if marker in text and marker not in sent]
    if leaked:
        problems.append(f"{where}: answers with B's data {leaked}")
    b_ids = {w.b_only, w.b_prog, w.b_module, w.b_webhook, w.b_report, w.b_run, w.b_alias}
    b_only = call.values & {*b_ids, *w.b_credential_ids}
    resolved = {v for k, v in [*call.filled.items(), *call.params.items()] if k not in FILTERS}
    if resolved & b_only and call.method == "GET" and response.status_code not in (403, 404):
        twin, fresh = _twin(w, call)
        expected = _send(client, twin, credential)
        body = _text(response, headers=False)
        for ours, theirs in fresh.items():
            body = body.replace(ours, theirs)
        if (response.status_code, body) != (expected.status_code, _text(expected, False)):
            problems.append(f"{where}: B's {b_only} resolve unlike ids nobody has: {body[:300]}")
    other_learner = call.filled.get("learner_id", SHARED) != SHARED
    if who == Role.LEARNER.value and other_learner and response.status_code != 403:
        problems.append(f"{where}: a learner token reached another learner")
    reached = response.status_code < 400 or response.status_code in REACHED.get(call.label, ())
    if who == Role.ADMIN.value and not b_only and not reached:
        problems.append(f"{where}: the sweep must reach the route's logic: {response.text[:300]}")
    first_to_send = who == Role.ADMIN.value and call.label == "POST /v1/events"
    if first_to_send and response.json().get("accepted") != len(call.body):
        problems.append(f"{where}: B's event ids must be new to A: {response.text[:300]}")
    return problems


def _sweep(engine: Engine) -> None:
    settings = Settings(DATABASE_URL=str(engine.url), RATE_LIMIT_PER_SECOND=0)
    app = create_app(settings, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        w = _build_world(client, engine)
        plans = {label: _plan(w, label, op) for label, op in _operations(app.openapi())}
        unknown = [plan for plan in plans.values() if isinstance(plan, str)]
        unknown += [
            f"{label}: in BODIES but not an operation" for label in set(BODIES) - set(plans)
        ]
        assert not unknown, "The sweep cannot call every operation:\n" + "\n".join(unknown)
        credentials = _principals(engine, w.a)
        app.state.read_audit.flush()
        for tenant in (w.a, w.b):  # the analytics projection folds both logs in full
            catch_up(engine, tenant.tenant_id)
        before = _snapshot(engine, w.b.tenant_id)
        empty = {name for name, rows in before.items() if not rows}
        # event_ids is PostgreSQL's key of its partitioned log; SQLite leaves it empty.
        unused = {"event_ids"} if engine.dialect.name == "sqlite" else set()
        allowed = {"skill_parameters", "retention_runs", *unused}
        assert empty <= allowed, "B holds rows in every table"

        calls = [call for plan in plans.values() if not isinstance(plan, str) for call in plan]
        problems = []
        for call in calls:
            for who, credential in credentials.items():
                problems += _check(client, w, who, credential, call)
        app.state.read_audit.flush()  # A's staff reads are audited under A, never under B

    assert not problems, f"{len(problems)} isolation failures:\n" + "\n".join(problems)
    assert _snapshot(engine, w.b.tenant_id) == before, "B's rows changed"


def test_tenant_a_reaches_nothing_of_tenant_b(sqlite_engine: Engine) -> None:
    """On SQLite, where Stride's own filters are the only wall. On PostgreSQL the sweep runs
    under Row-Level Security below (a superuser run would repeat the same queries)."""
    _sweep(sqlite_engine)


@pytest.mark.postgres
def test_the_sweep_passes_under_row_level_security(app_role_engine: Engine) -> None:
    """Stride connected as an ordinary role, as in production, so every request runs under
    Row-Level Security: RLS refuses nothing the routes do for their own tenant (the sweep
    asserts that A's admin succeeds on every operation) and the isolation still holds."""
    _sweep(app_role_engine)
