"""On SQLite the analytics projection reads a page and works out its engagement and usage
folds before its write transaction (which holds ingest off), and saves them only if nothing
they read has changed by then: the rollups never depend on what happened in between."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, delete, func, select, update

from stride.analytics import projection_job, usage_projection
from stride.analytics.projection_job import catch_up
from stride.ingest.pipeline import ingest_events
from stride.ingest.rebuild import fold_learner, forget_learner
from stride.privacy.pseudonym import learner_key
from stride.store import aliases
from stride.store.analytics_cursor import events_after, lock_cursor, revision, set_cursor
from stride.store.tables import (
    USAGE_ANALYTICS_READ_MODELS,
    events,
    funnel_steps,
    learners,
    usage_first_use,
    usage_learner_marks,
)
from stride.store.tenant_context import tenant_context
from stride.store.transactions import write_transaction
from tests.fixtures.tenant import TenantUnderTest
from tests.store.test_analytics_engagement import LIMITS, NOW, _events, _tenant
from tests.store.test_analytics_engagement import _rollups as _engagement_rollups

Change = Callable[[Connection, TenantUnderTest], None]
ORIGINAL_FOLD_AHEAD = projection_job._fold_ahead


def _rollups(engine: Engine, tenant_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The engagement and usage rollups, comparable across tenants (learner keys left out:
    each tenant has its own)."""
    snapshot = _engagement_rollups(engine, tenant_id)
    with engine.connect() as connection:
        for table in USAGE_ANALYTICS_READ_MODELS:
            columns = [c for c in table.c if c.name not in ("tenant_id", "learner_key")]
            rows = connection.execute(select(*columns).where(table.c.tenant_id == tenant_id))
            snapshot[table.name] = sorted(tuple(row) for row in rows)
    assert snapshot["usage_uniques"] and snapshot["funnel_steps"]
    return snapshot


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
    folds, reads, marks = [], [], []
    fold, read = projection_job.fold_engagement, projection_job.read_engagement_inputs
    new_marks = usage_projection.store.new_marks
    monkeypatch.setattr(projection_job, "fold_engagement", lambda *a: folds.append(1) or fold(*a))
    monkeypatch.setattr(
        projection_job, "read_engagement_inputs", lambda *a: reads.append(1) or read(*a)
    )
    monkeypatch.setattr(
        usage_projection.store, "new_marks", lambda *a: marks.append(1) or new_marks(*a)
    )
    assert catch_up(sqlite_engine, tenant.tenant_id, page_size=4) == len(_events())
    pages = -(-len(_events()) // 4)
    assert len(folds) == pages  # worked out once per page, ahead; never again under the lock
    # Nor are the rows read again under the lock to check them, or the usage markers looked
    # up there: the cursor and the revision (deletions of analytics rows) tell that nothing
    # changed. Only the first page's are: the tenant had no cursor yet, so no revision.
    assert len(reads) == pages + 1
    assert len(marks) == pages + 1


def test_deleting_engagement_rows_moves_the_revision(sqlite_engine: Engine) -> None:
    tenant = _tenant(sqlite_engine)
    ingest_events(sqlite_engine, tenant.scope, _events(), LIMITS, NOW)
    catch_up(sqlite_engine, tenant.tenant_id)
    with write_transaction(sqlite_engine) as connection:
        before = revision(connection, tenant.tenant_id)
        forget_learner(connection, tenant.tenant_id, _key(tenant, "A"))
        after = revision(connection, tenant.tenant_id)
    assert before is not None and after is not None and after > before


@pytest.mark.parametrize("table", [usage_learner_marks, usage_first_use, funnel_steps])
def test_deleting_usage_rows_moves_the_revision(sqlite_engine: Engine, table: Table) -> None:
    tenant = _tenant(sqlite_engine)
    ingest_events(sqlite_engine, tenant.scope, _events(), LIMITS, NOW)
    catch_up(sqlite_engine, tenant.tenant_id)
    with write_transaction(sqlite_engine) as connection:
        before = revision(connection, tenant.tenant_id)
        owned = table.c.tenant_id == tenant.tenant_id
        connection.execute(delete(table).where(owned, table.c.learner_key == _key(tenant, "A")))
        after = revision(connection, tenant.tenant_id)
    assert before is not None and after is not None and after > before


def _link_b_to_a(connection: Connection, tenant: TenantUnderTest) -> None:
    """What linking B to A as an alias does to the store (stride.learners.aliases)."""
    a, b = _key(tenant, "A"), _key(tenant, "B")
    cursor = forget_learner(connection, tenant.tenant_id, b)
    forget_learner(connection, tenant.tenant_id, a)
    aliases.move_events_to_learner(connection, tenant.tenant_id, b, a)
    fold_learner(connection, tenant.tenant_id, a, cursor)


def _link_once_b_is_folded(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, tenant: TenantUnderTest, race: bool
) -> list[int]:
    """Link B to A at the first page read ahead that holds A's events after all of B's are
    folded: between that read and the write (`race`), or before the read."""
    a, b = _key(tenant, "A"), _key(tenant, "B")
    with engine.connect() as connection:
        b_last = connection.execute(
            select(func.max(events.c.seq)).where(
                events.c.tenant_id == tenant.tenant_id, events.c.learner_key == b
            )
        ).scalar_one()
    done: list[int] = []

    def read_ahead(*args: Any) -> Any:
        ahead = ORIGINAL_FOLD_AHEAD(*args)
        if done or ahead is None or ahead.cursor < b_last:
            return ahead
        if not any(event.learner_key == a for event in ahead.events):
            return ahead
        with write_transaction(engine) as connection:
            _link_b_to_a(connection, tenant)
        done.append(1)
        return ahead if race else ORIGINAL_FOLD_AHEAD(*args)

    monkeypatch.setattr(projection_job, "_fold_ahead", read_ahead)
    return done


def test_a_refold_between_reading_ahead_and_writing_is_noticed_by_the_revision(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # B's events first, folded before A's: linking B to A then rewrites A's rows while A's
    # next page is read ahead, with no event of the page moved and no time zone changed.
    ordered = sorted(_events(), key=lambda event: event["learner"] != "B")
    reference, raced = _tenant(sqlite_engine), _tenant(sqlite_engine)
    for tenant in (reference, raced):
        ingest_events(sqlite_engine, tenant.scope, ordered, LIMITS, NOW)
    linked = _link_once_b_is_folded(monkeypatch, sqlite_engine, reference, race=False)
    catch_up(sqlite_engine, reference.tenant_id, page_size=2)
    raced_link = _link_once_b_is_folded(monkeypatch, sqlite_engine, raced, race=True)
    catch_up(sqlite_engine, raced.tenant_id, page_size=2)
    assert linked and raced_link
    assert _rollups(sqlite_engine, raced.tenant_id) == _rollups(sqlite_engine, reference.tenant_id)


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
