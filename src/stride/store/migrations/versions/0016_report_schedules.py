"""report schedules: saved report definitions and their runs

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.store.row_security import enable_tenant_isolation

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report_definitions",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("cron", sa.String(length=200), nullable=True),
        sa.Column("delivery", JSON, nullable=True),
        sa.Column("secret", sa.String(length=512), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_report_definitions")),
    )
    op.create_table(
        "report_runs",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", _instant(), nullable=False),
        sa.Column("started_at", _instant(), nullable=False),
        sa.Column("finished_at", _instant(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _instant(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("output_path", sa.String(length=1024), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint(
            "tenant_id",
            "report_id",
            "scheduled_for",
            name=op.f("uq_report_runs_tenant_id_report_id_scheduled_for"),
        ),
    )
    op.create_index(
        "ix_report_runs_report", "report_runs", ["tenant_id", "report_id", "scheduled_for"]
    )
    op.create_index("ix_report_runs_due", "report_runs", ["status", "next_attempt_at"])
    for table in ("report_definitions", "report_runs"):
        enable_tenant_isolation(table)


def downgrade() -> None:
    op.drop_table("report_runs")
    op.drop_table("report_definitions")
