"""`stride achievements`: the achievement definitions in force for a tenant."""

from __future__ import annotations

import typer
from rich.table import Table

from stride.achievements.criteria import criteria_document
from stride.achievements.service import definitions_of
from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant

app = typer.Typer(help="Show a tenant's achievements.", no_args_is_help=True)


@app.command("list")
def list_(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """List the effective definitions: the catalog's, with Stride's defaults unless switched
    off; disabled ones are listed too, marked as such."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            definitions = definitions_of(connection, tenant)
    rows = [{**d.document(), "default": d.default} for d in definitions]

    def table() -> None:
        out = Table("id", "name", "type", "points", "criteria", "enabled", "default")
        for d in definitions:
            out.add_row(
                d.id,
                d.name,
                d.type,
                str(d.points),
                _text(criteria_document(d.criteria)),
                "yes" if d.enabled else "no",
                "yes" if d.default else "no",
            )
        console.print(out)

    emit(as_json, {"tenant_id": tenant, "achievements": rows}, table)


def _text(document: object) -> str:
    if isinstance(document, str):
        return document
    assert isinstance(document, dict)
    ((name, parts),) = document.items()
    return f"{name}(" + ", ".join(_text(p) for p in parts) + ")"
