"""`stride learners`: export everything held on a learner, or erase it (GDPR art. 15, 17, 20);
link and unlink a learner's other platform ids (aliases)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import orjson
import typer
from sqlalchemy import Engine

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit, error_console
from stride.cli.tenant_option import TenantOption
from stride.clock import utc_now
from stride.errors import InvalidInput
from stride.learners import aliases as alias_service
from stride.learners.export_formats import ExportFormat, render
from stride.learners.rights import erase_and_audit, export_and_audit, json_safe
from stride.privacy.pseudonym import learner_key
from stride.store.aliases import canonical_key
from stride.tenancy.audit import operator_principal
from stride.tenancy.service import Principal

app = typer.Typer(help="Export or erase one learner's data.", no_args_is_help=True)

LearnerArgument = typer.Argument(..., help="The platform's own learner id")


def _operator(engine: Engine, tenant_id: str) -> Principal:
    with engine.connect() as connection:
        return operator_principal(connection, tenant_id)


def _learner_key(engine: Engine, actor: Principal, learner_id: str) -> str:
    """The key of the learner of `learner_id` (an alias's learner for an alias)."""
    with engine.connect() as connection:
        return canonical_key(
            connection, actor.tenant_id, learner_key(actor.learner_secret, learner_id)
        )


def _write_private(path: Path, data: bytes) -> None:
    # The export is personal data: readable by the operator only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


@app.command("export")
def export(
    learner_id: str = LearnerArgument,
    tenant: str = TenantOption,
    export_format: ExportFormat = typer.Option(
        ExportFormat.JSON, "--format", help="One JSON document, or a ZIP of one CSV per table"
    ),
    output: Path | None = typer.Option(
        None, "--output", help="Write the export here (needed for zip); default: print the JSON"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Export every row held on the learner (events in log order); the export is audited."""
    with clear_errors(as_json):
        if export_format is ExportFormat.ZIP and output is None:
            raise InvalidInput("A ZIP export is binary: give --output FILE.")
        engine = open_engine()
        actor = _operator(engine, tenant)
        key = _learner_key(engine, actor, learner_id)
        # No row limit here: the CLI is how an oversized learner gets exported.
        found = export_and_audit(engine, actor, key, utc_now(), export_format.value, None)
        data = render(found, export_format)
        if output is not None:
            _write_private(output, data)
    if output is None:
        typer.echo(data.decode())
        return
    counts = found.row_counts
    emit(
        as_json,
        {
            "output": str(output),
            "format": export_format.value,
            "tables": counts,
            "total": sum(counts.values()),
        },
        lambda: console.print(
            f"Exported {sum(counts.values())} rows of {len(counts)} tables to {output}."
        ),
    )


@app.command("erase")
def erase(
    learner_id: str = LearnerArgument,
    tenant: str = TenantOption,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    as_json: bool = JsonOption,
) -> None:
    """Erase every row held on the learner in one transaction (idempotent; audited)."""
    with clear_errors(as_json):
        engine = open_engine()
        actor = _operator(engine, tenant)
        question = f"Erase everything tenant {tenant} holds on {learner_id!r}? It cannot be undone."
        if not yes and not typer.confirm(question, err=True):
            _refused(as_json)
        report = erase_and_audit(engine, actor, _learner_key(engine, actor, learner_id), utc_now())
    emit(
        as_json,
        {
            "erased_at": json_safe(report.erased_at),
            "tables": report.deleted,
            "total": report.total,
        },
        lambda: console.print(
            f"Erased {report.total} rows: "
            + (", ".join(f"{n} {t}" for t, n in report.deleted.items() if n) or "nothing was held")
            + "."
        ),
    )


def _refused(as_json: bool) -> NoReturn:
    if as_json:
        typer.echo(orjson.dumps({"error": "aborted", "detail": "Nothing erased."}).decode())
    else:
        error_console.print("Nothing erased.")
    raise typer.Exit(1)


AliasArgument = typer.Argument(..., help="Another platform id of the same learner")


@app.command("link")
def link(
    learner_id: str = LearnerArgument,
    alias: str = AliasArgument,
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Link another platform id to the learner: events under either id fold into one learner,
    and the learner's read models are refolded (audited; undo with `unlink`)."""
    with clear_errors(as_json):
        alias = alias_service.parse_alias({"alias": alias})
        engine = open_engine()
        actor = _operator(engine, tenant)
        result = alias_service.link_alias(engine, actor, learner_id, alias, utc_now())
    emit(
        as_json,
        _link_json(result, linked=True),
        lambda: console.print(
            f"Linked {alias!r} to {learner_id!r}: {result.events_moved} events moved, "
            f"{result.events_folded} refolded."
            if result.changed
            else f"{alias!r} was linked to {learner_id!r} already; nothing changed."
        ),
    )


@app.command("unlink")
def unlink(
    learner_id: str = LearnerArgument,
    alias: str = AliasArgument,
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Unlink an alias: its events fold into a learner of their own again (audited)."""
    with clear_errors(as_json):
        engine = open_engine()
        actor = _operator(engine, tenant)
        result = alias_service.unlink_alias(engine, actor, learner_id, alias, utc_now())
    emit(
        as_json,
        _link_json(result, linked=False),
        lambda: console.print(
            f"Unlinked {alias!r} from {learner_id!r}: {result.events_moved} events moved back."
        ),
    )


@app.command("aliases")
def aliases(
    learner_id: str = LearnerArgument, tenant: str = TenantOption, as_json: bool = JsonOption
) -> None:
    """List the learner's other platform ids."""
    with clear_errors(as_json):
        engine = open_engine()
        actor = _operator(engine, tenant)
        key = _learner_key(engine, actor, learner_id)
        with engine.connect() as connection:
            views = alias_service.list_aliases(connection, actor, key)
    emit(
        as_json,
        {"aliases": [{"alias": v.alias, "linked_at": json_safe(v.linked_at)} for v in views]},
        lambda: console.print(
            "\n".join(f"{v.alias}  (linked {json_safe(v.linked_at)})" for v in views)
            or f"{learner_id!r} has no aliases."
        ),
    )


def _link_json(result: alias_service.AliasLink, linked: bool) -> dict[str, object]:
    return {
        "alias": result.alias,
        "linked": linked,
        "changed": result.changed,
        "linked_at": json_safe(result.linked_at),
        "events_moved": result.events_moved,
        "events_folded": result.events_folded,
    }
