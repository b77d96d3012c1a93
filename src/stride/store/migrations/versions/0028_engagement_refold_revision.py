"""Count, per tenant, the deletions of engagement rows (SQLite)

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-25

On SQLite the analytics projection works out a page's engagement fold before taking the write
lock (analytics/projection_job.py), and must then know whether the rows it read are still
what the database holds. The projection's own folds only add and update rows, and move the
cursor; every other change (a learner's refold after an alias or a time-zone change, an
erasure, a rebuild) deletes the learner's rows first. So a counter that every deletion of
engagement rows or spans moves, read with the cursor before and under the lock, tells the
projection that nothing changed without reading the windows again. Triggers keep it, whatever
code deletes the rows. PostgreSQL folds inside its transaction and keeps the column at 0.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TRIGGERED = ("engagement_learner_periods", "engagement_learner_spans")


def upgrade() -> None:
    with op.batch_alter_table("analytics_cursors") as batch:
        batch.add_column(sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"))
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
    with op.batch_alter_table("analytics_cursors") as batch:
        batch.drop_column("revision")
