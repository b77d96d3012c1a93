"""achievements and points: learner display handles, weekly points

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.store.row_security import enable_tenant_isolation

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("display_handle", sa.String(length=64), nullable=True))
    op.create_table(
        "learner_points",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_key", "week", name=op.f("pk_learner_points")),
    )
    op.create_index("ix_learner_points_week", "learner_points", ["tenant_id", "week", "points"])
    enable_tenant_isolation("learner_points")
    op.create_table(
        "learner_achievements",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("achievement_id", sa.String(length=64), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "achievement_id", name=op.f("pk_learner_achievements")
        ),
    )
    op.create_table(
        "learner_counters",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("counter", sa.String(length=400), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "counter", name=op.f("pk_learner_counters")
        ),
    )
    op.create_table(
        "achievement_celebrations",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("achievement_id", sa.String(length=64), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "learner_key",
            "achievement_id",
            name=op.f("pk_achievement_celebrations"),
        ),
    )
    for table in ("learner_achievements", "learner_counters", "achievement_celebrations"):
        enable_tenant_isolation(table)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def downgrade() -> None:
    for table in ("achievement_celebrations", "learner_counters", "learner_achievements"):
        op.drop_table(table)
    op.drop_table("learner_points")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("display_handle")
