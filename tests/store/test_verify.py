"""`stride verify`: live read models against a rebuild from the log, on both databases."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, delete, text, update
from typer.testing import CliRunner

from stride.catalog.service import apply_catalog
from stride.cli import verify as verify_cli
from stride.cli.main import app
from stride.config import get_settings
from stride.errors import ConfigurationError
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store.tables import events, learner_days, learner_stats
from stride.verify.compare import compare_table
from stride.verify.service import verify_tenant
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest, make_tenant
from tests.store.snapshots import read_model_snapshot

NOW = datetime(2024, 7, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))
START = datetime(2024, 6, 1, 8, tzinfo=UTC)
ITEMS = ["prog/c1/m1/ex1", "prog/c1/m1/ex2", "prog/c1/m2/quiz"]


def _events(count: int) -> list[dict[str, Any]]:
    events = []
    for i in range(count):
        event: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "type": ["exercise.attempted", "activity.completed", "session.started"][i % 3],
            "learner": ["ana", "ben", "chloé"][i % 3 if i % 7 else 0],
            "timestamp": (START + timedelta(hours=7 * i)).isoformat(),
            "session": f"s{i % 4}",
        }
        if event["type"] != "session.started":
            event["activity"] = {"id": ITEMS[i % 3], "type": "exercise"}
            event["result"] = {"score": (i % 10) / 10, "duration_s": 60 + i, "success": i % 2 == 0}
            event["skills"] = ["planning"]
        events.append(event)
    return events


def _ingested(engine: Engine) -> TenantUnderTest:
    tenant = make_tenant(engine)
    apply_catalog(engine, tenant.tenant_id, small_catalog(threshold=0.6), NOW)
    events = _events(60)
    for start in range(0, len(events), 7):  # several batches, one resent
        ingest_events(engine, tenant.scope, events[start : start + 7], LIMITS, NOW)
    ingest_events(engine, tenant.scope, events[:5], LIMITS, NOW)
    return tenant


def _only_tenants(monkeypatch: pytest.MonkeyPatch, *tenants: TenantUnderTest) -> None:
    """`verify` without --tenant walks every tenant of the database, and the test database
    holds every earlier test's tenants: let it see only this test's."""
    wanted = {t.tenant_id for t in tenants}
    listed = verify_cli.list_tenants
    monkeypatch.setattr(
        verify_cli, "list_tenants", lambda c: [t for t in listed(c) if t.id in wanted]
    )


@pytest.fixture
def run_cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """`stride ...` in-process against the test's database; returns (exit code, output)."""
    monkeypatch.setenv("STRIDE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, Any]:
        result = CliRunner().invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        output = orjson.loads(result.stdout) if "--json" in args else result.output
        return result.exit_code, output

    yield run
    get_settings.cache_clear()


def test_a_normal_ingest_verifies_clean_and_the_live_models_stay_as_they_were(
    engine: Engine,
) -> None:
    tenant = _ingested(engine)
    before = read_model_snapshot(engine, tenant.tenant_id)
    assert before["learner_stats"] and before["engagement_counts"]

    result = verify_tenant(engine, tenant.tenant_id)

    assert result.clean, result.tables
    assert result.events >= 60  # derived events (skill.acquired) are in the log too
    assert read_model_snapshot(engine, tenant.tenant_id) == before


def test_verify_is_clean_while_ingest_goes_on(engine: Engine) -> None:
    tenant = _ingested(engine)
    more = _events(120)
    done = threading.Event()

    def ingest() -> None:
        try:
            for start in range(0, len(more), 6):
                ingest_events(engine, tenant.scope, more[start : start + 6], LIMITS, NOW)
        finally:
            done.set()

    writer = threading.Thread(target=ingest)
    writer.start()
    try:
        results = [verify_tenant(engine, tenant.tenant_id)]
        while not done.is_set():  # one consistent snapshot each time, whatever commits
            results.append(verify_tenant(engine, tenant.tenant_id))
    finally:
        writer.join()
    assert all(r.clean for r in results), [r.tables for r in results if not r.clean]


def test_a_corrupted_row_is_reported_with_its_columns(engine: Engine) -> None:
    tenant = _ingested(engine)
    other = _ingested(engine)
    ana = learner_key(tenant.scope.learner_secret, "ana")
    with engine.begin() as connection:
        connection.execute(
            update(learner_stats)
            .where(
                learner_stats.c.tenant_id == tenant.tenant_id, learner_stats.c.learner_key == ana
            )
            .values(events=learner_stats.c.events + 5, longest_streak=99)
        )
        connection.execute(
            delete(learner_days).where(
                learner_days.c.tenant_id == tenant.tenant_id,
                learner_days.c.learner_key == ana,
                learner_days.c.day == START.date(),
            )
        )

    result = verify_tenant(engine, tenant.tenant_id)

    assert not result.clean
    by_table = {t.table: t for t in result.tables}
    assert set(by_table) == {"learner_stats", "learner_days"}
    stats = by_table["learner_stats"]
    assert (stats.differing, stats.only_live, stats.only_rebuilt) == (1, 0, 0)
    [row] = stats.differing_examples
    assert row.key == {"learner_key": ana}
    assert set(row.columns) == {"events", "longest_streak"}
    assert row.columns["longest_streak"] == (99, row.columns["longest_streak"][1])
    assert row.columns["events"][0] == row.columns["events"][1] + 5
    days = by_table["learner_days"]
    assert (days.only_rebuilt, days.only_live, days.differing) == (1, 0, 0)
    assert days.rebuilt_examples == [{"learner_key": ana, "day": START.date()}]
    assert verify_tenant(engine, other.tenant_id).clean  # another tenant is untouched


def test_the_command_exits_0_when_clean_and_1_with_the_differences(
    engine: Engine, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = _ingested(engine)
    code, answer = run_cli("verify", "--tenant", tenant.tenant_id, "--json")
    assert code == 0 and answer["clean"] is True
    assert answer["tenants"][0]["tenant_id"] == tenant.tenant_id
    code, text = run_cli("verify", "--tenant", tenant.tenant_id)
    assert code == 0 and "matches a rebuild" in text

    with engine.begin() as connection:
        connection.execute(
            update(learner_stats)
            .where(learner_stats.c.tenant_id == tenant.tenant_id)
            .values(active_days=learner_stats.c.active_days + 1)
        )
    code, answer = run_cli("verify", "--tenant", tenant.tenant_id, "--json")
    assert code == 1 and answer["clean"] is False
    [table] = answer["tenants"][0]["tables"]
    assert table["table"] == "learner_stats" and table["differing"] == 3
    assert set(table["differing_rows"][0]["columns"]) == {"active_days"}
    code, text = run_cli("verify", "--tenant", tenant.tenant_id)
    assert code == 1 and "learner_stats" in text and "active_days" in text

    _only_tenants(monkeypatch, tenant)
    code, answer = run_cli("verify", "--json")  # every tenant of the database
    assert code == 1 and tenant.tenant_id in {t["tenant_id"] for t in answer["tenants"]}
    code, answer = run_cli("verify", "--tenant", "nope", "--json")
    assert code == 1 and answer["error"] == "not_found"


def test_compare_tolerates_float_rounding_but_not_real_differences() -> None:
    live = [{"k": 1, "x": 0.1 + 0.2, "j": {"a": [1.0]}}, {"k": 2, "x": 1.0, "j": {}}]
    rebuilt = [{"k": 1, "x": 0.3, "j": {"a": [1.0]}}, {"k": 3, "x": 1.0, "j": {}}]
    found = compare_table("t", ["k"], live, rebuilt)
    assert (found.only_live, found.only_rebuilt, found.differing) == (1, 1, 0)
    found = compare_table("t", ["k"], [{"k": 1, "x": 0.3}], [{"k": 1, "x": 0.31}])
    assert found.differing == 1 and found.differing_examples[0].columns == {"x": (0.3, 0.31)}


@pytest.mark.postgres
def test_postgres_leaves_no_scratch_schema_and_needs_a_role_that_may_create_one(
    postgres_engine: Engine, app_role_engine: Engine
) -> None:
    tenant = _ingested(postgres_engine)
    assert verify_tenant(postgres_engine, tenant.tenant_id).clean
    with postgres_engine.connect() as connection:
        left = connection.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'stride_verify_%'")
        ).all()
    assert left == []
    # The application role (no CREATE on the database) gets a clear error, not a traceback.
    with pytest.raises(ConfigurationError, match="owns Stride's tables"):
        verify_tenant(app_role_engine, tenant.tenant_id)


def test_a_tenant_that_cannot_be_refolded_is_reported_and_the_others_still_verified(
    engine: Engine, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _ingested(engine)
    broken = make_tenant(engine)
    with engine.begin() as connection:  # a log row no ingest would write: no type in it
        connection.execute(
            events.insert(),
            [
                {
                    "tenant_id": broken.tenant_id,
                    "event_id": str(uuid.uuid4()),
                    "learner_key": "k" * 64,
                    "type": "activity.started",
                    "event_time": datetime(2024, 5, 1, tzinfo=UTC),
                    "received_at": datetime(2024, 5, 1, tzinfo=UTC),
                    "content_hash": "0" * 64,
                    "payload": {"id": "x"},
                }
            ],
        )
    _only_tenants(monkeypatch, good, broken)
    code, answer = run_cli("verify", "--json")
    assert code == 1 and answer["clean"] is False
    assert len(answer["tenants"]) == 2
    by_tenant = {t["tenant_id"]: t for t in answer["tenants"]}
    assert by_tenant[good.tenant_id]["clean"] is True
    assert by_tenant[broken.tenant_id]["error"] and by_tenant[broken.tenant_id]["clean"] is False
    code, text = run_cli("verify")
    assert code == 1 and "not verified" in text
