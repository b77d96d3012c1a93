"""xAPI: the content of statement attachments

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xapi_attachments",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("sha2", sa.String(length=128), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "statement_id", "sha2", name=op.f("pk_xapi_attachments")
        ),
    )
    op.create_index("ix_xapi_attachments_learner", "xapi_attachments", ["tenant_id", "learner_key"])
    enable_tenant_isolation("xapi_attachments")


def downgrade() -> None:
    op.drop_table("xapi_attachments")
