"""`stride import` through the ingest pipeline: same state as HTTP, resumable, refusals listed."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.catalog import load_catalog_text
from stride.catalog.service import apply_catalog
from stride.demo.generator import generate_demo_events
from stride.demo.service import DEMO_CATALOG
from stride.errors import InvalidInput
from stride.importing import service as import_service
from stride.importing.csv_mapping import MappingSpec
from stride.importing.service import ImportProgress, ImportRequest, run_import
from stride.importing.sources import Format
from stride.privacy.consent import set_consent
from stride.privacy.policy import Purpose
from stride.privacy.policy_service import apply_policy
from stride.privacy.pseudonym import learner_key
from stride.store.event_log import count_events
from stride.store.tenant_data import purge_tenant_activity
from stride.store.transactions import write_transaction
from stride.tenancy.roles import Role
from stride.tenancy.service import Principal, create_tenant
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest
from tests.store.snapshots import read_model_snapshot

NOW = datetime.now(UTC).replace(microsecond=0)
BATCH = 250


class Stop(Exception):
    """Stands for a crash or Ctrl-C in the middle of an import."""


def _demo_events(count: int, learners: int = 6, seed: int = 5) -> list[dict[str, Any]]:
    events = generate_demo_events(seed, learners=learners, days=20, end=NOW)
    return list(islice(events, count))


def _write_jsonl(path: Path, events: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def _event(learner: str = "ana", **extra: Any) -> dict[str, Any]:
    return make_event(learner=learner, timestamp=(NOW - timedelta(hours=1)).isoformat(), **extra)


def _error_lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _apply_demo_catalog(engine: Engine, tenant_id: str) -> None:
    catalog = load_catalog_text(DEMO_CATALOG.read_bytes(), filename=DEMO_CATALOG.name)
    apply_catalog(engine, tenant_id, catalog, NOW)


# 1: batches prepared ahead by a helper process (stride.ingest.ahead), as large files are.
HELPERS = pytest.mark.parametrize("helpers", [0, 1], ids=["in-process", "helper"])


@HELPERS
def test_an_import_equals_the_same_events_over_http(
    engine: Engine, tenant: TenantUnderTest, client: TestClient, tmp_path: Path, helpers: int
) -> None:
    events = _demo_events(700)
    _apply_demo_catalog(engine, tenant.tenant_id)
    path = _write_jsonl(tmp_path / "events.jsonl", events)
    # The same batches as the requests below: an award's evidence names the events of the
    # batch that earned it, so it follows arrival (docs/architecture.md).
    request = ImportRequest(path, tenant.tenant_id, batch_size=BATCH, helper_processes=helpers)
    summary = run_import(engine, request)
    assert summary.counts["accepted"] == len(events) and summary.refused == 0
    imported = read_model_snapshot(engine, tenant.tenant_id)
    assert imported["learner_stats"]

    with write_transaction(engine) as connection:
        purge_tenant_activity(connection, tenant.tenant_id)
    _apply_demo_catalog(engine, tenant.tenant_id)
    for start in range(0, len(events), BATCH):
        batch = events[start : start + BATCH]
        response = client.post("/v1/events", json=batch, headers=bearer(tenant.admin_key))
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(batch)
    assert read_model_snapshot(engine, tenant.tenant_id) == imported


@HELPERS
def test_a_stopped_import_continues_after_its_last_batch(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path, helpers: int
) -> None:
    events = _demo_events(250)
    events.insert(40, {"id": "not-a-uuid"})  # one refusal before the stop, listed once
    path = _write_jsonl(tmp_path / "events.jsonl", events)
    # With a helper, the batch after the stop is already read and prepared: it is not stored.
    request = ImportRequest(path, tenant.tenant_id, batch_size=50, helper_processes=helpers)

    def stop_after_two(step: ImportProgress) -> None:
        if step.records >= 100:
            raise Stop

    with pytest.raises(Stop):
        run_import(engine, request, stop_after_two)
    with engine.connect() as connection:
        assert count_events(connection, tenant.tenant_id) >= 99  # derived events may add some

    summary = run_import(engine, request)
    assert summary.resumed_from == 100 and summary.records_this_run == len(events) - 100
    assert summary.counts == {
        "accepted": 250,
        "duplicate": 0,
        "conflict": 0,
        "rejected": 1,
        "skipped": 0,
    }
    [error] = _error_lines(tmp_path / "events.jsonl.errors.jsonl")
    assert error["line"] == 41 and error["reason"] == "invalid"
    with engine.connect() as connection:
        stored = count_events(connection, tenant.tenant_id)
    assert stored >= 250

    again = run_import(engine, request)  # finished: nothing more to do
    assert again.already_complete and again.records_this_run == 0
    restarted = run_import(engine, ImportRequest(path, tenant.tenant_id, restart=True))
    assert restarted.counts["duplicate"] == 250 and restarted.counts["accepted"] == 0
    with engine.connect() as connection:
        assert count_events(connection, tenant.tenant_id) == stored  # each event exactly once


def test_a_crash_between_commit_and_saved_position_repeats_one_batch_harmlessly(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[Any] = [_event(f"l{n % 7}") for n in range(120)]
    events[45] = {"id": "bad"}  # in the batch that is committed but not saved
    path = _write_jsonl(tmp_path / "events.jsonl", events)
    request = ImportRequest(path, tenant.tenant_id, batch_size=20)
    real_save = import_service.save_state
    saves: list[int] = []

    def failing_save(target: Path, state: Any) -> None:
        saves.append(state.position.record)
        if len(saves) == 3:
            raise Stop
        real_save(target, state)

    monkeypatch.setattr(import_service, "save_state", failing_save)
    with pytest.raises(Stop):
        run_import(engine, request)
    monkeypatch.setattr(import_service, "save_state", real_save)

    summary = run_import(engine, request)
    assert summary.resumed_from == 40
    assert summary.counts == {
        "accepted": 100,
        "duplicate": 20 - 1,  # the third batch again: stored before the crash
        "conflict": 0,
        "rejected": 1,
        "skipped": 0,
    }
    assert [e["line"] for e in _error_lines(tmp_path / "events.jsonl.errors.jsonl")] == [46]
    with engine.connect() as connection:
        assert count_events(connection, tenant.tenant_id) == 119


@HELPERS
def test_refusals_are_listed_with_their_line_and_reason(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path, helpers: int
) -> None:
    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        actor = Principal(tenant.tenant_id, "cli", Role.ADMIN, tenant.scope.learner_secret)
        apply_policy(connection, actor, {"pii": {"fields": {"properties": "reject"}}}, now)
        cleo = learner_key(tenant.scope.learner_secret, "cleo")
        set_consent(connection, actor, cleo, {Purpose.ANALYTICS: False}, now)
    stored = _event()
    lines = [
        orjson.dumps(stored),
        orjson.dumps(_event(properties={"contact": "ana@example.org"})),
        b"",
        orjson.dumps(_event("cleo")),
        b'{"id": "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69", "type": "nope"',
        orjson.dumps({**stored, "result": {"score": 0.1}}),  # same id, other content
        orjson.dumps(_event("ben")),
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    errors_path = tmp_path / "refused.jsonl"
    request = ImportRequest(
        path, tenant.tenant_id, batch_size=3, errors_path=errors_path, helper_processes=helpers
    )
    summary = run_import(engine, request)
    assert summary.counts == {
        "accepted": 2,
        "duplicate": 0,
        "conflict": 1,
        "rejected": 3,
        "skipped": 0,
    }
    assert summary.refused == 4 and summary.errors_path == errors_path
    found = _error_lines(errors_path)
    assert [(e["record"], e["line"], e["status"], e["reason"]) for e in found] == [
        (2, 2, "rejected", "pii"),
        (3, 4, "rejected", "consent"),
        (4, 5, "rejected", "unreadable"),
        (5, 6, "conflict", "conflict"),
    ]
    by_reason = {e["reason"]: e for e in found}
    assert by_reason["pii"]["errors"][0]["path"] == "properties.contact"
    assert "email" in by_reason["pii"]["errors"][0]["reason"]
    assert by_reason["consent"]["errors"][0]["path"] == "learner"
    assert by_reason["conflict"]["event_id"] == stored["id"]
    assert "ana@example.org" not in errors_path.read_text()  # the records themselves stay out


def test_csv_rows_are_imported_with_their_mapping(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    day = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "scores.csv"
    path.write_text(
        "user;quiz;score;passed;when;room\n"
        f"ana;c1/quiz;0.9;yes;{day};B12\n"
        f"ben;c1/quiz;1.7;no;{day};B12\n"
        f"ana;c1/quiz;0.9;yes;{day};B12\n"  # the same row again: the same event, a duplicate
        f"cleo;c1/quiz;x;no;{day};B12\n"
    )
    mapping = MappingSpec(
        {"user": "learner", "quiz": "activity.id", "score": "result.score"},
        {"type": "assessment.submitted", "activity.type": "assessment"},
        timezone="UTC",
        delimiter=";",
    ).merged(MappingSpec({"passed": "result.success", "when": "timestamp"}, timezone="UTC"))
    summary = run_import(engine, ImportRequest(path, tenant.tenant_id, mapping=mapping))
    assert summary.format == "csv"
    assert summary.counts == {
        "accepted": 1,
        "duplicate": 1,
        "conflict": 0,
        "rejected": 2,
        "skipped": 0,
    }
    found = {e["line"]: e for e in _error_lines(tmp_path / "scores.csv.errors.jsonl")}
    assert found[3]["errors"][0]["path"] == "result.score"  # 1.7: the pipeline's range check
    assert found[5]["errors"] == [
        {"path": "result.score", "reason": "column 'score': 'x' is not a number"}
    ]


def test_xapi_statements_are_imported_as_their_events(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    when = (NOW - timedelta(hours=2)).isoformat()
    statements = [
        {
            "id": str(uuid.uuid4()),
            "actor": {"account": {"homePage": "https://lms.example.org", "name": str(n)}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": f"https://lms.example.org/mod/page/{n}"},
            "timestamp": when,
        }
        for n in range(5)
    ]
    statements.append(
        {
            **statements[0],
            "id": str(uuid.uuid4()),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": statements[1]["id"]},
        }
    )
    path = tmp_path / "lrs-export.json"
    path.write_bytes(orjson.dumps(statements, option=orjson.OPT_INDENT_2))
    summary = run_import(engine, ImportRequest(path, tenant.tenant_id, format=Format.AUTO))
    assert summary.format == "xapi-json"
    assert summary.counts["accepted"] == 5 and summary.counts["skipped"] == 1
    assert summary.refused == 0 and summary.errors_path is None


def test_a_changed_file_or_mapping_is_imported_from_the_start(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "e.jsonl", [_event() for _ in range(3)])
    first = run_import(engine, ImportRequest(path, tenant.tenant_id))
    assert first.counts["accepted"] == 3
    _write_jsonl(path, [_event() for _ in range(4)])
    second = run_import(engine, ImportRequest(path, tenant.tenant_id))
    assert second.note is not None and "file" in second.note
    assert second.counts["accepted"] == 4 and second.resumed_from == 0


def test_a_helper_prepares_by_default_only_large_files_on_several_cores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    request = ImportRequest(tmp_path / "events.jsonl", "t")
    large = import_service.HELPERS_FROM_BYTES
    monkeypatch.setattr(import_service.os, "cpu_count", lambda: 2)
    assert import_service._helper_processes(request, large) == 1
    assert import_service._helper_processes(request, large - 1) == 0
    assert import_service._helper_processes(replace(request, helper_processes=3), 10) == 3
    monkeypatch.setattr(import_service.os, "cpu_count", lambda: 1)
    assert import_service._helper_processes(request, large) == 0


def test_too_many_helpers_are_refused(
    engine: Engine, tenant: TenantUnderTest, tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "events.jsonl", [_event()])
    request = ImportRequest(path, tenant.tenant_id, helper_processes=import_service.MAX_HELPERS + 1)
    with pytest.raises(InvalidInput, match="helper processes"):
        run_import(engine, request)


def test_an_import_into_a_sqlite_file_checkpoints_its_log_in_the_background(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    # store/wal_checkpoint.py: the copy of the log back into the file runs beside the import,
    # not in its write transactions; the thread ends with the import.
    with write_transaction(sqlite_engine) as connection:
        tenant_id = create_tenant(connection, f"checkpoint-{uuid.uuid4()}", NOW).tenant_id
    path = _write_jsonl(tmp_path / "events.jsonl", _demo_events(60))
    seen: list[bool] = []

    def note_threads(_: ImportProgress) -> None:
        seen.append(any(t.name == "stride-checkpoint" for t in threading.enumerate()))

    request = ImportRequest(path, tenant_id, batch_size=20, helper_processes=0)
    run_import(sqlite_engine, request, note_threads)
    assert seen and all(seen)
    assert not any(t.name == "stride-checkpoint" for t in threading.enumerate())
