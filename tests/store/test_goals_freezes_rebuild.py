"""Incremental == rebuilt, for goals and frozen streaks, whatever the arrival order."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from stride.catalog.service import apply_catalog
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.privacy.pseudonym import learner_key
from stride.store.tables import events as event_table
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest, make_tenant
from tests.store.snapshots import read_model_snapshot

NOW = datetime(2024, 7, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
START = datetime(2024, 4, 20, tzinfo=UTC)  # spans the April/May and May/June boundaries
GOALS = [
    {"goal_id": "minutes", "kind": "weekly_minutes", "target": 20},
    {"goal_id": "minutes", "kind": "weekly_minutes", "target": 45},
    {"goal_id": "sessions", "kind": "sessions_per_week", "target": 2},
    {"goal_id": "module", "kind": "module_by_date", "module": "prog/c1/m1", "due": "2024-05-20"},
]


def _catalog(freezes: int) -> dict[str, Any]:
    return {**small_catalog(), "streaks": {"freezes_per_month": freezes}}


@st.composite
def raw_event(draw: st.DrawFn) -> dict[str, Any]:
    # Every other day or so, so single missed days (freeze candidates) are common.
    day = draw(st.integers(0, 25)) * 2 + draw(st.sampled_from([0, 0, 1]))
    event: dict[str, Any] = {
        "id": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)), version=4)),
        "learner": draw(st.sampled_from(["ana", "ben"])),
        "timestamp": (START + timedelta(days=day, minutes=draw(st.integers(0, 600)))).isoformat(),
    }
    kind = draw(st.sampled_from(["work", "work", "work", "goal.set", "goal.cancelled"]))
    if kind == "goal.set":
        event.update(type="goal.set", properties=draw(st.sampled_from(GOALS)))
    elif kind == "goal.cancelled":
        goal_id = draw(st.sampled_from(["minutes", "sessions", "module"]))
        event.update(type="goal.cancelled", properties={"goal_id": goal_id})
    else:
        item = draw(st.sampled_from(["prog/c1/m1/ex1", "prog/c1/m1/ex2", "elsewhere"]))
        event.update(
            type=draw(st.sampled_from(["activity.completed", "activity.progressed"])),
            activity={"id": item, "type": "exercise"},
            result={"duration_s": draw(st.integers(0, 1800))},
            session=draw(st.sampled_from(["s1", "s2", "s3"])),
        )
    return event


def _met(engine: Engine, tenant_id: str) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(event_table)
        return connection.execute(
            query.where(event_table.c.tenant_id == tenant_id, event_table.c.type == "goal.met")
        ).scalar_one()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(raw_event(), min_size=1, max_size=30, unique_by=lambda e: e["id"]),
    seed=st.integers(0, 2**32),
    freezes=st.sampled_from([0, 1, 2]),
)
def test_goals_and_freezes_incremental_equals_rebuilt(
    engine: Engine, events: list[dict[str, Any]], seed: int, freezes: int
) -> None:
    rng = random.Random(seed)
    tenant, ordered = make_tenant(engine), make_tenant(engine)
    for t in (tenant, ordered):
        apply_catalog(engine, t.tenant_id, _catalog(freezes), NOW)
    stream = events + rng.sample(events, k=len(events) // 3)
    rng.shuffle(stream)
    i = 0
    while i < len(stream):
        size = rng.randint(1, 8)
        ingest_events(engine, tenant.scope, stream[i : i + size], LIMITS, NOW)
        i += size
    ingest_events(engine, ordered.scope, sorted(events, key=lambda e: e["timestamp"]), LIMITS, NOW)
    incremental = read_model_snapshot(engine, tenant.tenant_id)
    met = _met(engine, tenant.tenant_id)
    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == incremental
    assert _met(engine, tenant.tenant_id) == met  # exactly once: a rebuild adds none
    in_order = read_model_snapshot(engine, ordered.tenant_id)
    for name in ("learner_stats", "learner_goals", "learner_streak_freezes"):
        assert _by_raw_id(incremental[name], tenant) == _by_raw_id(in_order[name], ordered), name


def _by_raw_id(rows: list[dict[str, Any]], tenant: TenantUnderTest) -> list[dict[str, Any]]:
    """Rows of two tenants made comparable: raw learner ids for their keyed hashes."""
    raw = {learner_key(tenant.scope.learner_secret, r): r for r in ("ana", "ben")}
    found = [
        {
            **{k: v for k, v in row.items() if k != "tenant_id"},
            "learner_key": raw[row["learner_key"]],
        }
        for row in rows
    ]
    return sorted(found, key=repr)


def test_a_new_allowance_refolds_streaks(engine: Engine) -> None:
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, _catalog(0), NOW)
    days = [0, 2, 4, 5, 7]
    sent = [
        {
            "id": str(uuid.uuid4()),
            "type": "activity.progressed",
            "learner": "ana",
            "timestamp": (START + timedelta(days=d, hours=12)).isoformat(),
        }
        for d in days
    ]
    ingest_events(engine, tenant.scope, sent, LIMITS, NOW)
    plain = read_model_snapshot(engine, tenant.tenant_id)
    assert plain["learner_stats"][0]["longest_streak"] == 2
    apply_catalog(engine, tenant.tenant_id, _catalog(10), NOW)
    frozen = read_model_snapshot(engine, tenant.tenant_id)
    assert frozen["learner_stats"][0]["longest_streak"] == 5
    assert len(frozen["learner_streak_freezes"]) == 3
    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == frozen
    apply_catalog(engine, tenant.tenant_id, _catalog(0), NOW)
    assert read_model_snapshot(engine, tenant.tenant_id)["learner_stats"] == plain["learner_stats"]
    assert read_model_snapshot(engine, tenant.tenant_id)["learner_streak_freezes"] == []
