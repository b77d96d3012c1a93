"""Engagement, retention and lifecycle rollups: exact figures on a small hand-built set, the
same figures whatever the arrival order, after a rebuild and after a time-zone refold."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from stride.analytics.engagement_fold import FAR_GROUPS
from stride.analytics.engagement_service import (
    PeriodRange,
    get_engagement,
    get_lifecycle,
)
from stride.analytics.projection_job import catch_up
from stride.analytics.retention_service import RetentionQuery, get_retention
from stride.catalog.service import apply_catalog
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.learners.profile import set_learner_timezone
from stride.privacy.policy import parse_policy
from stride.privacy.pseudonym import learner_key
from stride.store.analytics_engagement import load_windows
from stride.store.privacy import save_policy_document
from stride.store.tables import ENGAGEMENT_READ_MODELS
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest, make_tenant

MONDAY = date(2024, 5, 6)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
TODAY = NOW.date()
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
ITEM = "prog/c1/m1/ex1"
# learner -> (platform, [(day offset from MONDAY, event type), ...])
PLAN: dict[str, tuple[str, list[tuple[int, str]]]] = {
    "A": ("web", [(0, "activity.started"), (0, "activity.completed"), (1, "activity.started"),
                  (7, "activity.started"), (14, "activity.started")]),
    "B": ("web", [(0, "activity.started"), (8, "activity.started")]),
    "C": ("app", [(2, "activity.started"), (16, "activity.completed")]),
    "D": ("tv", [(9, "activity.completed")]),
    "E": ("app", [(15, "activity.started"), (20, "activity.started")]),
}  # fmt: skip


def _events() -> list[dict[str, Any]]:
    events = []
    for learner, (platform, days) in PLAN.items():
        for n, (offset, kind) in enumerate(days):
            when = datetime.combine(MONDAY + timedelta(days=offset), datetime.min.time(), UTC)
            event: dict[str, Any] = {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{learner}-{n}")),
                "type": kind,
                "learner": learner,
                "timestamp": (when + timedelta(hours=10, minutes=n)).isoformat(),
                "session": f"s-{learner}-{offset}",
                "result": {"duration_s": 60},
                "context": {"platform": platform},
            }
            if learner != "D":
                event["activity"] = {"id": ITEM, "type": "exercise"}
            events.append(event)
    return events


def _tenant(engine: Engine, min_group_size: int = 2) -> TenantUnderTest:
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, small_catalog(), NOW)
    document = parse_policy({"min_group_size": min_group_size}).document.model_dump(mode="json")
    with engine.begin() as connection:
        save_policy_document(connection, tenant.tenant_id, document, NOW)
    return tenant


def _ingest(engine: Engine, tenant: TenantUnderTest, batches: list[list[dict[str, Any]]]) -> None:
    for batch in batches:
        ingest_events(engine, tenant.scope, batch, LIMITS, NOW)
        catch_up(engine, tenant.tenant_id)  # what the server's analytics round does


def _day(offset: int) -> date:
    return MONDAY + timedelta(days=offset)


def _rollups(engine: Engine, tenant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The tenant-level tables (no learner keys), comparable across tenants."""
    snapshot = {}
    with engine.connect() as connection:
        for table in ENGAGEMENT_READ_MODELS:
            if "learner_key" in table.c:
                continue
            columns = [c for c in table.c if c.name != "tenant_id"]
            rows = connection.execute(select(*columns).where(table.c.tenant_id == tenant_id))
            snapshot[table.name] = sorted(tuple(row) for row in rows)
    return snapshot


def test_daily_engagement_figures(engine: Engine) -> None:
    tenant = _tenant(engine)
    _ingest(engine, tenant, [_events()])
    with engine.connect() as connection:
        report = get_engagement(
            connection, tenant.tenant_id, PeriodRange("day", _day(0), _day(20)), None, TODAY
        )
    by_day = {p.period_start: p for p in report.series}
    assert len(report.series) == 21
    dau = [by_day[_day(i)].active_learners for i in range(21)]
    assert dau == [2, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1]
    first = by_day[_day(0)]
    assert (first.events, first.sessions, first.time_invested_ms) == (3, 2, 180_000)
    assert first.session_length_ms == 90_000 and first.sessions_per_learner == 1.0
    assert first.stickiness == 1.0  # 2 active today, 2 in the last 30 days
    assert [by_day[_day(i)].wau for i in (0, 6, 9, 13, 20)] == [2, 3, 3, 3, 3]
    assert [by_day[_day(i)].mau for i in (0, 6, 9, 20)] == [2, 3, 4, 5]
    assert by_day[_day(20)].stickiness == 0.2


def test_weekly_engagement_and_breakdowns(engine: Engine) -> None:
    tenant = _tenant(engine)
    _ingest(engine, tenant, [_events()])
    span = PeriodRange("week", _day(0), _day(20))
    with engine.connect() as connection:
        weekly = get_engagement(connection, tenant.tenant_id, span, "platform", TODAY)
        courses = get_engagement(connection, tenant.tenant_id, span, "course", TODAY)
    week1 = weekly.series[0]
    assert [p.active_learners for p in weekly.series] == [3, 3, 3]
    assert (week1.events, week1.sessions, week1.wau, week1.mau) == (5, 4, 3, 3)
    assert week1.dau == 4 / 7 and week1.stickiness == (4 / 7) / 3
    assert week1.complete
    # tv has one learner (D): withheld below min_group_size 2.
    assert [g.value for g in weekly.groups] == ["app", "web"]
    assert weekly.withheld_groups == 1 and weekly.note is not None
    web = weekly.groups[1].series
    assert [p.active_learners for p in web] == [2, 2, 1]
    assert [g.value for g in courses.groups] == ["prog/c1"]  # D's event names no activity
    assert [p.active_learners for p in courses.groups[0].series] == [3, 2, 3]


def test_lifecycle_by_week(engine: Engine) -> None:
    tenant = _tenant(engine)
    _ingest(engine, tenant, [_events()])
    with engine.connect() as connection:
        report = get_lifecycle(
            connection, tenant.tenant_id, PeriodRange("week", _day(0), _day(20)), TODAY
        )
    figures = [(p.active, p.new, p.returning, p.resurrecting, p.dormant) for p in report.series]
    assert figures == [(3, 3, 0, 0, 0), (3, 1, 2, 0, 1), (3, 1, 1, 1, 2)]


def _retention(
    engine: Engine, tenant_id: str, start: str = "*", entry: str = "first", mode: str = "on"
) -> list[tuple[date, int, list[int | None]]]:
    query = RetentionQuery(
        PeriodRange("week", _day(0), _day(20)),
        start,
        "*",
        entry,
        mode,  # type: ignore[arg-type]
    )
    with engine.connect() as connection:
        report = get_retention(connection, tenant_id, query, TODAY)
    return [
        (c.cohort_start, c.size, [cell.learners for cell in c.cells[:4]]) for c in report.cohorts
    ]


def test_weekly_retention(engine: Engine) -> None:
    tenant = _tenant(engine, min_group_size=2)
    _ingest(engine, tenant, [_events()])
    w1, w2, w3 = _day(0), _day(7), _day(14)
    # First-time cohorts: week 1 holds A, B, C; weeks 2 and 3 one learner each (withheld).
    assert _retention(engine, tenant.tenant_id) == [(w1, 3, [3, 2, 2, 0])]
    assert _retention(engine, tenant.tenant_id, mode="on_or_after") == [(w1, 3, [3, 3, 2, 0])]
    # Recurring: week 2's cohort is everyone active in it (A, B, D); only A came back.
    recurring = _retention(engine, tenant.tenant_id, entry="recurring")
    assert recurring == [(w1, 3, [3, 2, 2, 0]), (w2, 3, [3, 1, 0, 0]), (w3, 3, [3, 0, 0, 0])]
    # activity.completed starts: A (week 1), D (week 2), C (week 3): all below 2, withheld.
    assert _retention(engine, tenant.tenant_id, start="activity.completed") == []


def test_retention_return_event_and_mean_row(engine: Engine) -> None:
    tenant = _tenant(engine, min_group_size=2)
    _ingest(engine, tenant, [_events()])
    query = RetentionQuery(
        PeriodRange("week", _day(0), _day(20)), "*", "activity.completed", "first", "on"
    )
    with engine.connect() as connection:
        report = get_retention(connection, tenant.tenant_id, query, TODAY)
    # Week 1 (A, B, C): C completed in week 3; D completed in week 2 but is not in it.
    assert [[c.learners for c in row.cells[:3]] for row in report.cohorts] == [[3, 0, 1]]
    mean = report.mean
    assert mean[0].share == 1.0 and mean[1].share == 0.0
    assert mean[2].share == 1 / 3 and mean[2].cohorts == 1
    assert report.withheld_cohorts == 2


def test_same_rollups_whatever_the_order_and_after_rebuild(engine: Engine) -> None:
    ordered = _tenant(engine)
    _ingest(engine, ordered, [_events()])
    expected = _rollups(engine, ordered.tenant_id)
    assert expected["engagement_counts"] and expected["retention_counts"]
    rng = random.Random(7)
    for _ in range(3):
        shuffled = _tenant(engine)
        events = _events()
        rng.shuffle(events)
        cuts = sorted(rng.sample(range(1, len(events)), 4))
        batches = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
        _ingest(engine, shuffled, batches)
        assert _rollups(engine, shuffled.tenant_id) == expected
    rebuild_tenant(engine, ordered.tenant_id)
    assert _rollups(engine, ordered.tenant_id) == expected


def test_time_zone_change_refolds_the_learner_share(engine: Engine) -> None:
    before = _tenant(engine)
    key = learner_key(before.scope.learner_secret, "A")
    set_learner_timezone(engine, before.tenant_id, key, "Pacific/Kiritimati", utc_now())
    _ingest(engine, before, [_events()])
    after = _tenant(engine)
    _ingest(engine, after, [_events()])
    key = learner_key(after.scope.learner_secret, "A")
    set_learner_timezone(engine, after.tenant_id, key, "Pacific/Kiritimati", utc_now())
    assert _rollups(engine, after.tenant_id) == _rollups(engine, before.tenant_id)


def test_a_window_reads_far_only_the_rows_retention_and_rolling_counts_read(
    engine: Engine,
) -> None:
    """Beyond its near periods a window reads the groups of FAR_GROUPS only (on weeks:
    everything and the retention event types, not the platform), without their sessions."""
    tenant = _tenant(engine)
    _ingest(engine, tenant, [_events()])
    key = learner_key(tenant.scope.learner_secret, "A")
    week = timedelta(weeks=1)
    window = (key, "week", MONDAY - 12 * week, MONDAY + 14 * week, MONDAY + week, MONDAY + 3 * week)
    with engine.connect() as connection:
        rows = load_windows(connection, tenant.tenant_id, [window], FAR_GROUPS)
    found = {
        (start, dimension, value): sessions for _, _, start, dimension, value, *_, sessions in rows
    }
    weeks = [MONDAY, MONDAY + week, MONDAY + 2 * week]  # A was active in each
    assert {start for start, dimension, _ in found if dimension == "all"} == set(weeks)
    assert {start for start, dimension, _ in found if dimension == "platform"} == set(weeks[1:])
    assert found[(MONDAY, "all", "")] == []  # beyond the near periods: presence only
    assert found[(weeks[2], "all", "")] == ["s-A-14"]
    assert found[(weeks[2], "platform", "web")] == ["s-A-14"]
