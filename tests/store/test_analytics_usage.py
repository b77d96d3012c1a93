"""Usage, metrics and funnel rollups on both databases: exact figures, order, rebuilds."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from stride.analytics.funnels import FunnelOrder
from stride.analytics.funnels_service import FunnelRequest, get_drop_offs, get_funnel
from stride.analytics.metrics_service import MetricsRequest, get_metrics
from stride.analytics.projection_job import catch_up
from stride.analytics.usage_periods import report_range
from stride.analytics.usage_service import UsageRequest, get_usage
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.learners.profile import set_learner_timezone
from stride.privacy.policy import parse_policy
from stride.privacy.pseudonym import learner_key
from stride.store.privacy import save_policy_document
from stride.store.tables import USAGE_ANALYTICS_READ_MODELS
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant

NOW = datetime(2024, 6, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
DAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday


def _at(days: float, hours: float = 0) -> str:
    return (DAY + timedelta(days=days, hours=hours)).isoformat()


def _quiz(learner: str, days: float, score: float, level: str, platform: str) -> dict[str, Any]:
    return make_event(
        type="custom.quiz",
        learner=learner,
        timestamp=_at(days),
        activity=None,
        result=None,
        context={"platform": platform},
        properties={"points": score, "level": level, "meta": {"tries": 2}},
    )


def _events() -> list[dict[str, Any]]:
    """ana, ben, cleo start course c1; ana and ben complete it; quizzes with points."""
    c1 = {"id": "c1", "type": "course"}
    started = "activity.started"
    completed = "activity.completed"
    events = [
        make_event(type=started, learner="ana", timestamp=_at(0), activity=c1, result=None),
        make_event(type=started, learner="ben", timestamp=_at(1), activity=c1, result=None),
        make_event(type=started, learner="cleo", timestamp=_at(2), activity=c1, result=None),
        make_event(type=completed, learner="ana", timestamp=_at(3), activity=c1, result=None),
        make_event(type=completed, learner="ben", timestamp=_at(20), activity=c1, result=None),
    ]
    points = [1.0, 2.0, 3.0, 4.0, 10.0]
    for i, (who, p) in enumerate(zip(["ana", "ben", "cleo", "ana", "dan"], points, strict=True)):
        events.append(_quiz(who, 7 + i, p, "easy" if i < 3 else "hard", "web"))
    return events


def _ingest(engine: Engine, tenant: TenantUnderTest, events: list[dict[str, Any]]) -> None:
    report = ingest_events(engine, tenant.scope, events, LIMITS, NOW)
    assert all(o.status.value in ("accepted", "duplicate") for o in report.outcomes), report
    catch_up(engine, tenant.tenant_id)  # what the server's analytics round does


def _k(engine: Engine, tenant: TenantUnderTest, k: int) -> None:
    document = parse_policy({"min_group_size": k}).document.model_dump(mode="json")
    with engine.begin() as connection:
        save_policy_document(connection, tenant.tenant_id, document, utc_now())


def _snapshot(engine: Engine, tenant_id: str) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            t.name: sorted(
                tuple(sorted((k, repr(v)) for k, v in row._mapping.items() if k != "tenant_id"))
                for row in connection.execute(select(t).where(t.c.tenant_id == tenant_id))
            )
            for t in USAGE_ANALYTICS_READ_MODELS
        }


def test_usage_counts_events_learners_and_adoption(engine: Engine) -> None:
    tenant = make_tenant(engine)
    _k(engine, tenant, 2)
    _ingest(engine, tenant, _events())
    span = report_range("week", date(2024, 5, 6), date(2024, 5, 26), NOW.date())
    with engine.connect() as connection:
        view = get_usage(
            connection, tenant.tenant_id, UsageRequest(span, (), "custom.", date(2024, 5, 14))
        )
    assert [s.type for s in view.series] == ["custom.quiz"]
    quiz = view.series[0]
    assert quiz.learners_ever == 4
    assert [(p.start, p.events, p.learners) for p in quiz.points] == [
        (date(2024, 5, 6), 0, 0),
        (date(2024, 5, 13), 5, 4),
        (date(2024, 5, 20), 0, 0),
    ]
    assert view.adoption is not None
    # First quiz on/after 2024-05-14: ben (14th), cleo (15th), dan (17th); ana (13th) before.
    # Active since the 14th: ben (completed on the 26th), cleo, ana (quiz 16th), dan.
    assert view.adoption.active_learners == 4
    feature = view.adoption.items[0]
    assert (feature.name, feature.adopters, feature.earlier_users) == ("custom.", 3, 1)
    assert feature.share_of_active == 0.75


def test_usage_withholds_types_below_the_minimum_group(engine: Engine) -> None:
    tenant = make_tenant(engine)
    _k(engine, tenant, 3)
    _ingest(engine, tenant, _events())
    span = report_range("month", date(2024, 5, 1), date(2024, 5, 31), NOW.date())
    with engine.connect() as connection:
        view = get_usage(connection, tenant.tenant_id, UsageRequest(span))
    # activity.completed: 2 learners (withheld); activity.started: 3; custom.quiz: 4.
    assert [s.type for s in view.series] == ["activity.started", "custom.quiz"]
    assert view.privacy.withheld_groups == 1
    assert view.privacy.note is not None
    assert view.series[0].points[0].events == 3


def test_metrics_figures_percentiles_and_breakdown(engine: Engine) -> None:
    tenant = make_tenant(engine)
    _k(engine, tenant, 2)
    _ingest(engine, tenant, _events())
    span = report_range("month", date(2024, 5, 1), date(2024, 5, 31), NOW.date())
    with engine.connect() as connection:
        whole = get_metrics(
            connection,
            tenant.tenant_id,
            MetricsRequest("custom.quiz", span, "properties.points"),
        )
        by_level = get_metrics(
            connection,
            tenant.tenant_id,
            MetricsRequest("custom.quiz", span, "properties.points", "properties.level"),
        )
        nested = get_metrics(
            connection,
            tenant.tenant_id,
            MetricsRequest("custom.quiz", span, "properties.meta.tries"),
        )
    [group] = whole.groups
    [point] = group.points
    assert (point.count, point.learners, point.sum, point.min, point.max) == (5, 4, 20.0, 1.0, 10.0)
    assert point.mean == 4.0
    assert point.p50 == pytest.approx(3.0, rel=0.01)
    assert point.p99 == 10.0  # clamped to the max
    assert nested.groups[0].points[0].sum == 10.0
    # easy: ana, ben, cleo (3 learners); hard: ana, dan (2 learners); k = 2 shows both.
    assert [(g.value, g.points[0].count, g.points[0].sum) for g in by_level.groups] == [
        ("easy", 3, 6.0),
        ("hard", 2, 14.0),
    ]
    _k(engine, tenant, 3)
    with engine.connect() as connection:
        hidden = get_metrics(
            connection,
            tenant.tenant_id,
            MetricsRequest("custom.quiz", span, "properties.points", "properties.level"),
        )
    assert [g.value for g in hidden.groups] == ["easy"]
    assert hidden.privacy.withheld_groups == 1


def test_funnel_and_drop_offs(engine: Engine) -> None:
    tenant = make_tenant(engine)
    _ingest(engine, tenant, _events())
    steps = ("activity.started:c1", "activity.completed:c1")
    with engine.connect() as connection:
        funnel = get_funnel(connection, tenant.tenant_id, FunnelRequest(steps))
        wide = get_funnel(connection, tenant.tenant_id, FunnelRequest(steps, window_days=30))
        dropped = get_drop_offs(
            connection, tenant.tenant_id, FunnelRequest(steps, 14, FunnelOrder.STRICT), 1, (10, 0)
        )
    assert [s.learners for s in funnel.steps] == [3, 1]  # ben took 19 days
    assert funnel.steps[1].conversion_from_start == pytest.approx(1 / 3)
    assert funnel.steps[1].median_seconds_from_previous == 3 * 86400
    assert [s.learners for s in wide.steps] == [3, 2]
    assert wide.steps[1].median_seconds_from_start == (3 + 19) / 2 * 86400
    keys = sorted(learner_key(tenant.scope.learner_secret, n) for n in ("ben", "cleo"))
    assert [d.learner_key for d in dropped.learners] == keys
    assert dropped.total == 2


def test_any_order_and_rebuilds_give_the_same_rollups(engine: Engine) -> None:
    events = _events()
    ordered, shuffled = make_tenant(engine), make_tenant(engine)
    _ingest(engine, ordered, events)
    rng = random.Random(7)
    stream = events + rng.sample(events, 4)
    rng.shuffle(stream)
    for i in range(0, len(stream), 3):
        _ingest(engine, shuffled, stream[i : i + 3])
    expected = _strip_keys(_snapshot(engine, ordered.tenant_id))
    assert _strip_keys(_snapshot(engine, shuffled.tenant_id)) == expected
    before = _snapshot(engine, shuffled.tenant_id)
    rebuild_tenant(engine, shuffled.tenant_id)
    assert _snapshot(engine, shuffled.tenant_id) == before
    # A one-learner refold (a time-zone change) leaves the tenant counters as they were.
    key = learner_key(shuffled.scope.learner_secret, "ana")
    set_learner_timezone(engine, shuffled.tenant_id, key, "Asia/Tokyo", utc_now())
    assert _snapshot(engine, shuffled.tenant_id) == before


def _strip_keys(snapshot: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        name: sorted(tuple(kv for kv in row if kv[0] != "learner_key") for row in rows)
        for name, rows in snapshot.items()
    }
