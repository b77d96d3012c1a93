"""Content rollups: partial indexes of the counter rows that came to zero

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24

The projection drops content_stats and content_buckets rows that came to zero after each batch.
It named the batch's keys in a row-value IN list, which SQLite answered by reading every row of
the tenant's table; with these indexes the zero rows are found by a probe, as the engagement
counters' are (0009).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ZERO = {
    "content_stats": (
        "starts = 0 AND completions = 0 AND scored = 0 AND score_micros = 0 AND passed = 0"
    ),
    "content_buckets": "learners = 0",
}


def upgrade() -> None:
    for table, zero in ZERO.items():
        where = sa.text(zero)
        op.create_index(
            f"ix_{table}_zero",
            table,
            ["tenant_id"],
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for table in ZERO:
        op.drop_index(f"ix_{table}_zero", table_name=table)
