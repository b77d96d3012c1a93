"""Remove all learner activity of a tenant (the demo tenant is refreshed this way)."""

from __future__ import annotations

from sqlalchemy import Connection

from stride.store.tables import api_keys, metadata, tenants

_TENANT_TABLES = {tenants.name, api_keys.name}


def purge_tenant_activity(connection: Connection, tenant_id: str) -> None:
    """Delete every row tied to the tenant's learners, keeping the tenant and its keys.

    Walks the metadata so tables added by later capabilities are covered without a list.
    """
    for table in reversed(metadata.sorted_tables):
        if table.name not in _TENANT_TABLES and "tenant_id" in table.c:
            connection.execute(table.delete().where(table.c.tenant_id == tenant_id))
