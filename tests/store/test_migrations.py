from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from stride.store.migrations import upgrade_database
from stride.store.tables import metadata


def test_migrations_build_exactly_the_declared_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade_database(engine)
    upgrade_database(engine)
