"""xAPI: State, Activity Profile and Agent Profile documents

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xapi_documents",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("doc_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("activity_key", sa.String(length=32), nullable=True),
        sa.Column("learner_key", sa.String(length=64), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "doc_key", name=op.f("pk_xapi_documents")),
    )
    op.create_index(
        "ix_xapi_documents_learner", "xapi_documents", ["tenant_id", "learner_key", "activity_key"]
    )
    op.create_index(
        "ix_xapi_documents_activity", "xapi_documents", ["tenant_id", "activity_key", "kind"]
    )
    enable_tenant_isolation("xapi_documents")


def downgrade() -> None:
    op.drop_table("xapi_documents")
