"""Apply Stride's Alembic migrations programmatically (`stride db upgrade`, `stride serve`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from stride.store.partitions import maintain_partitions

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        # The months ahead of the partitioned log (PostgreSQL), as every start refreshes them.
        maintain_partitions(connection)
