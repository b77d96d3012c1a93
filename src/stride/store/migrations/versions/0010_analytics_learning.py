"""analytics: funnels, content, items and outcomes rollups

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stride.store.row_security import enable_tenant_isolation

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_USAGE_TABLES = (
    "usage_type_days",
    "usage_learner_marks",
    "usage_uniques",
    "usage_first_use",
    "metric_days",
    "metric_buckets",
    "funnel_steps",
)


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(length=36), nullable=False)


def _upgrade_usage() -> None:
    """Usage, metrics and funnels (docs/analytics-usage.md)."""
    op.create_table(
        "usage_type_days",
        _tenant(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "type", name=op.f("pk_usage_type_days")),
    )
    op.create_table(
        "usage_learner_marks",
        _tenant(),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("dim", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "type",
            "dim",
            "value",
            "period",
            "start",
            "learner_key",
            name=op.f("pk_usage_learner_marks"),
        ),
    )
    op.create_table(
        "usage_uniques",
        _tenant(),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("dim", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "type", "dim", "period", "start", "value", name=op.f("pk_usage_uniques")
        ),
    )
    op.create_table(
        "usage_first_use",
        _tenant(),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("first_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "type", name=op.f("pk_usage_first_use")
        ),
    )
    op.create_index("ix_usage_first_use_type", "usage_first_use", ["tenant_id", "type", "first_at"])
    cell = ("tenant_id", "type", "field", "dim", "day", "value")
    op.create_table(
        "metric_days",
        _tenant(),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("dim", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("sum_units", sa.BigInteger(), nullable=False),
        sa.Column("sum_micros", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(*cell, name=op.f("pk_metric_days")),
    )
    op.create_table(
        "metric_buckets",
        _tenant(),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("dim", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "type",
            "field",
            "dim",
            "period",
            "start",
            "value",
            "bucket",
            name=op.f("pk_metric_buckets"),
        ),
    )
    op.create_table(
        "funnel_steps",
        _tenant(),
        sa.Column("step", sa.String(length=340), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("times", JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "step", "learner_key", name=op.f("pk_funnel_steps")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_funnel_steps_learner", "funnel_steps", ["tenant_id", "learner_key"])
    for table in _USAGE_TABLES:
        enable_tenant_isolation(table)


def _downgrade_usage() -> None:
    for table in reversed(_USAGE_TABLES):
        op.drop_table(table)


_LEARNING_TABLES = (
    "learner_item_attempts",
    "learner_modules",
    "learner_meetings",
    "content_stats",
    "content_buckets",
    "item_stats",
)


def _learner(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=64), nullable=False)


def _upgrade_learning() -> None:
    """Content, items, coaching and outcomes (docs/analytics-learning.md)."""
    op.create_table(
        "learner_item_attempts",
        _tenant(),
        _learner("learner_key"),
        sa.Column("activity_id", sa.String(length=256), nullable=False),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("first_at", _instant(), nullable=False),
        sa.Column("first_event", sa.String(length=36), nullable=False),
        sa.Column("first_score", sa.Float(), nullable=True),
        sa.Column("first_correct", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "activity_id", name=op.f("pk_learner_item_attempts")
        ),
    )
    op.create_table(
        "learner_modules",
        _tenant(),
        _learner("learner_key"),
        sa.Column("module_id", sa.String(length=256), nullable=False),
        sa.Column("items_started", sa.Integer(), nullable=False),
        sa.Column("required_done", sa.Integer(), nullable=False),
        sa.Column("time_spent_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_item", sa.String(length=256), nullable=False),
        sa.Column("last_seen", _instant(), nullable=False),
        sa.Column("last_event", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "module_id", name=op.f("pk_learner_modules")
        ),
    )
    op.create_table(
        "learner_meetings",
        _tenant(),
        _learner("learner_key"),
        sa.Column("meeting_id", sa.String(length=256), nullable=False),
        sa.Column("uploaded_at", _instant(), nullable=True),
        sa.Column("analyzed_at", _instant(), nullable=True),
        sa.Column("failed_at", _instant(), nullable=True),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_key", "meeting_id", name=op.f("pk_learner_meetings")
        ),
    )
    op.create_index(
        "ix_learner_meetings_uploaded", "learner_meetings", ["tenant_id", "uploaded_at"]
    )
    op.create_table(
        "content_stats",
        _tenant(),
        sa.Column("activity_id", sa.String(length=256), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("starts", sa.Integer(), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("score_micros", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "activity_id", "level", name=op.f("pk_content_stats")),
    )
    op.create_table(
        "content_buckets",
        _tenant(),
        sa.Column("activity_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=256), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "activity_id", "kind", "bucket", name=op.f("pk_content_buckets")
        ),
    )
    op.create_table(
        "item_stats",
        _tenant(),
        sa.Column("activity_id", sa.String(length=256), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("graded", sa.BigInteger(), nullable=False),
        sa.Column("correct", sa.BigInteger(), nullable=False),
        sa.Column("first_correct", sa.Integer(), nullable=False),
        sa.Column("first_score_micros", sa.BigInteger(), nullable=False),
        sa.Column("pb_n", sa.Integer(), nullable=False),
        sa.Column("pb_x", sa.BigInteger(), nullable=False),
        sa.Column("pb_y", sa.BigInteger(), nullable=False),
        sa.Column("pb_xy", sa.BigInteger(), nullable=False),
        sa.Column("pb_yy", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "activity_id", name=op.f("pk_item_stats")),
    )
    for table in _LEARNING_TABLES:
        enable_tenant_isolation(table)


def _downgrade_learning() -> None:
    for table in reversed(_LEARNING_TABLES):
        op.drop_table(table)


def upgrade() -> None:
    _upgrade_usage()
    _upgrade_learning()


def downgrade() -> None:
    _downgrade_learning()
    _downgrade_usage()
