"""Engagement: per-learner rollups indexed by group, for a program's cohorts

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The primary keys start with learner_key; a program's retention reads every learner of
    # one (dimension, value, kind) group in a range of periods (store/retention_program.py).
    # The group leads, so no per-learner read of the projection can take these instead.
    op.create_index(
        "ix_engagement_learner_periods_group",
        "engagement_learner_periods",
        ["tenant_id", "dimension", "value", "kind", "period_start"],
    )
    op.create_index(
        "ix_engagement_learner_spans_group",
        "engagement_learner_spans",
        ["tenant_id", "dimension", "value", "kind", "first_start"],
    )


def downgrade() -> None:
    op.drop_index("ix_engagement_learner_spans_group", table_name="engagement_learner_spans")
    op.drop_index("ix_engagement_learner_periods_group", table_name="engagement_learner_periods")
