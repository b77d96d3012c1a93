"""Several processes writing at once (e.g. `stride serve --workers 2`) lose nothing."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, TenantScope, ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.store.database import create_db_engine
from stride.store.event_log import count_events
from tests.factories import make_event
from tests.fixtures.tenant import make_tenant
from tests.store.snapshots import read_model_snapshot

NOW = datetime(2024, 7, 1, tzinfo=UTC)
START = datetime(2024, 5, 1, tzinfo=UTC)


def _write(url: str, scope: TenantScope, worker: int) -> int:
    engine = create_db_engine(url)
    limits = ValidationLimits(NOW, timedelta(hours=24))
    accepted = 0
    for batch in range(8):
        events = [
            make_event(
                id=str(uuid.uuid4()),
                # Both workers write the same learners and activities, to contend for them.
                learner=f"learner-{i % 5}",
                activity={"id": f"ex-{i % 3}", "type": "exercise"},
                timestamp=(START + timedelta(hours=batch * 7 + i + worker)).isoformat(),
                result={"score": (i % 10) / 10, "duration_s": 30},
            )
            for i in range(40)
        ]
        report = ingest_events(engine, scope, events, limits, NOW)
        accepted += report.count(EventStatus.ACCEPTED)
    engine.dispose()
    return accepted


def test_concurrent_processes_keep_every_event_and_consistent_read_models(
    engine: Engine,
) -> None:
    tenant = make_tenant(engine)
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        accepted = list(pool.map(_write, [url, url], [tenant.scope] * 2, [0, 1]))
    assert accepted == [320, 320]
    with engine.connect() as connection:
        assert count_events(connection, tenant.tenant_id) == 640
    incremental = read_model_snapshot(engine, tenant.tenant_id)
    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == incremental
