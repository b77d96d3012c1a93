"""certificates: tenant signing keys, issued credentials, revocation status lists

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.store.row_security import enable_tenant_isolation

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Keys are not backfilled: sealing needs the master key, which migrations do not hold;
    # a tenant's first issuance makes its key inside the issuing write transaction.
    op.create_table(
        "tenant_signing_keys",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("kid", sa.String(length=128), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("private_jwk", sa.String(length=512), nullable=False),
        sa.Column("public_jwk", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "kid", name=op.f("pk_tenant_signing_keys")),
    )
    op.create_table(
        "credentials",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=256), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("verification_code", sa.String(length=16), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "credential_id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("verification_code", name=op.f("uq_credentials_verification_code")),
    )
    op.create_index(
        "ix_credentials_learner", "credentials", ["tenant_id", "learner_key", "program_id"]
    )
    op.create_table(
        "credential_status_lists",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "list_id", name=op.f("pk_credential_status_lists")),
    )
    for table in ("tenant_signing_keys", "credentials", "credential_status_lists"):
        enable_tenant_isolation(table)


def downgrade() -> None:
    op.drop_table("credential_status_lists")
    op.drop_index("ix_credentials_learner", table_name="credentials")
    op.drop_table("credentials")
    op.drop_table("tenant_signing_keys")
