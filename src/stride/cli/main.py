"""The root `stride` command: serve, demo, rebuild, and the db/tenants/keys groups."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import typer
import uvicorn

from stride.analytics.projection_process import start_projection_process, stop_projection_process
from stride.bootstrap import open_engine
from stride.cli import (
    achievements,
    analytics,
    catalog,
    credentials,
    db,
    evaluate,
    exports,
    fit,
    keys,
    learners,
    privacy,
    reports,
    retention,
    tenants,
)
from stride.cli import webhooks as webhook_commands
from stride.cli.importing import import_file
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.verify import verify
from stride.clock import utc_now
from stride.config import get_settings
from stride.demo.service import run_demo
from stride.errors import NotFound
from stride.ingest.rebuild import check_log_is_whole, rebuild_tenant
from stride.runtime import tune_gc
from stride.serving import Workers, bind_sockets
from stride.store.event_log import count_events
from stride.store.tenants import get_tenant, list_tenants

app = typer.Typer(help="Stride: learning progress tracking and analytics.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Stride: learning progress tracking and analytics."""
    tune_gc()  # every command: imports, rebuilds and the server fold many events


app.add_typer(db.app, name="db")
app.add_typer(tenants.app, name="tenants")
app.add_typer(keys.app, name="keys")
app.add_typer(catalog.app, name="catalog")
app.add_typer(achievements.app, name="achievements")
app.add_typer(fit.app, name="fit")
app.add_typer(evaluate.app, name="evaluate")
app.add_typer(learners.app, name="learners")
app.add_typer(retention.app, name="retention")
app.add_typer(privacy.app, name="privacy")
app.add_typer(webhook_commands.app, name="webhooks")
app.add_typer(credentials.app, name="credentials")
app.command("import")(import_file)
app.add_typer(analytics.app, name="analytics")
app.add_typer(exports.app, name="export")
app.add_typer(reports.app, name="report")
app.command("verify")(verify)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(
        1, min=1, max=64, help="Server processes; more use more cores (also on SQLite)"
    ),
) -> None:
    """Migrate the database, then serve the API (and fold analytics in a process beside it)."""
    settings = get_settings()
    open_engine(settings, migrate=True).dispose()
    interval = settings.ANALYTICS_INTERVAL_SECONDS
    niceness, hold_s = settings.ANALYTICS_NICENESS, settings.ANALYTICS_PAGE_HOLD_SECONDS
    projector = start_projection_process(interval, niceness, hold_s) if interval > 0 else None
    if projector is not None:
        # The server processes read their settings from the environment: no thread of their
        # own, the projection process does it for all of them.
        os.environ["STRIDE_ANALYTICS_INTERVAL_SECONDS"] = "0"
        get_settings.cache_clear()
    listening = f"Stride listening on [bold]http://{host}:{port}[/] (API docs at /docs)"
    options: dict[str, Any] = {
        "app": "stride.api.app:create_app",
        "factory": True,
        "log_level": settings.LOG_LEVEL.lower(),
        "access_log": False,
    }
    try:
        if workers == 1:
            console.print(listening)
            uvicorn.run(**options, host=host, port=port)
        else:  # each process on a socket of its own, so connections spread evenly
            try:
                sockets = bind_sockets(host, port, workers)
            except OSError as error:
                console.print(
                    f"[red]Cannot listen on {host}:{port}: {error.strerror or error}.[/] "
                    "Stop the server using that port, or choose another with --port."
                )
                raise typer.Exit(1) from error
            console.print(listening)
            # The processes use the cores already: none starts helper processes of its own.
            os.environ.setdefault("STRIDE_INGEST_HELPERS", "0")
            status = Workers(options, sockets).run()
            if status:
                raise typer.Exit(status)
    finally:
        if projector is not None:
            stop_projection_process(projector)


@app.command()
def rebuild(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (default: all)"),
    force: bool = typer.Option(
        False, "--force", help="Rebuild even though retention removed old events (loses them)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Recompute every read model from the event log."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.connect() as connection:
            if tenant is not None and get_tenant(connection, tenant) is None:
                raise NotFound(f"No tenant with id {tenant!r}; `stride tenants list` shows them.")
            ids = [tenant] if tenant else [t.id for t in list_tenants(connection)]
            totals = {tid: count_events(connection, tid) for tid in ids}
            for tenant_id in ids if not force else []:  # refuse before any work
                check_log_is_whole(connection, tenant_id)
        folded: dict[str, int] = {}
        with progress_bar() as progress:
            for tenant_id in ids:
                task = progress.add_task(f"Rebuilding {tenant_id[:8]}", total=totals[tenant_id])
                folded[tenant_id] = rebuild_tenant(
                    engine, tenant_id, partial(progress.advance, task), force
                )
    emit(
        as_json,
        {"tenants": [{"tenant_id": t, "events": n} for t, n in folded.items()]},
        lambda: console.print(
            f"Rebuilt read models of {len(folded)} tenant(s) from {sum(folded.values())} events."
        ),
    )


@app.command()
def demo(
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same activity"),
    learners: int = typer.Option(500, min=1, max=100_000, help="Number of learners"),
    days: int = typer.Option(90, min=1, max=3650, help="Days of history, ending now"),
    as_json: bool = JsonOption,
) -> None:
    """Create (or refresh) the `demo` tenant with realistic synthetic activity."""
    engine = open_engine()
    with progress_bar() as progress:
        task = progress.add_task("Recording demo activity", total=None)
        result = run_demo(
            engine, utc_now(), seed, learners, days, lambda n: progress.advance(task, n)
        )
    emit(
        as_json,
        {
            "tenant_id": result.tenant_id,
            "api_key": result.api_key,
            "learners": result.learners,
            "events": result.events,
            "rejected": result.rejected,
            "sample_learner": result.sample_learner,
        },
        lambda: console.print(
            f"Demo tenant [cyan]{result.tenant_id}[/]: {result.events} events "
            f"of {result.learners} learners.\n"
            f"API key: [green]{result.api_key}[/]\n"
            f"Try: curl -H 'Authorization: Bearer {result.api_key}' "
            f"http://127.0.0.1:8000/v1/learners/{result.sample_learner}/progress",
            soft_wrap=True,  # keys and commands must stay on one line to be copied
        ),
    )


if __name__ == "__main__":
    app()
