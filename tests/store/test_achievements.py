"""Awards at ingest: exactly once, dated by their event, kept across rebuilds and new criteria."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from stride.catalog.service import apply_catalog
from stride.events.validation import ValidationLimits
from stride.ingest.achievement_projector import award_event_id
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.learners.profile import set_learner_timezone
from stride.privacy.pseudonym import learner_key
from stride.store import achievements as store
from stride.store.tables import events
from tests.catalogs import small_catalog
from tests.factories import BASE_TIME, make_event
from tests.fixtures.tenant import TenantUnderTest
from tests.store.snapshots import read_model_snapshot

NOW = datetime(2024, 7, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
EX1, EX2 = "prog/c1/m1/ex1", "prog/c1/m1/ex2"


def _ingest(engine: Engine, tenant: TenantUnderTest, batch: list[dict[str, Any]]) -> None:
    ingest_events(engine, tenant.scope, batch, LIMITS, NOW)


def _key(tenant: TenantUnderTest, raw: str = "learner-1") -> str:
    return learner_key(tenant.scope.learner_secret, raw)


def _awards(engine: Engine, tenant: TenantUnderTest) -> dict[str, store.Award]:
    with engine.connect() as connection:
        return {
            a.achievement_id: a for a in store.awards_of(connection, tenant.tenant_id, _key(tenant))
        }


def _points(engine: Engine, tenant: TenantUnderTest) -> list[tuple[date, int]]:
    with engine.connect() as connection:
        return store.points_of(connection, tenant.tenant_id, _key(tenant))


def _award_events(engine: Engine, tenant: TenantUnderTest) -> int:
    query = select(events.c.event_id).where(
        events.c.tenant_id == tenant.tenant_id, events.c.type == "achievement.awarded"
    )
    with engine.connect() as connection:
        return len(connection.execute(query).all())


def _perfect(**overrides: Any) -> dict[str, Any]:
    return make_event(result={"score": 1.0, "success": True}, **overrides)


def test_first_perfect_score_is_awarded_once_with_its_event(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    first = _perfect(timestamp=BASE_TIME.isoformat())
    earlier = make_event(timestamp=(BASE_TIME - timedelta(hours=1)).isoformat())
    _ingest(engine, tenant, [earlier, first])
    award = _awards(engine, tenant)["first-perfect-score"]
    assert award.awarded_at == BASE_TIME
    assert award.evidence[-1] == first["id"]
    assert award.event_id == award_event_id(tenant.tenant_id, _key(tenant), "first-perfect-score")
    # Resent, and a second perfect score later: still one award, one derived event.
    _ingest(
        engine, tenant, [first, _perfect(timestamp=(BASE_TIME + timedelta(days=1)).isoformat())]
    )
    assert list(_awards(engine, tenant)) == ["first-perfect-score"]
    assert _award_events(engine, tenant) == 1
    # Two attempts (1 point each), a perfect one more, plus the award's 10: all in one week.
    assert _points(engine, tenant) == [(date(2024, 4, 29), 1 + 1 + 1 + 10)]


def test_a_week_streak_out_of_order_is_awarded_by_the_day_that_completed_it(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    days = [make_event(timestamp=(BASE_TIME + timedelta(days=n)).isoformat()) for n in range(7)]
    _ingest(engine, tenant, days[4:])
    _ingest(engine, tenant, days[:2])
    assert "one-week-streak" not in _awards(engine, tenant)
    _ingest(engine, tenant, [days[3], days[2]])
    award = _awards(engine, tenant)["one-week-streak"]
    assert award.awarded_at == BASE_TIME + timedelta(days=3)  # the latest of the two
    assert set(award.evidence) == {days[2]["id"], days[3]["id"]}


def test_disabled_defaults_and_custom_criteria(engine: Engine, tenant: TenantUnderTest) -> None:
    catalog = small_catalog()
    catalog["achievements"] = [
        {"id": "first-perfect-score", "enabled": False},
        {
            "id": "module-one",
            "name": "Module one",
            "type": "completion",
            "points": 7,
            "criteria": {"all": ["module:prog/c1/m1.completion >= 1", "activities.completed >= 2"]},
        },
    ]
    apply_catalog(engine, tenant.tenant_id, catalog, NOW)
    done = [
        make_event(type="activity.completed", activity={"id": item, "type": "exercise"})
        for item in (EX1, EX2)
    ]
    _ingest(engine, tenant, [_perfect(activity={"id": EX1, "type": "exercise"}), done[0]])
    assert _awards(engine, tenant) == {}
    _ingest(engine, tenant, [done[1]])
    assert set(_awards(engine, tenant)) == {"module-one", "first-module-completed"}


def test_a_batch_dates_each_award_by_the_event_that_satisfied_it(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    """A whole day in one batch: the module completes at 10:00, later events move other
    metrics; each award carries the time and evidence of its own satisfying event."""
    catalog = small_catalog()
    catalog["achievements"] = [
        {"id": "m1", "name": "Module 1", "criteria": "module:prog/c1/m1.completion >= 1"},
        {"id": "two-done", "name": "Two done", "criteria": "activities.completed >= 2"},
        {
            "id": "ex1-80",
            "name": "Ex1 at 80",
            "criteria": "activity:prog/c1/m1/ex1.best_score >= 0.8",
        },
        {
            "id": "both",
            "name": "Both",
            "criteria": {
                "all": ["activities.completed >= 1", "activity:prog/c1/m1/ex1.best_score >= 0.8"]
            },
        },
    ]
    apply_catalog(engine, tenant.tenant_id, catalog, NOW)

    def at(hour: int, **fields: Any) -> dict[str, Any]:
        return make_event(timestamp=(BASE_TIME + timedelta(hours=hour)).isoformat(), **fields)

    ex1, ex2 = {"id": EX1, "type": "exercise"}, {"id": EX2, "type": "exercise"}
    day = [
        at(1, type="exercise.attempted", activity=ex1, result={"score": 0.5}),
        at(2, type="exercise.attempted", activity=ex1, result={"score": 0.9}),  # ex1 >= 0.8
        at(3, type="activity.completed", activity=ex1),  # first completion
        at(10, type="activity.completed", activity=ex2),  # second: module 1 done
        at(11, type="exercise.attempted", activity=ex1, result={"score": 1.0}),
        at(12, type="activity.completed", activity={"id": "prog/c1/m2/quiz", "type": "assessment"}),
    ]
    _ingest(engine, tenant, list(reversed(day)))  # arrival order must not matter
    awards = _awards(engine, tenant)
    expected = {"m1": 3, "two-done": 3, "ex1-80": 1, "both": 2}  # index in `day`
    for achievement, index in expected.items():
        award = awards[achievement]
        assert award.awarded_at == BASE_TIME + timedelta(hours=[1, 2, 3, 10, 11, 12][index])
        assert award.evidence[-1] == day[index]["id"], achievement


def test_new_criteria_never_revoke_and_rebuild_restores_awards(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    catalog = small_catalog()
    catalog["achievements"] = [
        {
            "id": "tries",
            "name": "Tries",
            "points": 3,
            "criteria": "events:exercise.attempted.count >= 2",
        }
    ]
    apply_catalog(engine, tenant.tenant_id, catalog, NOW)
    _ingest(engine, tenant, [make_event(), make_event(), _perfect()])
    before = read_model_snapshot(engine, tenant.tenant_id)
    assert set(_awards(engine, tenant)) == {"tries", "first-perfect-score"}

    catalog["achievements"] = [
        {
            "id": "tries",
            "name": "Tries",
            "points": 3,
            "criteria": "events:exercise.attempted.count >= 50",
        }
    ]
    apply_catalog(engine, tenant.tenant_id, catalog, NOW)
    rebuild_tenant(engine, tenant.tenant_id, force=True)
    assert read_model_snapshot(engine, tenant.tenant_id) == before
    assert set(_awards(engine, tenant)) == {"tries", "first-perfect-score"}


def test_celebrations_survive_a_rebuild(engine: Engine, tenant: TenantUnderTest) -> None:
    _ingest(engine, tenant, [_perfect()])
    shown = datetime(2024, 6, 2, tzinfo=UTC)
    with engine.begin() as connection:
        store.set_celebration(
            connection, tenant.tenant_id, _key(tenant), "first-perfect-score", shown
        )
    rebuild_tenant(engine, tenant.tenant_id)
    with engine.connect() as connection:
        kept = store.celebrations_of(connection, tenant.tenant_id, _key(tenant))
    assert kept == {"first-perfect-score": shown}


def test_a_time_zone_change_refolds_awards_and_moves_their_points(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    # Sunday 23:30 UTC is Monday in Tokyo: the week of the award (and the attempt) moves.
    sunday = datetime(2024, 5, 5, 23, 30, tzinfo=UTC)
    _ingest(engine, tenant, [_perfect(timestamp=sunday.isoformat())])
    assert _points(engine, tenant) == [(date(2024, 4, 29), 1 + 10)]
    set_learner_timezone(engine, tenant.tenant_id, _key(tenant), "Asia/Tokyo", NOW)
    assert _points(engine, tenant) == [(date(2024, 5, 6), 1 + 10)]
    assert _awards(engine, tenant)["first-perfect-score"].awarded_at == sunday
    assert _award_events(engine, tenant) == 1


def test_skills_acquired_counts_acquisitions_only(engine: Engine, tenant: TenantUnderTest) -> None:
    """`skills.acquired` alone counts the learner's acquired skills (no whole skill states are
    read): practised but not acquired skills do not count, and the award comes with the
    second acquisition, whatever the other criteria."""
    catalog = small_catalog()
    catalog["achievements"] = [
        {
            "id": "two-skills",
            "name": "Two skills",
            "type": "mastery",
            "points": 5,
            "criteria": "skills.acquired >= 2",
        }
    ]
    apply_catalog(engine, tenant.tenant_id, catalog, NOW)

    def attempts(item: str, success: bool, start: int) -> list[dict[str, Any]]:
        return [
            make_event(
                type="exercise.attempted",
                activity={"id": item, "type": "exercise"},
                result={"score": 1.0 if success else 0.0, "success": success},
                timestamp=(BASE_TIME + timedelta(minutes=start + n)).isoformat(),
            )
            for n in range(8)
        ]

    _ingest(engine, tenant, attempts(EX1, True, 0))  # planning acquired
    _ingest(engine, tenant, attempts(EX2, False, 10))  # budgeting practised, not acquired
    with engine.connect() as connection:
        acquired = store.count_acquired_skills(connection, tenant.tenant_id, [_key(tenant)])
    assert acquired == {_key(tenant): 1}
    assert "two-skills" not in _awards(engine, tenant)
    _ingest(engine, tenant, attempts(EX2, True, 20))
    assert _awards(engine, tenant)["two-skills"].points == 5
