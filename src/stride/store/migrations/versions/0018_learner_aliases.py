"""Learner aliases: several platform ids of one learner

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_aliases",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("alias_key", sa.String(length=64), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("alias_sealed", sa.Text(), nullable=False),
        sa.Column("learner_sealed", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "alias_key", name=op.f("pk_learner_aliases")),
    )
    op.create_index("ix_learner_aliases_learner", "learner_aliases", ["tenant_id", "learner_key"])
    enable_tenant_isolation("learner_aliases")
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("sent_as", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("sent_as")
    op.drop_table("learner_aliases")
