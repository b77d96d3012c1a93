"""`stride verify`: compare every read model with a rebuild from the log; exit 1 on any
difference."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Engine

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.tenant_option import check_tenant
from stride.errors import StrideError
from stride.store.tenants import list_tenants
from stride.verify.compare import TableDifference
from stride.verify.service import TenantVerification, verify_tenant


def verify(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (default: all)"),
    force: bool = typer.Option(
        False, "--force", help="Compare even though retention removed old events"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Rebuild every read model from the event log in a scratch copy (the live ones are not
    touched) and print the rows that differ. Exit code 0: none differ; 1: some do."""
    with clear_errors(as_json):
        engine = open_engine()
        try:
            results = _verify_all(engine, tenant, force)
        finally:
            engine.dispose()
    clean = all(r.clean for r in results)
    data = {"clean": clean, "tenants": [_tenant_dict(r) for r in results]}
    emit(as_json, data, lambda: _print(results))
    if not clean:
        raise typer.Exit(1)


def _verify_all(engine: Engine, tenant: str | None, force: bool) -> list[TenantVerification]:
    if tenant is not None:
        check_tenant(engine, tenant)
        ids = [tenant]
    else:
        with engine.connect() as connection:
            ids = [t.id for t in list_tenants(connection)]
    results: list[TenantVerification] = []
    with progress_bar() as progress:
        task = progress.add_task("Verifying", total=len(ids))
        for tenant_id in ids:
            try:
                results.append(verify_tenant(engine, tenant_id, force))
            except Exception as error:  # one tenant's trouble must not hide the others'
                if tenant is not None:
                    raise
                reason = str(error) if isinstance(error, StrideError) else repr(error)
                results.append(TenantVerification(tenant_id, 0, [], error=reason))
            progress.advance(task)
    return results


def _table_dict(found: TableDifference) -> dict[str, Any]:
    return {
        "table": found.table,
        "only_live": found.only_live,
        "only_rebuilt": found.only_rebuilt,
        "differing": found.differing,
        "only_live_keys": found.live_examples,
        "only_rebuilt_keys": found.rebuilt_examples,
        "differing_rows": [
            {
                "key": d.key,
                "columns": {c: {"live": v[0], "rebuilt": v[1]} for c, v in d.columns.items()},
            }
            for d in found.differing_examples
        ],
    }


def _tenant_dict(result: TenantVerification) -> dict[str, Any]:
    return {
        "tenant_id": result.tenant_id,
        "events": result.events,
        "clean": result.clean,
        "error": result.error,
        "tables": [_table_dict(t) for t in result.tables],
    }


def _print(results: list[TenantVerification]) -> None:
    for result in results:
        if result.error is not None:
            console.print(f"[bold red]✗[/] {result.tenant_id}: not verified: {result.error}")
            continue
        if result.clean:
            console.print(
                f"[green]✓[/] {result.tenant_id}: every read model matches a rebuild "
                f"from its {result.events} events."
            )
            continue
        console.print(
            f"[bold red]✗[/] {result.tenant_id}: {len(result.tables)} read model(s) differ "
            f"from a rebuild from its {result.events} events."
        )
        summary = Table("table", "only live", "only rebuilt", "differing")
        for found in result.tables:
            summary.add_row(
                found.table, str(found.only_live), str(found.only_rebuilt), str(found.differing)
            )
        console.print(summary)
        for found in result.tables:
            for key in found.live_examples:
                console.print(f"  {found.table} only live: {key}", soft_wrap=True)
            for key in found.rebuilt_examples:
                console.print(f"  {found.table} only rebuilt: {key}", soft_wrap=True)
            for row in found.differing_examples:
                columns = ", ".join(
                    f"{c}: live {v[0]!r} ≠ rebuilt {v[1]!r}" for c, v in row.columns.items()
                )
                console.print(f"  {found.table} {row.key}: {columns}", soft_wrap=True)
    if results and all(r.clean for r in results):
        console.print(f"All {len(results)} tenant(s) verified clean.")
