"""A tenant with the demo curriculum's catalog, for the benchmarks that write in-process."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from stride.catalog import load_catalog_text
from stride.catalog.service import apply_catalog
from stride.demo.service import DEMO_CATALOG
from stride.store.tenants import TenantRow, get_tenant
from stride.tenancy.service import create_tenant


def demo_tenant(engine: Engine) -> TenantRow:
    """A new tenant whose catalog is the demo curriculum, so every read model is updated."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        tenant = get_tenant(connection, create_tenant(connection, "bench", now).tenant_id)
    assert tenant is not None
    catalog = load_catalog_text(DEMO_CATALOG.read_bytes(), filename=DEMO_CATALOG.name)
    apply_catalog(engine, tenant.id, catalog, now)
    return tenant
