"""Migration 0026: the rollups' groups of xAPI statement ids and registrations are dropped, and
every other group is kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import insert, select

from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database
from stride.store.tables import metric_buckets, metric_days, usage_learner_marks, usage_uniques

DIMS = ("properties.xapi.statement", "properties.xapi.registration", "properties.xapi.verb", "")
DAY = date(2026, 11, 2)


def test_identifier_groups_are_dropped_and_the_others_kept(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'stride.db'}")
    upgrade_database(engine, "0025")
    head = {"tenant_id": "t", "type": "activity.completed"}
    with engine.begin() as connection:
        for dim in DIMS:
            group = {**head, "dim": dim, "value": f"v-{dim}"}
            connection.execute(
                insert(usage_learner_marks),
                {**group, "period": "day", "start": DAY, "learner_key": "k"},
            )
            connection.execute(
                insert(usage_uniques), {**group, "period": "day", "start": DAY, "learners": 1}
            )
            cell = {**group, "field": "result.score", "day": DAY, "week": DAY, "month": DAY}
            connection.execute(
                insert(metric_days),
                {**cell, "count": 1, "sum_units": 0, "sum_micros": 5, "min": 0.5, "max": 0.5},
            )
            bucket = {**group, "field": "result.score", "period": "day", "start": DAY}
            connection.execute(insert(metric_buckets), {**bucket, "bucket": -70, "count": 1})

    upgrade_database(engine)

    with engine.connect() as connection:
        for table in (usage_learner_marks, usage_uniques, metric_days, metric_buckets):
            dims = connection.execute(select(table.c.dim).order_by(table.c.dim)).scalars().all()
            assert dims == ["", "properties.xapi.verb"], table.name
    engine.dispose()
