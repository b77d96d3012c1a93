"""Data-quality counts kept at ingest, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from stride.analytics.quality import QualityRequest, get_data_quality
from stride.analytics.quality_views import DataQualityView
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.privacy.pseudonym import learner_key
from stride.store.analytics_quality import outcome_counts
from stride.store.privacy import ConsentChange, record_consents, save_policy_document
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
POLICY = {
    "consent": {"analytics": "opt-in"},
    "pii": {"fields": {"properties": "reject"}},
    "retention": {"raw_events_days": 365},
}


def _at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


def _setup(engine: Engine, tenant: TenantUnderTest) -> None:
    key = learner_key(tenant.scope.learner_secret, "ok")
    with engine.begin() as connection:
        save_policy_document(connection, tenant.tenant_id, POLICY, NOW)
        record_consents(
            connection, tenant.tenant_id, key, [ConsentChange("analytics", True, NOW, "test")]
        )


def _report(engine: Engine, tenant: TenantUnderTest, **request: Any) -> DataQualityView:
    with engine.connect() as connection:
        return get_data_quality(connection, tenant.tenant_id, QualityRequest(**request), NOW)


def test_every_outcome_is_counted_exactly(engine: Engine, tenant: TenantUnderTest) -> None:
    _setup(engine, tenant)
    first = make_event(learner="ok", timestamp=_at(-timedelta(hours=1)))
    ingest_events(engine, tenant.scope, [first], LIMITS, NOW)
    second = make_event(learner="ok", timestamp=_at(-timedelta(hours=2)))
    batch = [
        first,  # duplicate of the stored event
        {**first, "result": {"score": 0.1}},  # conflict with it
        make_event(learner="ok", result={"score": 2}),  # invalid
        {"nonsense": True},  # invalid
        make_event(learner="ok", properties={"mail": "bob@example.com"}),  # PII rejected
        make_event(learner="no", timestamp=_at(-timedelta(hours=1))),  # no consent
        make_event(learner="ok", timestamp=_at(-timedelta(days=400))),  # past retention
        second,
        second,  # the same id twice in one batch: a duplicate
        make_event(learner="ok", timestamp=_at(-timedelta(hours=3))),
    ]
    ingest_events(engine, tenant.scope, batch, LIMITS, NOW)
    report = _report(engine, tenant, first=NOW.date(), last=NOW.date())
    totals = report.totals
    assert (totals.received, totals.accepted, totals.duplicate, totals.conflict) == (11, 3, 2, 1)
    assert totals.rejected == 5
    assert totals.rejected_by_reason == {"invalid": 2, "pii": 1, "consent": 1, "retention": 1}
    assert totals.pii_findings.rejected == {"email": 1}
    assert [p.figures.accepted for p in report.periods] == [3]
    fields = {(f.path, f.message): f.count for f in report.invalid_fields}
    assert fields[("result.score", "Input should be less than or equal to 1")] == 1
    assert sum(fields.values()) >= 2


def test_a_batch_of_rejected_events_alone_is_counted(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    ingest_events(engine, tenant.scope, [{"x": 1}, "text"], LIMITS, NOW)
    with engine.connect() as connection:
        rows = outcome_counts(connection, tenant.tenant_id, NOW.date(), NOW.date())
    assert {(r.status, r.reason, r.count) for r in rows if not r.path} == {
        ("rejected", "invalid", 2)
    }


def test_lateness_bands_quantiles_and_clock_skew(engine: Engine, tenant: TenantUnderTest) -> None:
    delays = [
        timedelta(seconds=30),
        timedelta(minutes=30),
        timedelta(hours=5),
        timedelta(days=3),
        timedelta(days=10),
        -timedelta(minutes=10),  # ahead of its arrival, within the allowed skew
    ]
    sent = [make_event(timestamp=_at(-delay)) for delay in delays]
    ingest_events(engine, tenant.scope, sent, LIMITS, NOW)
    # A day later, the same events again (duplicates) add no timing.
    ingest_events(engine, tenant.scope, sent, LIMITS, NOW + timedelta(days=1))
    report = _report(engine, tenant, first=NOW.date(), last=NOW.date() + timedelta(days=1))
    lateness = report.totals.lateness
    assert lateness.events == 6
    assert lateness.bands == {
        "under_1_minute": 1,
        "under_1_hour": 1,
        "under_1_day": 1,
        "under_7_days": 1,
        "older": 1,
    }
    assert lateness.p50_s == pytest.approx(1800, rel=report.relative_error)
    assert lateness.p99_s == pytest.approx(10 * 86_400, rel=report.relative_error)  # the max
    skew = report.totals.clock_skew
    assert skew.events == 1
    assert skew.max_ahead_s == pytest.approx(600, rel=report.relative_error)
    day_two = report.periods[1].figures
    assert (day_two.duplicate, day_two.accepted, day_two.lateness.events) == (6, 0, 0)
    for period in ("week", "month"):  # summed per period by the database
        wider = _report(engine, tenant, period=period, first=date(2024, 5, 1), last=NOW.date())
        assert wider.totals.lateness == lateness and wider.totals.clock_skew == skew
        assert sum(p.figures.lateness.events for p in wider.periods) == 6


def test_volume_anomalies_from_hourly_counts(engine: Engine, tenant: TenantUnderTest) -> None:
    # Five weeks of 2 events every Monday 09:00 UTC, then 12 in the sixth week.
    monday = datetime(2024, 4, 22, 9, tzinfo=UTC)
    sent = [
        make_event(learner=f"l{n}", timestamp=(monday + timedelta(weeks=week)).isoformat())
        for week in range(5)
        for n in range(2)
    ]
    sent += [
        make_event(learner=f"l{n}", timestamp=(monday + timedelta(weeks=5)).isoformat())
        for n in range(12)
    ]
    ingest_events(engine, tenant.scope, sent, LIMITS, NOW)
    spike_day = (monday + timedelta(weeks=5)).date()
    report = _report(engine, tenant, first=spike_day, last=spike_day)
    assert report.volume.hours_scored == 24
    [anomaly] = report.volume.anomalies
    assert (anomaly.hour, anomaly.count, anomaly.expected) == (monday + timedelta(weeks=5), 12, 2)
    assert anomaly.z == pytest.approx(10 / 2**0.5)  # MAD 0, mean AD 0: scale sqrt(2)
    assert anomaly.size == 10
    calm = _report(engine, tenant, first=spike_day, last=spike_day, threshold=8.0)
    assert calm.volume.anomalies == []


def test_rebuild_leaves_the_ingest_records_alone(engine: Engine, tenant: TenantUnderTest) -> None:
    ingest_events(engine, tenant.scope, [make_event(), {"x": 1}], LIMITS, NOW)
    before = _report(engine, tenant, first=date(2024, 4, 1), last=NOW.date())
    rebuild_tenant(engine, tenant.tenant_id)
    assert _report(engine, tenant, first=date(2024, 4, 1), last=NOW.date()) == before
