"""`stride webhooks`: list a tenant's webhooks; run the dispatcher outside the server."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.table import Table

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.config import get_settings
from stride.webhooks.dispatcher import Dispatcher
from stride.webhooks.service import list_webhooks

app = typer.Typer(help="Webhooks: subscriptions and their delivery.", no_args_is_help=True)


@app.command("list")
def list_command(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """List the tenant's webhooks (secrets are never shown)."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        hooks = list_webhooks(engine, tenant)

    def table() -> None:
        out = Table("id", "event types", "created", "disabled")
        out.add_column("url", overflow="fold")
        for h in hooks:
            out.add_row(
                h.id,
                ", ".join(h.event_types),
                h.created_at.isoformat(timespec="seconds"),
                h.disabled_at.isoformat(timespec="seconds") if h.disabled_at else "-",
                h.url,
            )
        console.print(out if hooks else "No webhooks.")

    fields = ("id", "url", "event_types", "description", "created_at", "disabled_at")
    rows = [{name: getattr(h, name) for name in fields} for h in hooks]
    emit(as_json, {"webhooks": rows}, table)


@app.command("dispatch")
def dispatch(
    once: bool = typer.Option(False, "--once", help="One round, then exit (for cron or tests)"),
    tenant: list[str] | None = typer.Option(
        None, "--tenant", help="Only this tenant's webhooks (repeatable; default: all)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Deliver webhooks: fan out new log events, send what is due, retry, purge old records.

    Runs until Ctrl-C, a round every WEBHOOK_POLL_SECONDS (1 s when that is 0, which only
    turns off the server's own dispatcher). Safe beside the servers' dispatchers.
    """
    with clear_errors(as_json):
        engine = open_engine()
        for tenant_id in tenant or []:
            check_tenant(engine, tenant_id)
        dispatcher = Dispatcher.from_settings(engine, get_settings(), tenant or None)
        try:
            if not once:
                console.print("Dispatching webhooks; Ctrl-C stops.")
                dispatcher.run_forever()
                return
            report = dispatcher.run_once()
        except KeyboardInterrupt:
            return
        finally:
            dispatcher.stop()
            engine.dispose()
    emit(
        as_json,
        asdict(report),
        lambda: console.print(
            f"Enqueued {report.enqueued}, delivered {report.delivered}, retrying "
            f"{report.retrying}, failed {report.failed}, purged {report.purged} record(s)."
        ),
    )
