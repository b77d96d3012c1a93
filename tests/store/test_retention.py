"""Retention removes old raw events only: read models stay, archives hold exactly what went."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from stride.errors import Conflict
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, RejectReason, ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.learners.profile import set_learner_timezone
from stride.privacy.pseudonym import learner_key
from stride.privacy.retention import RetentionReport, archive_schema, list_runs, run_retention
from stride.store.tables import audit_log, events
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal
from tests.fixtures.tenant import TenantUnderTest
from tests.history import LEARNERS, record_history, set_retention
from tests.store.snapshots import read_model_snapshot

NOW = datetime.now(UTC).replace(microsecond=0)


def _actor(tenant: TenantUnderTest) -> Principal:
    return Principal(tenant.tenant_id, "test", Role.ADMIN, tenant.scope.learner_secret)


def _log(engine: Engine, tenant_id: str) -> dict[str, datetime]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.event_id, events.c.event_time).where(events.c.tenant_id == tenant_id)
        )
        return {row.event_id: row.event_time for row in rows}


def _archived(report: RetentionReport) -> pa.Table:
    return pa.concat_tables([pq.read_table(path) for path in report.files])


def test_old_events_go_to_the_archive_and_read_models_stay(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    record_history(engine, tenant.scope, NOW)
    set_retention(engine, tenant.tenant_id, 30, True, NOW)
    before_log = _log(engine, tenant.tenant_id)
    before = read_model_snapshot(engine, tenant.tenant_id)
    cutoff = NOW - timedelta(days=30)
    expired = {e for e, at in before_log.items() if at < cutoff}
    assert 100 < len(expired) < len(before_log)

    report = run_retention(engine, _actor(tenant), NOW, tmp_path, chunk_size=50)

    assert report.cutoff == cutoff and report.events_deleted == len(expired)
    assert _log(engine, tenant.tenant_id) == {
        e: at for e, at in before_log.items() if e not in expired
    }
    assert read_model_snapshot(engine, tenant.tenant_id) == before
    directory = tmp_path / tenant.tenant_id
    assert report.archive_dir == str(directory.resolve())
    assert len(report.files) == -(-len(expired) // 50)  # one file per chunk
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        Path(f).name for f in report.files
    ), "no temporary file is left behind"
    assert Path(report.files[0]).name == f"events-{cutoff.date()}-{report.run_seq}-0001.parquet"
    assert all(stat.S_IMODE(Path(f).stat().st_mode) == 0o600 for f in report.files)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700

    archived = _archived(report)
    assert archived.schema == archive_schema()
    rows = archived.to_pylist()
    assert {r["event_id"] for r in rows} == expired and len(rows) == len(expired)
    assert all(r["event_time"] == before_log[r["event_id"]] for r in rows)
    assert {r["tenant_id"] for r in rows} == {tenant.tenant_id}
    first = orjson.loads(rows[0]["payload"])
    assert first["id"] == rows[0]["event_id"] and "learner" not in first  # key only, no raw id
    secret = tenant.scope.learner_secret
    assert {r["learner_key"] for r in rows} == {learner_key(secret, raw) for raw in LEARNERS}


def test_a_second_run_finds_nothing_and_every_run_is_recorded(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    record_history(engine, tenant.scope, NOW, days=40)
    set_retention(engine, tenant.tenant_id, 30, True, NOW)
    first = run_retention(engine, _actor(tenant), NOW, tmp_path)
    again = run_retention(engine, _actor(tenant), NOW, tmp_path)

    assert first.events_deleted > 0 and len(first.files) == 1
    assert again.events_deleted == 0 and again.files == ()
    assert len(list((tmp_path / tenant.tenant_id).iterdir())) == 1
    with engine.connect() as connection:
        runs = list_runs(connection, tenant.tenant_id)
        audited = connection.execute(
            select(audit_log.c.action, audit_log.c.detail)
            .where(audit_log.c.tenant_id == tenant.tenant_id)
            .order_by(audit_log.c.seq)
        ).all()
    assert [(r.seq, r.events_deleted) for r in runs] == [
        (again.run_seq, 0),
        (first.run_seq, first.events_deleted),
    ]
    assert runs[0].archive == str((tmp_path / tenant.tenant_id).resolve())
    assert [(a.action, a.detail["events_deleted"]) for a in audited] == [
        ("retention.run", first.events_deleted),
        ("retention.run", 0),
    ]


def test_a_policy_keeping_events_forever_does_nothing(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    record_history(engine, tenant.scope, NOW, days=40)
    before = _log(engine, tenant.tenant_id)
    for days in (None, 365):  # no policy stored at all, then one keeping a year
        if days is not None:
            set_retention(engine, tenant.tenant_id, days, True, NOW)
        report = run_retention(engine, _actor(tenant), NOW, tmp_path)
        assert report.events_deleted == 0 and report.files == ()
        assert _log(engine, tenant.tenant_id) == before
    assert report.cutoff is not None, "a year-long policy still runs (and is recorded)"
    with engine.connect() as connection:
        assert len(list_runs(connection, tenant.tenant_id)) == 1
    assert not (tmp_path / tenant.tenant_id).exists() or not any(
        (tmp_path / tenant.tenant_id).iterdir()
    )


def test_without_archive_no_file_is_written(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    record_history(engine, tenant.scope, NOW, days=40)
    set_retention(engine, tenant.tenant_id, 30, False, NOW)
    report = run_retention(engine, _actor(tenant), NOW, tmp_path)
    assert report.events_deleted > 0
    assert report.files == () and report.archive_dir is None
    assert not (tmp_path / tenant.tenant_id).exists()
    with engine.connect() as connection:
        assert list_runs(connection, tenant.tenant_id)[0].archive is None


def test_concurrent_runs_delete_each_event_once(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    record_history(engine, tenant.scope, NOW)
    set_retention(engine, tenant.tenant_id, 30, True, NOW)
    expired = {e for e, at in _log(engine, tenant.tenant_id).items() if at < NOW - timedelta(30)}
    reports: list[RetentionReport] = []

    def run() -> None:
        reports.append(run_retention(engine, _actor(tenant), NOW, tmp_path, chunk_size=20))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.events_deleted for r in reports) == len(expired)
    archived = pa.concat_tables([_archived(r) for r in reports if r.files])
    assert set(archived.column("event_id").to_pylist()) == expired
    assert archived.num_rows == len(expired), "no chunk was archived twice"


def test_rebuild_refuses_once_retention_removed_events(
    engine: Engine, tenant_factory: Callable[[], TenantUnderTest], tmp_path: Path
) -> None:
    pruned, whole = tenant_factory(), tenant_factory()
    for t in (pruned, whole):
        record_history(engine, t.scope, NOW, days=40)
    set_retention(engine, pruned.tenant_id, 30, False, NOW)
    set_retention(engine, whole.tenant_id, 60, False, NOW)
    for t in (pruned, whole):
        run_retention(engine, _actor(t), NOW, tmp_path)

    assert rebuild_tenant(engine, whole.tenant_id) > 0, "a run that removed nothing is harmless"
    before = read_model_snapshot(engine, pruned.tenant_id)
    with pytest.raises(Conflict, match="--force"):
        rebuild_tenant(engine, pruned.tenant_id)
    assert read_model_snapshot(engine, pruned.tenant_id) == before
    assert rebuild_tenant(engine, pruned.tenant_id, force=True) == len(
        _log(engine, pruned.tenant_id)
    )


def test_after_retention_old_resends_are_refused_and_zones_stay(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    sent = record_history(engine, tenant.scope, NOW, days=40)
    set_retention(engine, tenant.tenant_id, 30, False, NOW)
    run_retention(engine, _actor(tenant), NOW, tmp_path)
    before = read_model_snapshot(engine, tenant.tenant_id)

    # The deleted events are no longer known as duplicates: a resend must not fold them twice.
    old = [e for e in sent if datetime.fromisoformat(e["timestamp"]) < NOW - timedelta(days=30)]
    limits = ValidationLimits(NOW, timedelta(hours=1))
    report = ingest_events(engine, tenant.scope, old[:50], limits, NOW)
    assert {o.status for o in report.outcomes} == {EventStatus.REJECTED}
    assert {o.reason for o in report.outcomes} == {RejectReason.RETENTION}
    assert report.outcomes[0].errors[0].path == "timestamp"
    assert read_model_snapshot(engine, tenant.tenant_id) == before

    # A new time zone would refold the learner's days from a log that lost the old ones.
    with pytest.raises(Conflict, match="time zone"):
        set_learner_timezone(
            engine,
            tenant.tenant_id,
            learner_key(tenant.scope.learner_secret, LEARNERS[0]),
            "Europe/Paris",
            NOW,
        )
    assert read_model_snapshot(engine, tenant.tenant_id) == before
