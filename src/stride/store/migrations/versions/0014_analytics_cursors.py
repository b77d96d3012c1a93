"""analytics cursors: where each tenant's engagement and usage projection stands in the log

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_cursors",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_analytics_cursors")),
    )
    enable_tenant_isolation("analytics_cursors")
    # Rollups folded at ingest before this revision hold every stored event already.
    op.execute(
        "INSERT INTO analytics_cursors (tenant_id, seq) "
        "SELECT tenant_id, MAX(seq) FROM events GROUP BY tenant_id"
    )


def downgrade() -> None:
    op.drop_table("analytics_cursors")
