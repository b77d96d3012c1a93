"""goals streaks leaderboards: learner goals and the days streak freezes bridged

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_goals",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("goal_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.Column("module", sa.String(length=256), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_event", sa.String(length=36), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_event", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "goal_id", name=op.f("pk_learner_goals")
        ),
    )
    op.create_table(
        "learner_streak_freezes",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "day", name=op.f("pk_learner_streak_freezes")
        ),
    )
    enable_tenant_isolation("learner_goals")
    enable_tenant_isolation("learner_streak_freezes")


def downgrade() -> None:
    op.drop_table("learner_streak_freezes")
    op.drop_table("learner_goals")
