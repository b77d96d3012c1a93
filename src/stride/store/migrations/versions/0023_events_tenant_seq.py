"""The log: an index on (tenant_id, seq) for reads that follow a tenant's log from a cursor

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24

The analytics projection's "is this tenant behind?" probe, its pages, the webhook dispatcher,
the live-stream tail and the export pages all read `tenant_id = ? AND seq > ?`. Without this
index SQLite answered them from the (tenant_id, learner_key, event_time) index, reading every
event of the tenant (about 100 ms per analytics read at a million events); with it they are a
range scan from the cursor.
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_tenant_seq", "events", ["tenant_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_events_tenant_seq", table_name="events")
