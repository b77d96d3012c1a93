"""The PostgreSQL row-level security policy every tenant-owned table carries (migration 0004
and every later migration that adds such a table call `enable_tenant_isolation`).

A row is visible, and may be written, when the transaction-local setting `stride.tenant_id`
is unset or empty (operator mode: CLI, migrations, authentication, the audit writer) or
equals the row's tenant. Kept here, apart from the migrations, so the statement exists once.
"""

from __future__ import annotations

from alembic import op

POLICY = "tenant_isolation"


def visible_when(column: str) -> str:
    # missing_ok = true: NULL when the setting was never defined in this session.
    setting = "current_setting('stride.tenant_id', true)"
    return f"(coalesce({setting}, '') = '' OR {column} = {setting})"


def enable_tenant_isolation(table: str, column: str = "tenant_id") -> None:
    """Enable and force RLS on `table` with the tenant policy; a no-op off PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    visible = visible_when(column)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON {table} USING {visible} WITH CHECK {visible}")
