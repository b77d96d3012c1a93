"""achievements and points: learner display handles, weekly points

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

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
    _row_level_security("learner_points")


def _row_level_security(table: str) -> None:
    """The tenant policy of migration 0004, for a table added after it."""
    if op.get_bind().dialect.name != "postgresql":
        return
    visible = (
        "coalesce(current_setting('stride.tenant_id', true), '') = '' "
        "OR tenant_id = current_setting('stride.tenant_id', true)"
    )
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} USING ({visible}) WITH CHECK ({visible})"
    )


def downgrade() -> None:
    op.drop_table("learner_points")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("display_handle")
