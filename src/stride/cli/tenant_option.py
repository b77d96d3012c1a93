"""The `--tenant ID` option of commands that act on one tenant, checked before any work."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from stride.errors import NotFound
from stride.store.tenants import get_tenant

TenantOption = typer.Option(..., "--tenant", help="The tenant id (`stride tenants list`)")


def check_tenant(engine: Engine, tenant_id: str) -> None:
    with engine.connect() as connection:
        if get_tenant(connection, tenant_id) is None:
            raise NotFound(f"No tenant with id {tenant_id!r}; `stride tenants list` shows them.")
