"""`stride catalog`: apply a catalog file to a tenant, or print the one applied."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
import yaml

from stride.bootstrap import open_engine
from stride.catalog import load_catalog_text
from stride.catalog.service import apply_catalog, get_catalog_document
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.errors import NotFound
from stride.store.event_log import count_events

app = typer.Typer(help="Apply and show a tenant's catalog.", no_args_is_help=True)


@app.command("apply")
def apply(
    file: Path = typer.Argument(..., help="The catalog, as YAML or JSON"),
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Validate the whole catalog and apply it; nothing changes if any part is invalid."""
    with clear_errors(as_json):
        if not file.is_file():
            raise NotFound(f"No file at {file}.")
        document = load_catalog_text(file.read_bytes(), filename=file.name)
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            total = count_events(connection, tenant)
        with progress_bar() as progress:
            task = progress.add_task("Refolding mastery", total=total, visible=False)

            def advance(n: int) -> None:
                progress.update(task, visible=True)
                progress.advance(task, n)

            applied = apply_catalog(engine, tenant, document, utc_now(), advance)
    summary = {
        "tenant_id": tenant,
        "version": applied.version,
        "activities": applied.activities,
        "skills": applied.skills,
        "dimensions": applied.dimensions,
        "mastery_refolded": applied.mastery_refolded,
        "events_refolded": applied.events_refolded,
    }
    refolded = (
        f"; mastery refolded from {applied.events_refolded} events"
        if applied.mastery_refolded
        else ""
    )
    emit(
        as_json,
        summary,
        lambda: console.print(
            f"Applied catalog version {applied.version}: {applied.activities} activities, "
            f"{applied.skills} skills, {applied.dimensions} dimensions{refolded}."
        ),
    )


@app.command("show")
def show(
    tenant: str = TenantOption,
    as_yaml: bool = typer.Option(False, "--yaml", help="Print the catalog as YAML"),
) -> None:
    """Print the tenant's catalog as applied (all defaults filled in), as JSON or YAML."""
    with clear_errors():
        engine = open_engine()
        check_tenant(engine, tenant)
        _, _, document = get_catalog_document(engine, tenant)
    if as_yaml:
        typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), nl=False)
    else:
        typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
