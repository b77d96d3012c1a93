"""Learning analytics read models on both databases: exact figures, order, refolds, k."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from stride.analytics.coaching_service import get_coaching
from stride.analytics.content_scope import Scope
from stride.analytics.content_service import get_content
from stride.analytics.items_service import get_items
from stride.catalog.service import apply_catalog
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.learners.profile import set_learner_timezone
from stride.privacy.policy import parse_policy
from stride.privacy.pseudonym import learner_key
from stride.store.privacy import save_policy_document
from stride.store.tables import content_buckets, content_stats, item_stats
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest, make_tenant

NOW = datetime(2024, 7, 1, tzinfo=UTC)
START = datetime(2024, 5, 1, 9, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(days=365))
EX1, EX2 = "prog/c1/m1/ex1", "prog/c1/m1/ex2"
LESSON, QUIZ = "prog/c1/m2/l1", "prog/c1/m2/quiz"
TYPES = {EX1: "exercise", EX2: "exercise", LESSON: "lesson", QUIZ: "assessment"}


def ev(
    learner: str,
    kind: str,
    activity: str,
    hours: float,
    score: float | None = None,
    done: bool | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    result = {"score": score, "completion": done, "duration_s": seconds}
    return make_event(
        type=kind,
        learner=learner,
        timestamp=(START + timedelta(hours=hours)).isoformat(),
        activity={"id": activity, "type": TYPES[activity]},
        result={k: v for k, v in result.items() if v is not None} or None,
    )


def six_learners() -> list[dict[str, Any]]:
    """Module 1: L1 and L2 complete it; L3 stops after ex1, L4 after ex2, L5 after ex1.
    Module 2: L6 completes it, L1 only does the quiz."""
    attempt = "exercise.attempted"
    return [
        ev("L1", attempt, EX1, 1, 0.9, True, 60),
        ev("L1", attempt, EX2, 2, 0.8, True, 120),
        ev("L1", "assessment.submitted", QUIZ, 30, 0.65, True, 300),
        ev("L2", attempt, EX1, 1, 0.5, None, 30),
        ev("L2", attempt, EX1, 3, 0.8, True, 30),
        ev("L2", attempt, EX2, 4, 0.6, True, 60),
        ev("L3", attempt, EX1, 1, 0.4, True, 60),
        ev("L4", attempt, EX1, 1, 1.0, True, 60),
        ev("L4", "activity.started", EX2, 2),
        ev("L5", "activity.started", EX1, 1),
        ev("L6", "activity.completed", LESSON, 1, None, None, 600),
        ev("L6", "assessment.submitted", QUIZ, 2, 0.75, True, 240),
    ]


def _tenant(engine: Engine, min_group_size: int) -> TenantUnderTest:
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, small_catalog(), NOW)
    document = parse_policy({"min_group_size": min_group_size}).document.model_dump(mode="json")
    with engine.begin() as connection:
        save_policy_document(connection, tenant.tenant_id, document, NOW)
    return tenant


def _rollups(engine: Engine, tenant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(
                tuple(row)[1:]
                for row in connection.execute(select(table).where(table.c.tenant_id == tenant_id))
            )
            for table in (content_stats, content_buckets, item_stats)
        }


def test_content_figures_are_exact(engine: Engine) -> None:
    tenant = _tenant(engine, 2)
    ingest_events(engine, tenant.scope, six_learners(), LIMITS, NOW)
    with engine.connect() as connection:
        view = get_content(connection, tenant.tenant_id, Scope())
    m1, m2 = view.modules
    assert (m1.module_id, m1.learners, m1.completions, m1.completion_rate) == (
        "prog/c1/m1",
        5,
        2,
        0.4,
    )
    # Completers spent 180 s (L1) and 120 s (L2): the lower middle one, within 4.4%.
    assert m1.median_time_s == pytest.approx(120, rel=view.time_relative_error)
    assert m1.drop_off is not None
    assert (m1.drop_off.activity_id, m1.drop_off.learners) == (EX1, 2)
    assert m1.drop_off.share == pytest.approx(2 / 3)
    ex1, ex2 = m1.blocks
    assert (ex1.learners, ex1.completions, ex1.scored_learners) == (5, 4, 4)
    assert ex1.mean_score == pytest.approx((0.9 + 0.8 + 0.4 + 1.0) / 4)
    assert ex1.pass_rate == 0.75
    assert ex1.median_time_s == pytest.approx(60, rel=view.time_relative_error)
    assert (ex1.stopped_here, ex2.stopped_here) == (2, 1)
    assert (ex2.learners, ex2.completions, ex2.mean_score, ex2.pass_rate) == (3, 2, 0.7, 0.5)
    # Pooled over the module's (learner, item) scores: 6 scores, 4 at or above 0.7.
    assert m1.mean_score == pytest.approx((0.9 + 0.8 + 0.4 + 1.0 + 0.8 + 0.6) / 6)
    assert m1.pass_rate == pytest.approx(4 / 6)
    assert (m2.learners, m2.completions) == (2, 1)
    assert m2.drop_off is not None and m2.drop_off.activity_id == QUIZ
    assert m2.median_time_s == pytest.approx(840, rel=view.time_relative_error)


def test_small_groups_are_withheld(engine: Engine) -> None:
    tenant = _tenant(engine, 5)
    ingest_events(engine, tenant.scope, six_learners(), LIMITS, NOW)
    with engine.connect() as connection:
        view = get_content(connection, tenant.tenant_id, Scope(course="prog/c1"))
        items = get_items(connection, tenant.tenant_id, Scope())
    assert [m.module_id for m in view.modules] == ["prog/c1/m1"]
    assert view.withheld_modules == 1
    assert [b.activity_id for b in view.modules[0].blocks] == [EX1]
    assert view.withheld_blocks == 1
    # Only the shown item counts towards the module's pooled score.
    assert view.modules[0].mean_score == pytest.approx(0.775)
    assert view.note is not None and "fewer than 5" in view.note
    assert items.items == [] and items.withheld_items == 3


def test_item_figures(engine: Engine) -> None:
    tenant = _tenant(engine, 2)
    ingest_events(engine, tenant.scope, six_learners(), LIMITS, NOW)
    with engine.connect() as connection:
        view = get_items(connection, tenant.tenant_id, Scope())
    by_id = {i.activity_id: i for i in view.items}
    assert list(by_id) == [EX1, EX2, QUIZ]  # catalog order
    ex1 = by_id[EX1]
    # Attempts 0.9, 0.5, 0.8, 0.4, 1.0 against pass mark 0.7: three of five correct.
    assert (ex1.learners, ex1.attempts, ex1.difficulty) == (4, 5, 0.6)
    assert ex1.first_attempt_correct_rate == 0.5  # L1 and L4; L2's first try was 0.5
    assert ex1.mean_first_score == pytest.approx((0.9 + 0.5 + 0.4 + 1.0) / 4)
    assert ex1.discrimination_n == 2 and ex1.discrimination is None  # L3, L4: no other item


def test_order_and_refolds_do_not_change_rollups(engine: Engine) -> None:
    events = six_learners()
    in_order = _tenant(engine, 2)
    ingest_events(engine, in_order.scope, events, LIMITS, NOW)
    expected = _rollups(engine, in_order.tenant_id)
    assert expected["content_stats"]

    shuffled = _tenant(engine, 2)
    rng = random.Random(7)
    stream = events + rng.sample(events, k=4)  # resent events are duplicates
    rng.shuffle(stream)
    for start in range(0, len(stream), 3):
        ingest_events(engine, shuffled.scope, stream[start : start + 3], LIMITS, NOW)
    assert _rollups(engine, shuffled.tenant_id) == expected
    # A time-zone change refolds one learner: their share is taken out, then added back.
    key = learner_key(shuffled.scope.learner_secret, "L2")
    set_learner_timezone(engine, shuffled.tenant_id, key, "Asia/Tokyo", utc_now())
    assert _rollups(engine, shuffled.tenant_id) == expected
    rebuild_tenant(engine, shuffled.tenant_id)
    assert _rollups(engine, shuffled.tenant_id) == expected


@pytest.mark.parametrize("order", ["in time order", "newest first"])
def test_one_event_at_a_time_gives_the_rollups_of_one_batch(engine: Engine, order: str) -> None:
    # In time order, a repeat attempt at a known item only changes its counts; newest first,
    # every older attempt becomes the item's first one and moves the learner's rest scores.
    events = six_learners()
    together = _tenant(engine, 2)
    ingest_events(engine, together.scope, events, LIMITS, NOW)
    expected = _rollups(engine, together.tenant_id)
    alone = _tenant(engine, 2)
    stream = sorted(events, key=lambda e: e["timestamp"], reverse=order == "newest first")
    for event in stream:
        ingest_events(engine, alone.scope, [event], LIMITS, NOW)
    assert _rollups(engine, alone.tenant_id) == expected


def _meeting(learner: str, kind: str, meeting: str, hours: float) -> dict[str, Any]:
    return make_event(
        type=kind,
        learner=learner,
        timestamp=(START + timedelta(hours=hours)).isoformat(),
        activity={"id": meeting, "type": "meeting"},
        result=None,
    )


def test_coaching_figures(engine: Engine) -> None:
    tenant = _tenant(engine, 2)
    events = [
        *six_learners(),
        _meeting("L1", "meeting.uploaded", "m-1", 0),
        _meeting("L1", "meeting.analyzed", "m-1", 0.5),  # 30 minutes
        _meeting("L1", "meeting.uploaded", "m-2", 24),
        _meeting("L1", "meeting.failed", "m-2", 25),
        _meeting("L1", "meeting.analyzed", "m-2", 26),  # a retry that worked: 2 hours
        _meeting("L2", "meeting.uploaded", "m-3", 48),
        _meeting("L2", "meeting.failed", "m-3", 49),
        _meeting("L3", "meeting.uploaded", "m-4", 72),  # still pending
        _meeting("L3", "meeting.uploaded", "m-5", 24 * 20),  # outside the period
    ]
    ingest_events(engine, tenant.scope, events, LIMITS, NOW)
    start = START.replace(hour=0)
    with engine.connect() as connection:
        view = get_coaching(connection, tenant.tenant_id, start, start + timedelta(days=14))
    meetings = view.meetings
    assert meetings is not None
    assert (meetings.learners, meetings.uploaded, meetings.succeeded) == (3, 4, 2)
    assert (meetings.failed, meetings.pending, meetings.success_rate) == (1, 1, 2 / 3)
    assert meetings.median_processing_s == (1800 + 7200) / 2
    assert meetings.analyses_per_learner_per_week == pytest.approx(2 / 3 / 2)
    # Practice: exercise pairs started 5 (ex1) + 3 (ex2), completed 4 + 2.
    assert view.practice is not None
    assert (view.practice.started, view.practice.completed) == (8, 6)
    assert view.practice.completion_rate == 0.75


def test_median_buckets_found_in_sql_match_the_pure_median(engine: Engine) -> None:
    from stride.analytics.content_buckets import bucket_key, bucket_midpoint_ms, median_ms
    from stride.store.analytics_learning import content_median_buckets

    tenant = make_tenant(engine)
    rng = random.Random(3)
    histograms = {
        f"a{i}": {rng.randint(-1, 200): rng.randint(1, 9) for _ in range(rng.randint(1, 12))}
        for i in range(30)
    }
    rows = [
        {
            "tenant_id": tenant.tenant_id,
            "activity_id": a,
            "kind": "time",
            "bucket": bucket_key(b),
            "learners": n,
        }
        for a, counts in histograms.items()
        for b, n in counts.items()
    ]
    with engine.begin() as connection:
        connection.execute(content_buckets.insert(), rows)
    with engine.connect() as connection:
        found = content_median_buckets(connection, tenant.tenant_id)
    for a, counts in histograms.items():
        assert bucket_midpoint_ms(found[(a, "time")]) == median_ms(counts)
