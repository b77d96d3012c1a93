"""Migration 0025: SQLite stores the per-learner engagement rows in their key's order, and
keeps every row and index across the rebuild (and back)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, insert, select, text

from stride.store.database import create_db_engine
from stride.store.migrations import alembic_config, upgrade_database
from stride.store.tables import engagement_learner_periods, engagement_learner_spans

TABLES = ("engagement_learner_periods", "engagement_learner_spans")


def _layout(engine: Engine) -> dict[str, tuple[bool, list[str]]]:
    """table -> (stored WITHOUT ROWID, its index names)."""
    found = {}
    with engine.connect() as connection:
        for table in TABLES:
            create = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                {"t": table},
            ).scalar_one()
            indexes = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                    "AND sql IS NOT NULL ORDER BY name"
                ),
                {"t": table},
            ).scalars()
            found[table] = (create.rstrip().upper().endswith("WITHOUT ROWID"), list(indexes))
    return found


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        periods = connection.execute(select(engagement_learner_periods)).all()
        spans = connection.execute(select(engagement_learner_spans)).all()
    return sorted(tuple(row) for row in [*periods, *spans])


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_rebuild_keeps_every_row_and_index(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'stride.db'}")
    upgrade_database(engine, "0024")
    with engine.begin() as connection:
        connection.execute(
            insert(engagement_learner_periods),
            [
                {
                    "tenant_id": "t",
                    "learner_key": f"k{n}",
                    "kind": "day",
                    "period_start": date(2026, 1, 1 + n),
                    "dimension": "all",
                    "value": "",
                    "events": n + 1,
                    "activity_ms": 1000 * n,
                    "session_ms": 0,
                    "sessions": [f"s{n}"],
                }
                for n in range(5)
            ],
        )
        connection.execute(
            insert(engagement_learner_spans),
            [
                {
                    "tenant_id": "t",
                    "learner_key": "k1",
                    "kind": "week",
                    "dimension": "type",
                    "value": "activity.completed",
                    "first_start": date(2026, 1, 5),
                    "last_start": date(2026, 2, 2),
                }
            ],
        )
    before_rows, before_layout = _rows(engine), _layout(engine)
    assert all(not clustered for clustered, _ in before_layout.values())

    upgrade_database(engine)
    after = _layout(engine)
    assert all(clustered for clustered, _ in after.values())
    assert {t: names for t, (_, names) in after.items()} == {
        t: names for t, (_, names) in before_layout.items()
    }
    assert _rows(engine) == before_rows

    _downgrade(engine, "0024")
    assert _layout(engine) == before_layout
    assert _rows(engine) == before_rows
    engine.dispose()
