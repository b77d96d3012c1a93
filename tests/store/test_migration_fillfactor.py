"""Migration 0027: PostgreSQL leaves room on the pages of the tables updated in place, so
their updates can stay on the page (HOT) without writing index entries."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, text

import stride.store
from stride.store.tables import metadata

pytestmark = pytest.mark.postgres


def _migration() -> ModuleType:
    path = Path(stride.store.__file__).parent / "migrations/versions/0027_rollup_fillfactor.py"
    spec = importlib.util.spec_from_file_location("rollup_fillfactor", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIGRATION = _migration()


def _fillfactors(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, o.option_value FROM pg_class AS c "
                "LEFT JOIN pg_options_to_table(c.reloptions) AS o ON o.option_name = 'fillfactor' "
                "WHERE c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace"
            )
        ).all()
    return dict(rows)


def test_tables_updated_in_place_leave_room_on_their_pages(postgres_engine: Engine) -> None:
    fillfactors = _fillfactors(postgres_engine)
    for table in MIGRATION.UPDATED_IN_PLACE:
        assert table in metadata.tables, table
        assert fillfactors[table] == str(MIGRATION.FILLFACTOR), table
    # Append-only tables keep their pages full.
    assert fillfactors["event_ids"] is None
    assert fillfactors["usage_learner_marks"] is None
