"""Save, list, change and delete a tenant's report definitions; read their runs."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from stride.errors import FieldError, InvalidInput, NotFound
from stride.reports.definitions import check_delivery, check_format, check_schedule, check_spec
from stride.store import report_schedules as store
from stride.store.report_schedules import DefinitionRow, RunRow
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal
from stride.webhooks.signing import new_secret


@dataclass(frozen=True)
class DefinitionRequest:
    name: str
    definition: dict[str, Any]
    cron: str | None = None
    delivery: dict[str, Any] | None = None
    format: str = "html"
    enabled: bool = True


@dataclass(frozen=True)
class DeliveryRules:
    """What the operator allows deliveries to reach (settings)."""

    allow_private: bool = False
    directories: Sequence[str] = ()


@dataclass(frozen=True)
class RunsPage:
    runs: list[RunRow]
    next_cursor: str | None


def _checked(
    principal: Principal, report_id: str, request: DefinitionRequest, rules: DeliveryRules
) -> DefinitionRow:
    """The stored row the request makes; raises InvalidInput naming the refused field."""
    spec = check_spec(request.definition)
    fmt = check_format(request.format)
    cron = check_schedule(request.cron)
    delivery = check_delivery(request.delivery, rules.allow_private, rules.directories)
    return DefinitionRow(
        tenant_id=principal.tenant_id,
        id=report_id,
        name=request.name,
        definition=spec.document(),
        cron=cron,
        delivery=None if delivery is None else delivery.document(),
        secret=new_secret() if delivery is not None and delivery.kind == "webhook" else None,
        format=fmt,
        enabled=request.enabled,
        created_at=datetime.min,  # set by the caller
    )


def create_definition(
    engine: Engine,
    principal: Principal,
    request: DefinitionRequest,
    rules: DeliveryRules,
    now: datetime,
) -> DefinitionRow:
    """Store a new definition; a webhook delivery's signing secret is in the returned row
    (to be shown once). Raises InvalidInput."""
    row = replace(_checked(principal, str(uuid.uuid4()), request, rules), created_at=now)
    with write_transaction(engine) as connection:
        store.insert_definition(connection, row)
        audit(connection, principal, "report.create", f"reports/{row.id}", now=now)
    return row


def update_definition(
    engine: Engine,
    principal: Principal,
    report_id: str,
    request: DefinitionRequest,
    rules: DeliveryRules,
    now: datetime,
) -> DefinitionRow:
    """Replace the definition; a webhook keeps its secret. Raises NotFound, InvalidInput."""
    row = _checked(principal, report_id, request, rules)
    with write_transaction(engine) as connection:
        old = _existing(store.get_definition(connection, principal.tenant_id, report_id), report_id)
        if row.secret is not None and old.secret is not None:
            row = replace(row, secret=old.secret)
        row = replace(row, created_at=old.created_at)
        store.replace_definition(connection, row)
        audit(connection, principal, "report.update", f"reports/{report_id}", now=now)
    return row


def list_definitions(engine: Engine, tenant_id: str) -> list[DefinitionRow]:
    with engine.connect() as connection:
        return store.list_definitions(connection, tenant_id)


def get_definition(engine: Engine, tenant_id: str, report_id: str) -> DefinitionRow:
    """The definition; raises NotFound."""
    with engine.connect() as connection:
        return _existing(store.get_definition(connection, tenant_id, report_id), report_id)


def delete_definition(engine: Engine, principal: Principal, report_id: str, now: datetime) -> None:
    """Delete the definition and its runs; raises NotFound."""
    with write_transaction(engine) as connection:
        if not store.delete_definition(connection, principal.tenant_id, report_id):
            raise _missing(report_id)
        audit(connection, principal, "report.delete", f"reports/{report_id}", now=now)


def list_runs(
    engine: Engine,
    tenant_id: str,
    report_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> RunsPage:
    """Runs newest first, a page at a time; raises InvalidInput for a bad cursor."""
    after = None if cursor is None else _decode(cursor)
    with engine.connect() as connection:
        rows = store.list_runs(connection, tenant_id, report_id, status, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return RunsPage(rows, _encode(rows[-1]) if more else None)


def get_run(engine: Engine, tenant_id: str, run_id: str) -> RunRow:
    """The run with its output; raises NotFound."""
    with engine.connect() as connection:
        run = store.get_run(connection, tenant_id, run_id)
    if run is None:
        raise NotFound(f"No report run with id {run_id!r} in this tenant.")
    return run


def run_output(engine: Engine, tenant_id: str, run_id: str) -> tuple[bytes, str]:
    """The run's stored output and its media type; raises NotFound (no run, or none yet)."""
    run = get_run(engine, tenant_id, run_id)
    if run.output is None or run.content_type is None:
        raise NotFound(f"Report run {run_id!r} has no output (status {run.status}).")
    return run.output, run.content_type


def _encode(run: RunRow) -> str:
    text = f"{run.scheduled_for.isoformat()}|{run.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, run_id = text.split("|", 1)
        moment = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("Unknown cursor.", [FieldError("query.cursor", "not a cursor")]) from exc
    if moment.tzinfo is None:
        raise InvalidInput("Unknown cursor.", [FieldError("query.cursor", "not a cursor")])
    return moment, run_id


def _existing(row: DefinitionRow | None, report_id: str) -> DefinitionRow:
    if row is None:
        raise _missing(report_id)
    return row


def _missing(report_id: str) -> NotFound:
    return NotFound(f"No report definition with id {report_id!r} in this tenant.")
