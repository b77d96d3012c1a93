"""xAPI: the statement a StatementRef object targets (xapi_statements.refers_to)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24

A query matches a statement whose object is a StatementRef when the statement it targets
matches (the spec's filter rule for StatementRefs). The column is set as statements are stored;
a partial index lists the few statements that have one.

It also indexes statements by (tenant_id, seq): a query without filters, the commonest, read
every statement of the tenant from the stored-time index and sorted them on SQLite; it is now
a range scan from the page's cursor.

Statements stored before this revision are sealed with their tenant's key, which a migration
does not hold: the voiding ones are filled from their clear `voids` column, other StatementRef
objects stored earlier stay unindexed (their statements match on their own content only).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

HAS_TARGET = sa.text("refers_to IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_xapi_statements_tenant_seq", "xapi_statements", ["tenant_id", "seq"])
    op.add_column("xapi_statements", sa.Column("refers_to", sa.String(length=36), nullable=True))
    op.execute("UPDATE xapi_statements SET refers_to = voids WHERE voids IS NOT NULL")
    op.create_index(
        "ix_xapi_statements_refers",
        "xapi_statements",
        ["tenant_id", "seq"],
        sqlite_where=HAS_TARGET,
        postgresql_where=HAS_TARGET,
    )


def downgrade() -> None:
    op.drop_index("ix_xapi_statements_refers", table_name="xapi_statements")
    op.drop_index("ix_xapi_statements_tenant_seq", table_name="xapi_statements")
    with op.batch_alter_table("xapi_statements") as batch:
        batch.drop_column("refers_to")
