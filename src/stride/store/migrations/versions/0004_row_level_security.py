"""row-level security: each tenant-owned table shows a request only its own tenant's rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

PostgreSQL only (SQLite has no RLS; there the tenant filter in every query is the one wall).
A policy lets a row through when the transaction-local setting `stride.tenant_id` is unset or
empty (operator mode: CLI, migrations, authentication, the audit writer) or equals the row's
tenant. The API sets it per transaction (store/database.py, store/tenant_context.py).

FORCE makes the policies bind the tables' owner too; superusers and BYPASSRLS roles still
skip them, so Stride must connect as an ordinary role for this wall to stand.

A later migration that adds a tenant-owned table must call
`stride.store.row_security.enable_tenant_isolation` on it; tests/store/test_row_level_security.py
fails until it does.
"""

from __future__ import annotations

from alembic import op

from stride.store.row_security import POLICY, enable_tenant_isolation

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# Written out, not read from tables.py: a migration must not change when the tables do.
TENANT_COLUMNS = {
    "tenants": "id",
    "api_keys": "tenant_id",
    "events": "tenant_id",
    "learners": "tenant_id",
    "learner_stats": "tenant_id",
    "learner_activities": "tenant_id",
    "learner_days": "tenant_id",
    "catalogs": "tenant_id",
    "skill_parameters": "tenant_id",
    "learner_skills": "tenant_id",
    "learner_enrollments": "tenant_id",
    "tenant_policies": "tenant_id",
    "learner_consents": "tenant_id",
    "consent_history": "tenant_id",
    "audit_log": "tenant_id",
    "pii_findings": "tenant_id",
    "retention_runs": "tenant_id",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TENANT_COLUMNS.items():
        enable_tenant_isolation(table, column)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_COLUMNS:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
