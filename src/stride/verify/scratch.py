"""A scratch copy of one tenant's inputs (its log and settings), to rebuild read models in
without touching the live ones.

PostgreSQL: a schema of its own inside the caller's transaction, filled with INSERT ... SELECT
from the live tables and dropped with everything else when that transaction rolls back.
SQLite: a temporary database file next to nothing, deleted afterwards.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, select, text
from sqlalchemy.exc import ProgrammingError

from stride.errors import ConfigurationError
from stride.store.database import create_db_engine
from stride.store.tables import READ_MODELS, analytics_cursors, metadata, tenants
from stride.store.transactions import write_transaction

# Tables the refold neither reads nor needs: logs of deliveries, requests and audits, and the
# xAPI documents. Everything else of the tenant (its events, learners, catalog, policy,
# consents, fitted parameters...) is copied, so the rebuild sees what the live one would.
NOT_COPIED = frozenset(
    {
        "audit_log",
        "webhook_deliveries",
        "ingest_outcomes",
        "ingest_timing",
        "xapi_statements",
        "xapi_documents",
        "xapi_attachments",
        "xapi_related_activities",
        "xapi_related_agents",
        "report_runs",
    }
)
_CHUNK = 5000


def copied_tables() -> list[Table]:
    """The tenant's tables a rebuild starts from, in dependency order."""
    skipped = {t.name for t in READ_MODELS} | {analytics_cursors.name} | NOT_COPIED
    return [
        t
        for t in metadata.sorted_tables
        if t.name not in skipped and ("tenant_id" in t.c or t is tenants)
    ]


def _tenant_filter(table: Table) -> str:
    return "id" if table is tenants else "tenant_id"


@contextmanager
def postgres_scratch(connection: Connection, tenant_id: str) -> Iterator[Connection]:
    """Switch the caller's transaction to a fresh schema holding a copy of the tenant's inputs.

    Unqualified names (SQLAlchemy tables and text queries alike) resolve through search_path,
    so every repository writes to the scratch tables. The caller must roll back afterwards.
    """
    quote = connection.dialect.identifier_preparer.quote
    live = quote(str(connection.execute(text("SELECT current_schema()")).scalar_one()))
    scratch = quote(f"stride_verify_{uuid.uuid4().hex[:12]}")
    try:
        with connection.begin_nested():
            connection.execute(text(f"CREATE SCHEMA {scratch}"))
    except ProgrammingError as exc:  # no CREATE right on the database
        raise ConfigurationError(
            "stride verify rebuilds in a schema of its own, which this database role may not "
            "create; run it with the role that owns Stride's tables (the one migrations use)."
        ) from exc
    connection.execute(text(f"SET LOCAL search_path TO {scratch}"))
    metadata.create_all(connection)
    for table in copied_tables():
        columns = ", ".join(quote(c.name) for c in table.c)
        name = quote(table.name)
        connection.execute(
            text(
                f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {live}.{name} "
                f"WHERE {_tenant_filter(table)} = :tenant"
            ),
            {"tenant": tenant_id},
        )
    yield connection


@contextmanager
def sqlite_scratch(connection: Connection, tenant_id: str) -> Iterator[Connection]:
    """A temporary SQLite database with a copy of the tenant's inputs, read through the
    caller's (snapshot) connection; yields a write transaction on it."""
    with tempfile.TemporaryDirectory(prefix="stride-verify-") as directory:
        engine = create_db_engine(f"sqlite:///{Path(directory) / 'scratch.db'}")
        try:
            metadata.create_all(engine)
            with write_transaction(engine) as scratch:
                for table in copied_tables():
                    column = table.c[_tenant_filter(table)]
                    rows = connection.execute(select(table).where(column == tenant_id))
                    while chunk := rows.fetchmany(_CHUNK):
                        values: list[dict[str, Any]] = [dict(row._mapping) for row in chunk]
                        scratch.execute(insert(table), values)
                yield scratch
        finally:
            engine.dispose()
