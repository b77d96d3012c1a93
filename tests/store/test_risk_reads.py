"""The at-risk list's batch reads give the list of its straightforward definition, on a
generated tenant (both databases): same learners, order, reasons, scores and totals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from stride.analytics.risk import AtRiskPage, list_at_risk, list_at_risk_reference
from stride.analytics.risk_features import FEATURE_NAMES
from stride.analytics.risk_model import RiskModel
from stride.catalog.service import apply_catalog
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store.analytics_risk import StoredRiskModel, save_risk_model
from stride.store.privacy import ConsentChange, record_consents
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)
ITEMS = {
    "prog/c1/m1/ex1": "exercise",
    "prog/c1/m1/ex2": "exercise",
    "prog/c1/m2/l1": "lesson",
    "prog/c1/m2/quiz": "assessment",
}
PROGRAMS = {"prog": "program", "outside": "course"}  # "outside" is not in the catalog
LEARNERS = 60


def _event(learner: str, type_: str, days_ago: float, activity: dict[str, Any], **more: Any) -> Any:
    when = (NOW - timedelta(days=days_ago, hours=1)).isoformat()
    return make_event(
        learner=learner, type=type_, timestamp=when, activity=activity, **({"result": None} | more)
    )


def _learner_events(rng: random.Random, name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for program, kind in PROGRAMS.items():
        if rng.random() < 0.25:
            continue
        enrolled = rng.randint(5, 120)
        target = None
        if rng.random() < 0.6:
            target = {
                "target_date": (NOW + timedelta(days=rng.randint(-30, 60))).date().isoformat()
            }
        activity = {"id": program, "type": kind}
        events.append(_event(name, "enrollment.created", enrolled, activity, properties=target))
        if rng.random() < 0.1:
            events.append(_event(name, "enrollment.cancelled", rng.randint(0, enrolled), activity))
    last = rng.choice([0, 1, 3, 6, 8, 12, 20, 40, 70])
    for days_ago in sorted(rng.sample(range(last, 130), rng.choice([1, 2, 3, 6, 15, 40]))):
        item = rng.choice(list(ITEMS))
        activity = {"id": item, "type": ITEMS[item]}
        if rng.random() < 0.3:
            score = {"score": round(rng.random(), 2), "success": rng.random() < 0.5}
            events.append(_event(name, "assessment.submitted", days_ago, activity, result=score))
        else:
            events.append(_event(name, "activity.started", days_ago, activity))
    if rng.random() < 0.15:  # completes the whole program
        for item, kind in ITEMS.items():
            done = {"id": item, "type": kind}
            events.append(_event(name, "activity.completed", last, done))
    elif rng.random() < 0.5:
        item = rng.choice(list(ITEMS))
        done = {"id": item, "type": ITEMS[item]}
        events.append(_event(name, "activity.completed", last, done))
    return events


@pytest.fixture
def generated(engine: Engine, tenant: TenantUnderTest) -> TenantUnderTest:
    rng = random.Random(20261123)
    apply_catalog(engine, tenant.tenant_id, small_catalog(), NOW)
    events = [e for n in range(LEARNERS) for e in _learner_events(rng, f"l{n}")]
    limits = ValidationLimits(datetime.now(UTC), timedelta(hours=1))
    for start in range(0, len(events), 500):
        report = ingest_events(engine, tenant.scope, events[start : start + 500], limits, NOW)
        assert not [o for o in report.outcomes if o.status is EventStatus.REJECTED]
    with engine.begin() as connection:
        for n in range(0, LEARNERS, 7):  # some refuse personalization, some confirm it
            change = ConsentChange("personalization", n % 2 == 1, NOW, "test")
            record_consents(connection, tenant.tenant_id, _key(tenant, f"l{n}"), [change])
    return tenant


def _key(tenant: TenantUnderTest, learner: str) -> str:
    return learner_key(tenant.scope.learner_secret, learner)


def _model(engine: Engine, tenant_id: str, seed: int) -> None:
    rng = random.Random(seed)
    n = len(FEATURE_NAMES)
    model = RiskModel(
        FEATURE_NAMES,
        tuple(rng.uniform(-1, 1) for _ in range(n)),
        tuple(rng.uniform(0.5, 2) for _ in range(n)),
        tuple(rng.uniform(-1.5, 1.5) for _ in range(n)),
        rng.uniform(-1, 1),
    )
    stored = StoredRiskModel(
        "accepted", NOW, 0.8, 0.2, 0.7, 10, 10, 5, model.to_document(), {"bins": []}
    )
    with engine.begin() as connection:
        save_risk_model(connection, tenant_id, stored)


def _assert_same(fast: AtRiskPage, reference: AtRiskPage) -> None:
    assert (fast.total, fast.withheld, fast.model) == (
        reference.total,
        reference.withheld,
        reference.model,
    )
    assert [(a.learner_key, a.program_id) for a in fast.learners] == [
        (a.learner_key, a.program_id) for a in reference.learners
    ]
    for a, b in zip(fast.learners, reference.learners, strict=True):
        assert (a.days_inactive, a.last_active, a.active_days, a.completion, a.reasons) == (
            b.days_inactive,
            b.last_active,
            b.active_days,
            b.completion,
            b.reasons,
        )
        # Sums in another order (the database's): equal up to floating-point rounding.
        if b.score is None:
            assert a.score is None
        else:
            assert a.score == pytest.approx(b.score, rel=1e-12, abs=1e-15)
        assert [name for name, _ in a.contributions] == [name for name, _ in b.contributions]
        assert [v for _, v in a.contributions] == pytest.approx(
            [v for _, v in b.contributions], rel=1e-9, abs=1e-12
        )


QUERIES: list[dict[str, Any]] = [
    {"inactive_days": 7},
    {"inactive_days": 1, "limit": 500},
    {"inactive_days": 30, "program_id": "prog"},
    {"inactive_days": 3, "program_id": "outside", "limit": 5, "offset": 2},
    {"inactive_days": 7, "min_score": 0.5, "limit": 500},
    {"inactive_days": 90, "min_score": 0.2, "limit": 10, "offset": 3},
    {"inactive_days": 365, "min_score": 0.0, "program_id": "prog"},
]


def _both(engine: Engine, tenant_id: str, query: dict[str, Any]) -> tuple[AtRiskPage, AtRiskPage]:
    with engine.connect() as connection:
        return (
            list_at_risk(connection, tenant_id, NOW, **query),
            list_at_risk_reference(connection, tenant_id, NOW, **query),
        )


def test_the_rules_list_equals_its_definition(engine: Engine, generated: TenantUnderTest) -> None:
    listed = 0
    for query in QUERIES:
        fast, reference = _both(engine, generated.tenant_id, query)
        _assert_same(fast, reference)
        assert fast.model.status == "none" and all(a.score is None for a in fast.learners)
        listed += len(fast.learners)
    assert listed > 20  # the generated tenant lists learners under most queries
    page, _ = _both(engine, generated.tenant_id, {"inactive_days": 1, "limit": 500})
    assert page.withheld > 0
    assert any(r.code == "behind_plan" for a in page.learners for r in a.reasons)
    assert any(a.completion is None for a in page.learners)  # the course outside the catalog


def test_the_scored_list_equals_its_definition(engine: Engine, generated: TenantUnderTest) -> None:
    for seed in (1, 2):
        _model(engine, generated.tenant_id, seed)
        for query in QUERIES:
            fast, reference = _both(engine, generated.tenant_id, query)
            _assert_same(fast, reference)
        fast, _ = _both(engine, generated.tenant_id, QUERIES[4])
        assert fast.learners and all(a.score is not None for a in fast.learners)
        assert any(r.code == "dropout_risk" for a in fast.learners for r in a.reasons)


def test_one_learner_and_an_empty_tenant(engine: Engine, tenant: TenantUnderTest) -> None:
    fast, reference = _both(engine, tenant.tenant_id, {"inactive_days": 7})
    assert fast == reference and fast.total == 0
