"""Count, per tenant, the deletions of usage markers, first uses and funnel times (SQLite)

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-25

On SQLite the analytics projection now also works out a page's usage fold before taking the
write lock (analytics/projection_job.py): which of its unique-learner markers are new, and
its first uses and funnel times merged with the stored ones. Those rows, like the engagement
rows of 0028, change only by the projection's own folds (which move the cursor) or by a
deletion first (a learner's refold after an alias, an erasure, a rebuild). Triggers move the
same per-tenant revision on their deletions, so an unchanged cursor and revision tell the
projection that what it read still holds. PostgreSQL folds inside its transaction.
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TRIGGERED = ("usage_learner_marks", "usage_first_use", "funnel_steps")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TRIGGERED:
        op.execute(
            f"CREATE TRIGGER {table}_deleted AFTER DELETE ON {table} "
            "BEGIN UPDATE analytics_cursors SET revision = revision + 1 "
            "WHERE tenant_id = OLD.tenant_id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TRIGGERED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_deleted")
