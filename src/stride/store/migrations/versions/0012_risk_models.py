"""at-risk: fitted dropout-risk models per tenant

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.store.row_security import enable_tenant_isolation

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_models",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("auc", sa.Float(), nullable=False),
        sa.Column("brier", sa.Float(), nullable=False),
        sa.Column("floor", sa.Float(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("model", JSON, nullable=False),
        sa.Column("evaluation", JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_risk_models")),
    )
    enable_tenant_isolation("risk_models")


def downgrade() -> None:
    op.drop_table("risk_models")
