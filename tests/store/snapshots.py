"""Read every read-model row of a tenant, for comparing incremental and rebuilt state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from stride.analytics.projection_job import catch_up
from stride.store.tables import READ_MODELS


def read_model_snapshot(engine: Engine, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
    # The engagement and usage rollups are folded after the fact: bring them up to date.
    catch_up(engine, tenant_id)
    snapshot = {}
    with engine.connect() as connection:
        for table in READ_MODELS:
            rows = connection.execute(
                select(table)
                .where(table.c.tenant_id == tenant_id)
                .order_by(*table.primary_key.columns)
            )
            snapshot[table.name] = [dict(row._mapping) for row in rows]
    return snapshot
