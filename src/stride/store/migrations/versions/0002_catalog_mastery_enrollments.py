"""catalogs, fitted skill parameters, learner skills and enrollments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "catalogs",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mastery_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_catalogs")),
    )
    op.create_table(
        "skill_parameters",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("skill_id", sa.String(length=256), nullable=False),
        sa.Column("prior", sa.Float(), nullable=False),
        sa.Column("learn", sa.Float(), nullable=False),
        sa.Column("guess", sa.Float(), nullable=False),
        sa.Column("slip", sa.Float(), nullable=False),
        sa.Column("forget", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "skill_id", name=op.f("pk_skill_parameters")),
    )
    op.create_table(
        "learner_skills",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("skill_id", sa.String(length=256), nullable=False),
        sa.Column("p_mastery", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_event", sa.String(length=36), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recent", JSON, nullable=False),
        sa.Column("weekly", JSON, nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "skill_id", name=op.f("pk_learner_skills")
        ),
    )
    op.create_table(
        "learner_enrollments",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=256), nullable=False),
        sa.Column("activity_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_event", sa.String(length=36), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_change_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_change_event", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "activity_id", name=op.f("pk_learner_enrollments")
        ),
    )


def downgrade() -> None:
    op.drop_table("learner_enrollments")
    op.drop_table("learner_skills")
    op.drop_table("skill_parameters")
    op.drop_table("catalogs")
