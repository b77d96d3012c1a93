"""xAPI: the related activities and agents of each statement (related_activities/_agents)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24

Two side tables, one row per statement and related activity or agent (stride.xapi.related),
written with the statement. When a statement goes (its actor's erasure, a tenant's purge), a
trigger deletes its rows of other agents and of activities, on SQLite and PostgreSQL alike, so
no row is left pointing at a statement that is no more; the actor's own row is left to the
erasure, which deletes it by its learner key and counts it. Rows match their statement by seq
and statement id both.

Statements stored before this revision are sealed with their tenant's key, which a migration
does not hold: they are indexed under what their clear columns tell, their actor (a direct
agent) and their object activity, so the plain `agent` and `activity` filters find them as
before; their context activities, instructors, teams and group members are not indexed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stride.store.row_security import enable_tenant_isolation

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLES = ("xapi_related_activities", "xapi_related_agents")
TRIGGER = "xapi_statements_forget_related"
PG_FUNCTION = """
CREATE FUNCTION stride_forget_xapi_related() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM xapi_related_activities
    WHERE tenant_id = OLD.tenant_id AND seq = OLD.seq AND statement_id = OLD.statement_id;
    DELETE FROM xapi_related_agents
    WHERE tenant_id = OLD.tenant_id AND seq = OLD.seq AND statement_id = OLD.statement_id
        AND learner_key IS DISTINCT FROM OLD.learner_key;
    RETURN OLD;
END $$
"""
SQLITE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER DELETE ON xapi_statements FOR EACH ROW
BEGIN
    DELETE FROM xapi_related_activities
    WHERE tenant_id = OLD.tenant_id AND seq = OLD.seq AND statement_id = OLD.statement_id;
    DELETE FROM xapi_related_agents
    WHERE tenant_id = OLD.tenant_id AND seq = OLD.seq AND statement_id = OLD.statement_id
        AND learner_key IS NOT OLD.learner_key;
END
"""


def upgrade() -> None:
    op.create_table(
        "xapi_related_activities",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("activity_key", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "seq", "activity_key", name=op.f("pk_xapi_related_activities")
        ),
    )
    op.create_index(
        "ix_xapi_related_activities_key",
        "xapi_related_activities",
        ["tenant_id", "activity_key", "seq"],
    )
    op.create_table(
        "xapi_related_agents",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("direct", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "seq", "learner_key", name=op.f("pk_xapi_related_agents")
        ),
    )
    op.create_index(
        "ix_xapi_related_agents_key", "xapi_related_agents", ["tenant_id", "learner_key", "seq"]
    )
    op.create_index(
        "ix_xapi_related_agents_direct",
        "xapi_related_agents",
        ["tenant_id", "learner_key", "direct", "seq"],
    )
    op.execute(
        "INSERT INTO xapi_related_activities (tenant_id, seq, statement_id, activity_key) "
        "SELECT tenant_id, seq, statement_id, activity_key FROM xapi_statements "
        "WHERE activity_key IS NOT NULL"
    )
    op.execute(
        "INSERT INTO xapi_related_agents (tenant_id, seq, statement_id, learner_key, direct) "
        "SELECT tenant_id, seq, statement_id, learner_key, TRUE FROM xapi_statements "
        "WHERE learner_key IS NOT NULL"
    )
    for table in TABLES:
        enable_tenant_isolation(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON xapi_statements "
            "FOR EACH ROW EXECUTE FUNCTION stride_forget_xapi_related()"
        )
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON xapi_statements")
        op.execute("DROP FUNCTION IF EXISTS stride_forget_xapi_related()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    for table in reversed(TABLES):
        op.drop_table(table)
