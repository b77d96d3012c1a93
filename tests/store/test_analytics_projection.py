"""The analytics projection folds the log beside ingest: nothing in ingest's transaction,
every event exactly once however the log is paged, and the cursor at the log's end."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from stride.analytics.projection_job import catch_up, catch_up_all
from stride.ingest.pipeline import ingest_events
from stride.store.analytics_cursor import current_cursor
from stride.store.tables import events
from tests.fixtures.tenant import TenantUnderTest
from tests.store.test_analytics_engagement import LIMITS, NOW, _events, _rollups, _tenant


def _ingest_only(engine: Engine, tenant: TenantUnderTest, sent: list[dict[str, Any]]) -> None:
    ingest_events(engine, tenant.scope, sent, LIMITS, NOW)


def test_ingest_leaves_the_rollups_to_the_projection(engine: Engine) -> None:
    tenant = _tenant(engine)
    _ingest_only(engine, tenant, _events())
    assert not any(_rollups(engine, tenant.tenant_id).values())  # nothing folded in ingest
    folded = catch_up(engine, tenant.tenant_id)
    assert folded == len(_events())
    assert any(_rollups(engine, tenant.tenant_id).values())
    assert catch_up(engine, tenant.tenant_id) == 0  # caught up: no second fold
    with engine.connect() as connection:
        last = connection.execute(
            select(func.max(events.c.seq)).where(events.c.tenant_id == tenant.tenant_id)
        ).scalar_one()
        assert current_cursor(connection, tenant.tenant_id) == last


def test_any_paging_folds_each_event_once(engine: Engine) -> None:
    whole, paged = _tenant(engine), _tenant(engine)
    sent = _events()
    for tenant in (whole, paged):
        _ingest_only(engine, tenant, sent[:7])
    catch_up(engine, whole.tenant_id)
    catch_up(engine, paged.tenant_id, page_size=3)  # 7 events in pages of 3
    for tenant in (whole, paged):
        _ingest_only(engine, tenant, sent[7:])
    assert catch_up_all(engine, [whole.tenant_id, paged.tenant_id]) == 2 * len(sent[7:])
    assert _rollups(engine, whole.tenant_id) == _rollups(engine, paged.tenant_id)
