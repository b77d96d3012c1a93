"""Batches stored as one group: each keeps its own outcomes, and the read models equal a rebuild."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from stride.events.validation import ValidationLimits
from stride.ingest import pipeline
from stride.ingest.pipeline import EventStatus, IngestReport, ingest_events
from stride.ingest.rebuild import rebuild_tenant
from stride.store.event_log import find_content_hashes
from tests.factories import make_event
from tests.fixtures.tenant import make_tenant
from tests.store.snapshots import read_model_snapshot

NOW = datetime(2024, 7, 1, tzinfo=UTC)
START = datetime(2024, 6, 1, tzinfo=UTC)


def _events(batch: int, n: int) -> list[dict[str, Any]]:
    return [
        make_event(
            learner=f"learner-{i % 4}",  # every batch touches the same learners
            activity={"id": f"ex-{i % 3}", "type": "exercise"},
            timestamp=(START + timedelta(hours=i * 5 + batch)).isoformat(),
            result={"score": (i % 10) / 10, "success": i % 2 == 0, "duration_s": 60},
        )
        for i in range(n)
    ]


def test_batches_stored_together_keep_their_own_outcomes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant(engine)
    limits = ValidationLimits(NOW, timedelta(hours=24))
    first, second, third = _events(0, 30), _events(1, 30), _events(2, 30)
    repeated = dict(first[3])  # sent again by a later batch of the same group
    changed = {**first[4], "result": {"score": 0.99}}  # same id, other content
    second += [repeated, changed, {"id": "broken"}]
    third += [dict(second[0])]  # a repeat of a batch stored in the same transaction

    groups: list[int] = []
    store_group = pipeline._store_group
    writing, others_queued = threading.Event(), threading.Event()

    def recording(engine: Engine, tenant_id: str, batches: Sequence[Any]) -> Any:
        groups.append(len(batches))
        if len(groups) == 1:  # hold the first write until the other batches wait behind it
            writing.set()
            assert others_queued.wait(10)
        return store_group(engine, tenant_id, batches)

    monkeypatch.setattr(pipeline, "_store_group", recording)
    reports: dict[str, IngestReport] = {}

    def send(name: str, events: list[dict[str, Any]]) -> None:
        reports[name] = ingest_events(engine, tenant.scope, events, limits, NOW)

    threads = [threading.Thread(target=send, args=("first", first))]
    threads[0].start()
    assert writing.wait(10)
    committer = pipeline._committer(engine)
    for queued, (name, events) in enumerate((("second", second), ("third", third)), start=1):
        threads.append(threading.Thread(target=send, args=(name, events)))
        threads[-1].start()
        deadline = time.monotonic() + 10
        while len(committer._queues.get(tenant.tenant_id, ())) < queued:  # in this order
            assert time.monotonic() < deadline
            time.sleep(0.005)
    others_queued.set()
    for thread in threads:
        thread.join(20)

    assert groups == [1, 2]  # the second and third batches shared one transaction
    assert reports["first"].counts()[EventStatus.ACCEPTED] == 30
    second_statuses = [o.status for o in reports["second"].outcomes]
    assert second_statuses[:30] == [EventStatus.ACCEPTED] * 30
    assert second_statuses[30:] == [
        EventStatus.DUPLICATE,
        EventStatus.CONFLICT,
        EventStatus.REJECTED,
    ]
    third_statuses = [o.status for o in reports["third"].outcomes]
    assert third_statuses == [EventStatus.ACCEPTED] * 30 + [EventStatus.DUPLICATE]
    assert reports["third"].outcomes[-1].event_id == second[0]["id"]
    sent = {event["id"] for event in first + second[:30] + third[:30]}
    with engine.connect() as connection:
        stored = find_content_hashes(connection, tenant.tenant_id, sent | {"broken"})
    assert stored.keys() == sent

    incremental = read_model_snapshot(engine, tenant.tenant_id)
    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == incremental


def test_concurrent_requests_lose_and_double_nothing(engine: Engine) -> None:
    tenant = make_tenant(engine)
    limits = ValidationLimits(NOW, timedelta(hours=24))
    batches = [_events(batch, 25) for batch in range(12)]
    for batch in batches:
        for event in batch:
            event["id"] = str(uuid.uuid4())
    reports: list[IngestReport] = []

    def send(events: list[dict[str, Any]]) -> None:
        reports.append(ingest_events(engine, tenant.scope, events, limits, NOW))

    threads = [threading.Thread(target=send, args=(batch,)) for batch in batches * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = [o.status for report in reports for o in report.outcomes]
    assert statuses.count(EventStatus.ACCEPTED) == 300
    assert statuses.count(EventStatus.DUPLICATE) == 300
    sent = {event["id"] for batch in batches for event in batch}
    with engine.connect() as connection:
        assert find_content_hashes(connection, tenant.tenant_id, sent).keys() == sent
    incremental = read_model_snapshot(engine, tenant.tenant_id)
    rebuild_tenant(engine, tenant.tenant_id)
    assert read_model_snapshot(engine, tenant.tenant_id) == incremental
