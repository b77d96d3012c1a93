"""xAPI: the Learning Record Store's statements

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_xapi_statements_learner": ["tenant_id", "learner_key", "seq"],
    "ix_xapi_statements_verb": ["tenant_id", "verb_key", "seq"],
    "ix_xapi_statements_activity": ["tenant_id", "activity_key", "seq"],
    "ix_xapi_statements_registration": ["tenant_id", "registration", "seq"],
    "ix_xapi_statements_stored": ["tenant_id", "stored"],
    "ix_xapi_statements_voids": ["tenant_id", "voids"],
}


def upgrade() -> None:
    op.create_table(
        "xapi_statements",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=True),
        sa.Column("verb_key", sa.String(length=32), nullable=False),
        sa.Column("activity_key", sa.String(length=32), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("voids", sa.String(length=36), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("stored", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_xapi_statements")),
        sa.UniqueConstraint(
            "tenant_id", "statement_id", name=op.f("uq_xapi_statements_tenant_id_statement_id")
        ),
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, "xapi_statements", columns)
    enable_tenant_isolation("xapi_statements")


def downgrade() -> None:
    op.drop_table("xapi_statements")
