"""On SQLite the analytics projection reads a page and works out its engagement fold before
its write transaction (which holds ingest off), and saves it only if nothing it read has
changed by then: the rollups never depend on what happened in between."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, update

from stride.analytics import projection_job
from stride.analytics.projection_job import catch_up
from stride.ingest.pipeline import ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store import aliases
from stride.store.analytics_cursor import events_after, lock_cursor, set_cursor
from stride.store.tables import learners
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from tests.fixtures.tenant import TenantUnderTest
from tests.store.test_analytics_engagement import LIMITS, NOW, _events, _rollups, _tenant

Change = Callable[[Connection, TenantUnderTest], None]


def _key(tenant: TenantUnderTest, learner: str) -> str:
    return learner_key(tenant.scope.learner_secret, learner)


def _merge_b_into_a(connection: Connection, tenant: TenantUnderTest) -> None:
    aliases.move_events_to_learner(
        connection, tenant.tenant_id, _key(tenant, "B"), _key(tenant, "A")
    )


def _move_a_to_kiritimati(connection: Connection, tenant: TenantUnderTest) -> None:
    # UTC+14: the learner's 10:00 UTC events fall on the next local day.
    connection.execute(
        update(learners)
        .where(
            learners.c.tenant_id == tenant.tenant_id, learners.c.learner_key == _key(tenant, "A")
        )
        .values(timezone="Pacific/Kiritimati")
    )


def _two_tenants(engine: Engine) -> tuple[TenantUnderTest, TenantUnderTest]:
    tenants = _tenant(engine), _tenant(engine)
    for tenant in tenants:
        ingest_events(engine, tenant.scope, _events(), LIMITS, NOW)
    return tenants


def _change_after_reading_ahead(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tenant: TenantUnderTest, change: Change
) -> list[int]:
    """Make `change` happen between the read ahead and the write transaction, once; the
    list returned holds 1 once it has."""
    read_ahead = projection_job._fold_ahead
    happened: list[int] = []

    def read_then_change(*args: Any) -> Any:
        ahead = read_ahead(*args)
        if not happened:
            with write_transaction(engine) as connection:
                change(connection, tenant)
            happened.append(1)
        return ahead

    monkeypatch.setattr(projection_job, "_fold_ahead", read_then_change)
    return happened


def test_the_fold_read_ahead_is_saved_when_nothing_changed(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = _tenant(sqlite_engine)
    ingest_events(sqlite_engine, tenant.scope, _events(), LIMITS, NOW)
    folds = []
    fold = projection_job.fold_engagement
    monkeypatch.setattr(projection_job, "fold_engagement", lambda *a: folds.append(1) or fold(*a))
    assert catch_up(sqlite_engine, tenant.tenant_id, page_size=4) == len(_events())
    pages = -(-len(_events()) // 4)
    assert len(folds) == pages  # worked out once per page, ahead; never again under the lock


@pytest.mark.parametrize("change", [_merge_b_into_a, _move_a_to_kiritimati])
def test_a_change_between_reading_ahead_and_writing_is_folded_in(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, change: Change
) -> None:
    reference, raced = _two_tenants(sqlite_engine)
    with write_transaction(sqlite_engine) as connection:
        change(connection, reference)
    catch_up(sqlite_engine, reference.tenant_id)
    happened = _change_after_reading_ahead(monkeypatch, sqlite_engine, raced, change)
    catch_up(sqlite_engine, raced.tenant_id)
    assert happened
    assert _rollups(sqlite_engine, raced.tenant_id) == _rollups(sqlite_engine, reference.tenant_id)
    assert _rollups(sqlite_engine, raced.tenant_id) != _rollups_without_change(sqlite_engine)


def _rollups_without_change(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    plain = _tenant(engine)
    ingest_events(engine, plain.scope, _events(), LIMITS, NOW)
    catch_up(engine, plain.tenant_id)
    return _rollups(engine, plain.tenant_id)


def test_a_page_another_process_folded_meanwhile_is_not_folded_again(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, raced = _two_tenants(sqlite_engine)
    catch_up(sqlite_engine, reference.tenant_id)

    def fold_the_page_elsewhere(connection: Connection, tenant: TenantUnderTest) -> None:
        with tenant_context(tenant.tenant_id):
            cursor = lock_cursor(connection, tenant.tenant_id)
            page = events_after(connection, tenant.tenant_id, cursor, projection_job.PAGE)
            projection_job.fold_analytics(
                connection, tenant.tenant_id, [projection_job._recorded(e) for e in page]
            )
            set_cursor(connection, tenant.tenant_id, page[-1].seq)

    happened = _change_after_reading_ahead(
        monkeypatch, sqlite_engine, raced, fold_the_page_elsewhere
    )
    assert catch_up(sqlite_engine, raced.tenant_id) == 0  # the other fold took them all
    assert happened
    assert _rollups(sqlite_engine, raced.tenant_id) == _rollups(sqlite_engine, reference.tenant_id)
