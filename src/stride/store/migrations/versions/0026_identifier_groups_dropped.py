"""Drop the usage and metrics rollups' groups of xAPI statement ids and registrations

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-24

Each such group held one statement, or one learner's attempt (stride.analytics.metrics_fields
IDENTIFIER_PATHS): the projection no longer rolls them up. A rollup row of a group holds only
that group's events, so deleting them leaves the rollups as folding the log again would.
Downgrading does not bring them back (`stride rebuild` on the older version would).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TABLES = ("usage_learner_marks", "usage_uniques", "metric_days", "metric_buckets")
DIMS = ("properties.xapi.statement", "properties.xapi.registration")


def upgrade() -> None:
    for table in TABLES:
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE dim IN (:statement, :registration)").bindparams(
                statement=DIMS[0], registration=DIMS[1]
            )
        )


def downgrade() -> None:
    pass  # the groups are not rolled up again
