"""privacy: sealed tenant secrets, policies, consents, audit log, PII findings, retention runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.privacy.secrets import seal

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def _seal_tenant_secrets() -> None:
    """Seal the plain learner secrets stored so far, and give every tenant a signing key."""
    connection = op.get_bind()
    tenants = sa.table(
        "tenants", sa.column("id"), sa.column("learner_secret"), sa.column("signing_key")
    )
    for tenant_id, learner_secret in connection.execute(
        sa.select(tenants.c.id, tenants.c.learner_secret)
    ).all():
        connection.execute(
            tenants.update()
            .where(tenants.c.id == tenant_id)
            .values(learner_secret=seal(learner_secret), signing_key=seal(secrets.token_hex(32)))
        )


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("learner_secret", type_=sa.String(length=512), existing_nullable=False)
        batch.add_column(sa.Column("signing_key", sa.String(length=512), nullable=True))
    _seal_tenant_secrets()
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("signing_key", existing_type=sa.String(length=512), nullable=False)

    op.create_table(
        "tenant_policies",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_policies")),
    )
    op.create_table(
        "learner_consents",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "purpose", name=op.f("pk_learner_consents")
        ),
    )
    op.create_table(
        "consent_history",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_history")),
    )
    op.create_index(
        "ix_consent_history_learner",
        "consent_history",
        ["tenant_id", "learner_key", "seq"],
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_tenant_seq", "audit_log", ["tenant_id", "seq"])
    op.create_table(
        "pii_findings",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "kind", "action", name=op.f("pk_pii_findings")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("ran_at", INSTANT, nullable=False),
        sa.Column("cutoff", INSTANT, nullable=False),
        sa.Column("events_deleted", sa.Integer(), nullable=False),
        sa.Column("archive", sa.String(length=1024), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_retention_runs")),
    )
    op.create_index("ix_retention_runs_tenant_seq", "retention_runs", ["tenant_id", "seq"])


def downgrade() -> None:
    for table in (
        "retention_runs",
        "pii_findings",
        "audit_log",
        "consent_history",
        "learner_consents",
        "tenant_policies",
    ):
        op.drop_table(table)
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("signing_key")
