"""SQLite: per-learner read-model tables stored in their key's order (WITHOUT ROWID)

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-24

Ingest and the analytics projection read and rewrite each learner's rows of these tables by a
range of their primary key (tenant, learner, ...). In an ordinary SQLite table the key is an
index beside the rows, which lie in the order they were first written: one learner's rows are
scattered over many pages, and every row costs a probe of the index and a second of the
table. Stored WITHOUT ROWID, the table is the key's B-tree, so a learner's rows lie together
and are read and written as one stretch. PostgreSQL keeps its tables as they are.

SQLite cannot change this in place: each table is copied into a new one and renamed back,
with its indexes made again. That takes a while on a large database (a minute or so per few
million rows); `stride db upgrade` runs it once.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TABLES = (
    "engagement_learner_periods",
    "engagement_learner_spans",
)


def upgrade() -> None:
    for table in TABLES:
        _rebuild(table, without_rowid=True)


def downgrade() -> None:
    for table in TABLES:
        _rebuild(table, without_rowid=False)


def _rebuild(table: str, *, without_rowid: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    create = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    indexes = (
        bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = :name AND sql IS NOT NULL"
            ),
            {"name": table},
        )
        .scalars()
        .all()
    )
    staged = f"{table}__rebuilt"
    body = re.sub(r"\s*WITHOUT\s+ROWID\s*$", "", create.strip(), flags=re.IGNORECASE)
    body = re.sub(
        r'^CREATE TABLE\s+"?' + re.escape(table) + '"?', f"CREATE TABLE {staged}", body, count=1
    )
    op.execute(body + (" WITHOUT ROWID" if without_rowid else ""))
    op.execute(f"INSERT INTO {staged} SELECT * FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {staged} RENAME TO {table}")
    for index in indexes:
        op.execute(index)
