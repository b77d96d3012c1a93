"""data quality: ingest outcomes per period

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_outcomes",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=100), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "day",
            "status",
            "reason",
            "path",
            "message",
            name=op.f("pk_ingest_outcomes"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ingest_timing",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "series", "at", "bucket", name=op.f("pk_ingest_timing")
        ),
        sqlite_with_rowid=False,
    )
    for table in ("ingest_outcomes", "ingest_timing"):
        enable_tenant_isolation(table)


def downgrade() -> None:
    op.drop_table("ingest_timing")
    op.drop_table("ingest_outcomes")
