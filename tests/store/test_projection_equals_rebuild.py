"""Rule 1 of the architecture: incremental state == state rebuilt from the log, for any order."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from stride.analytics.projection_job import catch_up
from stride.catalog.service import apply_catalog
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.learners.profile import set_learner_timezone
from stride.privacy.pseudonym import learner_key
from tests.catalogs import small_catalog
from tests.fixtures.tenant import make_tenant
from tests.store.snapshots import read_model_snapshot

NOW = datetime(2024, 7, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
START = datetime(2024, 5, 1, tzinfo=UTC)
TYPES = [
    "activity.started",
    "activity.completed",
    "exercise.attempted",
    "assessment.submitted",
    "session.started",
    "session.ended",
    "custom.note",
    "enrollment.created",
    "enrollment.cancelled",
]
# Items of the catalog both tenants get (tests/catalogs.py), so attempts fold into mastery;
# a low threshold makes acquisitions (and their derived events) happen.
ITEMS = ["prog/c1/m1/ex1", "prog/c1/m1/ex2", "prog/c1/m2/quiz", "elsewhere"]
CATALOG = small_catalog(threshold=0.6)
# Achievements over every kind of metric; their points stay out of the weekly points here, as
# an award's date (hence week) depends on arrival order (see the in-order comparison below).
CATALOG["points"] = {"events": {"exercise.attempted": 1, "custom.note": 2}, "achievements": False}
CATALOG["achievements"] = [
    {"id": "first-perfect-score", "enabled": False},
    {"id": "tries", "name": "T", "criteria": "events:exercise.attempted.count >= 3"},
    {"id": "sessions", "name": "S", "criteria": "sessions.count >= 2", "points": 4},
    {"id": "half", "name": "H", "criteria": "module:prog/c1/m1.completion >= 0.5"},
    {
        "id": "mixed",
        "name": "M",
        "points": 5,
        "criteria": {
            "any": [
                {"all": ["mastery:planning >= 0.6", "streak.longest >= 2"]},
                "activity:prog/c1/m1/ex1.best_score >= 0.9",
                "improvement:execution.30d >= 0.2",
                "course:prog/c1.completion > 0.2",
            ]
        },
    },
]


@st.composite
def raw_event(draw: st.DrawFn, start: datetime = START, days: int = 20) -> dict[str, Any]:
    minutes = draw(st.integers(0, 60 * 24 * days))
    event: dict[str, Any] = {
        "id": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)), version=4)),
        "type": draw(st.sampled_from(TYPES)),
        "learner": draw(st.sampled_from(["ana", "ben", "chloé"])),
        "timestamp": (start + timedelta(minutes=minutes)).isoformat(),
    }
    if event["type"].startswith("enrollment."):
        event["activity"] = {
            "id": draw(st.sampled_from(["prog", "prog/c1"])),
            "type": draw(st.sampled_from(["program", "course"])),
        }
        if draw(st.booleans()):
            event["properties"] = {"target_date": f"2024-0{draw(st.integers(6, 9))}-15"}
    elif draw(st.booleans()):
        event["activity"] = {
            "id": draw(st.sampled_from(["m1", *ITEMS])),
            "type": draw(st.sampled_from(["module", "exercise", "assessment"])),
        }
    if draw(st.booleans()):
        event["skills"] = draw(st.lists(st.sampled_from(["planning", "extra"]), max_size=2))
    result = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "score": st.floats(0, 1),
                "success": st.booleans(),
                "duration_s": st.floats(0, 3600),
                "completion": st.booleans(),
            },
        )
    )
    if result:
        event["result"] = result
    if draw(st.booleans()):
        event["session"] = draw(st.sampled_from(["s1", "s2", "s3"]))
    return event


def _batches(items: list[Any], rng: random.Random) -> list[list[Any]]:
    batches, i = [], 0
    while i < len(items):
        size = rng.randint(1, 12)
        batches.append(items[i : i + size])
        i += size
    return batches


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(raw_event(), min_size=1, max_size=40, unique_by=lambda e: e["id"]),
    seed=st.integers(0, 2**32),
    tokyo=st.booleans(),
)
def test_incremental_state_equals_rebuilt_state(
    engine: Engine, events: list[dict[str, Any]], seed: int, tokyo: bool
) -> None:
    rng = random.Random(seed)
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, CATALOG, NOW)
    if tokyo:
        key = learner_key(tenant.scope.learner_secret, "ana")
        set_learner_timezone(engine, tenant.tenant_id, key, "Asia/Tokyo", utc_now())
    # Late, out of order and resent: shuffle, then replay a random sample a second time.
    stream = events + rng.sample(events, k=len(events) // 3)
    rng.shuffle(stream)
    for batch in _batches(stream, rng):
        ingest_events(engine, tenant.scope, batch, LIMITS, NOW)
    incremental = read_model_snapshot(engine, tenant.tenant_id)

    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == incremental

    # The same events in time order, in a fresh tenant, give the same state too.
    ordered = make_tenant(engine)
    apply_catalog(engine, ordered.tenant_id, CATALOG, NOW)
    if tokyo:
        key = learner_key(ordered.scope.learner_secret, "ana")
        set_learner_timezone(engine, ordered.tenant_id, key, "Asia/Tokyo", utc_now())
    in_order = sorted(events, key=lambda e: (e["timestamp"], e["id"]))
    ingest_events(engine, ordered.scope, in_order, LIMITS, NOW)
    assert _without_keys(read_model_snapshot(engine, ordered.tenant_id)) == _without_keys(
        incremental
    )


FAR_START = NOW - timedelta(days=420)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(
        raw_event(FAR_START, days=400), min_size=2, max_size=40, unique_by=lambda e: e["id"]
    ),
    seed=st.integers(0, 2**32),
)
def test_the_analytics_projection_in_small_pages_equals_a_rebuild_over_a_long_history(
    engine: Engine, events: list[dict[str, Any]], seed: int
) -> None:
    """Periods far beyond the folds' reach (a year of days, weeks and months), folded a few
    events at a time as they arrive out of order: the engagement and retention rollups equal
    a rebuild's. This is what catches a projection that loads too few of a learner's rows."""
    rng = random.Random(seed)
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, CATALOG, NOW)
    stream = list(events)
    rng.shuffle(stream)
    for batch in _batches(stream, rng):
        ingest_events(engine, tenant.scope, batch, LIMITS, NOW)
        catch_up(engine, tenant.tenant_id, page_size=rng.randint(1, 4))
    incremental = read_model_snapshot(engine, tenant.tenant_id)
    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == incremental


# Awards are dated by the event that satisfied them as events arrived (and carry ids derived
# from the tenant), so only a rebuild, not another arrival order, must give the same ones.
_BY_ARRIVAL = {"learner_achievements"}


def _without_keys(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    # Tenants pseudonymize with different secrets: compare rows sorted without tenant/learner keys.
    return {
        name: sorted(
            sorted((k, repr(v)) for k, v in row.items() if k not in {"tenant_id", "learner_key"})
            for row in rows
        )
        for name, rows in snapshot.items()
        if name not in _BY_ARRIVAL
    }
