"""analytics: engagement, retention, lifecycle, usage and metric rollups

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.store.row_security import enable_tenant_isolation

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TABLES = (
    "engagement_learner_periods",
    "engagement_learner_spans",
    "engagement_counts",
    "engagement_rolling",
    "retention_counts",
)
# Partial indexes of counter rows that came to zero (deleted after each batch).
_ZERO = {
    "engagement_counts": (
        "learners = 0 AND new_learners = 0 AND continuing = 0 AND events = 0 AND active_ms = 0 "
        "AND sessions = 0"
    ),
    "engagement_rolling": "learners = 0",
    "retention_counts": "learners = 0",
}


def _text(length: int) -> sa.String:
    return sa.String(length=length)


def upgrade() -> None:
    op.create_table(
        "engagement_learner_periods",
        sa.Column("tenant_id", _text(36), nullable=False),
        sa.Column("learner_key", _text(64), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("dimension", _text(16), nullable=False),
        sa.Column("value", _text(256), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("activity_ms", sa.BigInteger(), nullable=False),
        sa.Column("session_ms", sa.BigInteger(), nullable=False),
        sa.Column("sessions", JSON, nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "learner_key",
            "kind",
            "period_start",
            "dimension",
            "value",
            name=op.f("pk_engagement_learner_periods"),
        ),
    )
    op.create_table(
        "engagement_learner_spans",
        sa.Column("tenant_id", _text(36), nullable=False),
        sa.Column("learner_key", _text(64), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("dimension", _text(16), nullable=False),
        sa.Column("value", _text(256), nullable=False),
        sa.Column("first_start", sa.Date(), nullable=False),
        sa.Column("last_start", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "learner_key",
            "kind",
            "dimension",
            "value",
            name=op.f("pk_engagement_learner_spans"),
        ),
    )
    op.create_table(
        "engagement_counts",
        sa.Column("tenant_id", _text(36), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("dimension", _text(16), nullable=False),
        sa.Column("value", _text(256), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("new_learners", sa.Integer(), nullable=False),
        sa.Column("continuing", sa.Integer(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("active_ms", sa.BigInteger(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "kind",
            "dimension",
            "value",
            "period_start",
            name=op.f("pk_engagement_counts"),
        ),
    )
    op.create_table(
        "engagement_rolling",
        sa.Column("tenant_id", _text(36), nullable=False),
        sa.Column("dimension", _text(16), nullable=False),
        sa.Column("value", _text(256), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "dimension",
            "value",
            "window_days",
            "day",
            name=op.f("pk_engagement_rolling"),
        ),
    )
    op.create_table(
        "retention_counts",
        sa.Column("tenant_id", _text(36), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("start_type", _text(80), nullable=False),
        sa.Column("return_type", _text(80), nullable=False),
        sa.Column("entry", _text(16), nullable=False),
        sa.Column("measure", _text(16), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        sa.Column("period_offset", sa.Integer(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "kind",
            "start_type",
            "return_type",
            "entry",
            "measure",
            "cohort",
            "period_offset",
            name=op.f("pk_retention_counts"),
        ),
    )
    op.create_index(
        "ix_engagement_counts_range",
        "engagement_counts",
        ["tenant_id", "kind", "dimension", "period_start"],
    )
    op.create_index(
        "ix_engagement_rolling_range", "engagement_rolling", ["tenant_id", "dimension", "day"]
    )
    for table, zero in _ZERO.items():
        where = sa.text(zero)
        op.create_index(
            f"ix_{table}_zero",
            table,
            ["tenant_id"],
            sqlite_where=where,
            postgresql_where=where,
        )
    for table in _TABLES:
        enable_tenant_isolation(table)


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
