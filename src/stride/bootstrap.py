"""The composition root for the CLI: settings -> engine (migrated when asked)."""

from __future__ import annotations

from sqlalchemy import Engine

from stride.config import Settings, get_settings
from stride.store.database import create_db_engine
from stride.store.migrations import upgrade_database


def open_engine(settings: Settings | None = None, migrate: bool = True) -> Engine:
    settings = settings or get_settings()
    engine = create_db_engine(settings.DATABASE_URL, settings.DB_POOL_SIZE)
    if migrate:
        upgrade_database(engine)
    return engine
