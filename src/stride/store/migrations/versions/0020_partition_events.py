"""PostgreSQL: the event log partitioned by month of receipt; event_ids keeps it unique

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24

A unique key of a partitioned table must include the partition key, so (tenant_id, event_id)
moves to `event_ids`, which ingest inserts into first (store/event_log.py); a trigger deletes
an event's id with the event (erasure, retention), as SQLite's unique index would forget it.
The log is copied into a new table `PARTITION BY RANGE (received_at)` with a partition per
month it holds, the next months (store/partitions.py), and a DEFAULT partition.

SQLite keeps its single events table and unique key; `event_ids` is created there too (one
schema), and stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.partitions import (
    DEFAULT_PARTITION,
    MONTHS_AHEAD,
    create_month,
    ensure_event_partitions,
    months_between,
    protect,
)
from stride.store.row_security import enable_tenant_isolation

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

COLUMNS = (
    "seq, tenant_id, event_id, learner_key, type, event_time, received_at, content_hash, "
    "payload, sent_as"
)
EVENT_COLUMNS = (
    "seq BIGINT NOT NULL DEFAULT nextval('events_seq_seq'), tenant_id VARCHAR(36) NOT NULL, "
    "event_id VARCHAR(36) NOT NULL, learner_key VARCHAR(64) NOT NULL, "
    "type VARCHAR(80) NOT NULL, event_time TIMESTAMP WITH TIME ZONE NOT NULL, "
    "received_at TIMESTAMP WITH TIME ZONE NOT NULL, content_hash VARCHAR(64) NOT NULL, "
    "payload JSONB NOT NULL, sent_as VARCHAR(64)"
)
FORGET_ID = """
CREATE FUNCTION stride_forget_event_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_ids WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id;
    RETURN OLD;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "event_ids",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name=op.f("pk_event_ids")),
    )
    enable_tenant_isolation("event_ids")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events RENAME TO events_unpartitioned")
    op.execute(f"CREATE TABLE events ({EVENT_COLUMNS}) PARTITION BY RANGE (received_at)")
    op.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF events DEFAULT")
    protect(bind, DEFAULT_PARTITION)
    span = bind.execute(
        sa.text("SELECT MIN(received_at), MAX(received_at) FROM events_unpartitioned")
    ).one()
    if span[0] is not None:
        for month in months_between(span[0].date(), span[1].date()):
            create_month(bind, month)
    ensure_event_partitions(bind, months_ahead=MONTHS_AHEAD)
    op.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_unpartitioned")
    op.execute(
        "INSERT INTO event_ids (tenant_id, event_id, content_hash) "
        "SELECT tenant_id, event_id, content_hash FROM events_unpartitioned"
    )
    op.execute("ALTER SEQUENCE events_seq_seq OWNED BY events.seq")
    op.execute("DROP TABLE events_unpartitioned")
    op.execute("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (seq, received_at)")
    op.create_index("ix_events_learner_time", "events", ["tenant_id", "learner_key", "event_time"])
    op.create_index("ix_events_tenant_type_seq", "events", ["tenant_id", "type", "seq"])
    op.create_index("ix_events_tenant_event", "events", ["tenant_id", "event_id"])
    enable_tenant_isolation("events")
    op.execute(FORGET_ID)
    op.execute(
        "CREATE TRIGGER events_forget_id AFTER DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION stride_forget_event_id()"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE events RENAME TO events_partitioned")
        op.execute("ALTER INDEX pk_events RENAME TO pk_events_partitioned")
        for index in ("ix_events_learner_time", "ix_events_tenant_type_seq"):
            op.execute(f"ALTER INDEX {index} RENAME TO {index}_partitioned")
        op.execute(
            f"CREATE TABLE events ({EVENT_COLUMNS}, "
            "CONSTRAINT pk_events PRIMARY KEY (seq), "
            "CONSTRAINT uq_events_tenant_id_event_id UNIQUE (tenant_id, event_id))"
        )
        op.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_partitioned")
        op.execute("ALTER SEQUENCE events_seq_seq OWNED BY events.seq")
        op.execute("DROP TABLE events_partitioned")
        op.execute("DROP FUNCTION IF EXISTS stride_forget_event_id()")
        op.create_index(
            "ix_events_learner_time", "events", ["tenant_id", "learner_key", "event_time"]
        )
        op.create_index("ix_events_tenant_type_seq", "events", ["tenant_id", "type", "seq"])
        enable_tenant_isolation("events")
    op.drop_table("event_ids")
