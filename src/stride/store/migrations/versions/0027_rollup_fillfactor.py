"""Leave room on PostgreSQL pages of the tables whose rows are updated in place

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-25

The read models and rollups are counters and states that every batch updates again. An
update is HOT on PostgreSQL (the new row version on the same page, no index entry written)
only while the page has room; with the default fillfactor of 100 pages are full, so most of
these updates wrote a new entry into every index of the table (measured: none of the
retention, engagement-count and content-bucket updates were HOT, about half of the others).
A fillfactor of 75 applies to pages written from now on. SQLite has no such setting.
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

FILLFACTOR = 75
UPDATED_IN_PLACE = (
    "learner_stats",
    "learner_days",
    "learner_activities",
    "learner_modules",
    "learner_counters",
    "learner_skills",
    "learner_item_attempts",
    "learner_points",
    "item_stats",
    "content_stats",
    "content_buckets",
    "engagement_learner_periods",
    "engagement_learner_spans",
    "engagement_counts",
    "engagement_rolling",
    "retention_counts",
    "funnel_steps",
    "usage_uniques",
    "usage_type_days",
    "metric_days",
    "metric_buckets",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in UPDATED_IN_PLACE:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in UPDATED_IN_PLACE:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
