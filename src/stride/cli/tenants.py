"""`stride tenants`: create and list tenants."""

from __future__ import annotations

import typer
from rich.table import Table

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.clock import utc_now
from stride.store.tenants import list_tenants
from stride.tenancy.service import create_tenant

app = typer.Typer(help="Create and list tenants.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="A unique name"), as_json: bool = JsonOption
) -> None:
    """Create a tenant; prints its id and an admin API key (shown only once)."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.begin() as connection:
            created = create_tenant(connection, name, utc_now())
    emit(
        as_json,
        {
            "tenant_id": created.tenant_id,
            "name": created.name,
            "key_id": created.key_id,
            "role": "admin",
            "api_key": created.api_key,
        },
        lambda: console.print(
            f"Created tenant [bold]{created.name}[/] with id [cyan]{created.tenant_id}[/]\n"
            f"Admin API key (shown only once, keep it safe): [green]{created.api_key}[/]",
            soft_wrap=True,
        ),
    )


@app.command("list")
def list_all(as_json: bool = JsonOption) -> None:
    """List tenants."""
    engine = open_engine()
    with engine.connect() as connection:
        rows = list_tenants(connection)

    def table() -> None:
        out = Table("id", "name", "created")
        for row in rows:
            out.add_row(row.id, row.name, row.created_at.isoformat(timespec="seconds"))
        console.print(out)

    emit(
        as_json,
        {
            "tenants": [
                {"tenant_id": r.id, "name": r.name, "created_at": r.created_at} for r in rows
            ]
        },
        table,
    )
