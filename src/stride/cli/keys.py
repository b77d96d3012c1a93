"""`stride keys`: issue, list and revoke API keys."""

from __future__ import annotations

import typer
from rich.table import Table

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.clock import utc_now
from stride.privacy.secrets import new_master_key
from stride.store.tenants import list_api_keys
from stride.tenancy.audit import audit, operator_principal
from stride.tenancy.master_key import rotate_master_key
from stride.tenancy.roles import KEY_ROLES, Role
from stride.tenancy.service import create_key, revoke_key

app = typer.Typer(help="Issue, list and revoke API keys.", no_args_is_help=True)


@app.command("create")
def create(
    tenant: str = typer.Option(..., "--tenant", help="Tenant id"),
    role: Role = typer.Option(
        ..., "--role", help=f"What the key may do: {', '.join(r.value for r in KEY_ROLES)}"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Issue a key; the key is printed once and stored only as a hash."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.begin() as connection:
            now = utc_now()
            key = create_key(connection, tenant, role, now)
            audit(
                connection,
                operator_principal(connection, tenant),
                "key.create",
                f"keys/{key.key_id}",
                now=now,
                detail={"role": role.value},
            )
    emit(
        as_json,
        {
            "key_id": key.key_id,
            "tenant_id": key.tenant_id,
            "role": key.role.value,
            "api_key": key.api_key,
        },
        lambda: console.print(
            f"Key [cyan]{key.key_id}[/] ({key.role.value}) for tenant {key.tenant_id}\n"
            f"API key (shown only once): [green]{key.api_key}[/]",
            soft_wrap=True,
        ),
    )


@app.command("revoke")
def revoke(
    key_id: str = typer.Argument(..., help="The key id"), as_json: bool = JsonOption
) -> None:
    """Revoke a key at once; requests with it get 401 from then on."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.begin() as connection:
            now = utc_now()
            row = revoke_key(connection, key_id, now)
            audit(
                connection,
                operator_principal(connection, row.tenant_id),
                "key.revoke",
                f"keys/{key_id}",
                now=now,
            )
    emit(
        as_json,
        {"key_id": row.id, "tenant_id": row.tenant_id, "revoked_at": row.revoked_at},
        lambda: console.print(f"Revoked key [cyan]{row.id}[/]."),
    )


@app.command("list")
def list_keys(
    tenant: str = typer.Option(..., "--tenant", help="Tenant id"), as_json: bool = JsonOption
) -> None:
    """List a tenant's keys (never their secrets)."""
    engine = open_engine()
    with engine.connect() as connection:
        rows = list_api_keys(connection, tenant)

    def table() -> None:
        out = Table("key id", "role", "created", "revoked")
        for r in rows:
            revoked = r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else ""
            out.add_row(r.id, r.role, r.created_at.isoformat(timespec="seconds"), revoked)
        console.print(out)

    emit(
        as_json,
        {
            "keys": [
                {
                    "key_id": r.id,
                    "role": r.role,
                    "created_at": r.created_at,
                    "revoked_at": r.revoked_at,
                }
                for r in rows
            ]
        },
        table,
    )


@app.command("generate-master")
def generate_master(as_json: bool = JsonOption) -> None:
    """Print a new master key (for STRIDE_SECRET_KEY); changes nothing by itself."""
    key = new_master_key()
    emit(
        as_json,
        {"master_key": key},
        lambda: console.print(
            f"[green]{key}[/]\nSet it as STRIDE_SECRET_KEY (new key first, then the old one, "
            "while rotating: `stride keys rotate-master`).",
            soft_wrap=True,
        ),
    )


@app.command("rotate-master")
def rotate_master(as_json: bool = JsonOption) -> None:
    """Seal every tenant's secrets with a new master key (see docs/privacy.md)."""
    with clear_errors(as_json):
        engine = open_engine()
        rotation = rotate_master_key(engine)
    where = (
        f"The new key is in {rotation.key_file}; the old one is gone."
        if rotation.key_file
        else "Drop the old key(s) from STRIDE_SECRET_KEY now, and restart the servers."
    )
    emit(
        as_json,
        {"tenants": rotation.tenants, "key_file": rotation.key_file},
        lambda: console.print(f"Re-sealed the secrets of {rotation.tenants} tenant(s). {where}"),
    )
