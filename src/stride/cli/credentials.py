"""`stride credentials`: verify a certificate offline against the database, list a tenant's."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from stride.bootstrap import open_engine
from stride.certificates.service import list_credentials, rotate_signing_key
from stride.certificates.verification import VerificationResult, verify_code, verify_token
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.errors import InvalidInput
from stride.tenancy.audit import operator_principal

app = typer.Typer(help="Verify and list certificates (Open Badges 3.0).", no_args_is_help=True)


@app.command("verify")
def verify(
    file: Path | None = typer.Argument(None, help="A file holding the VC-JWT"),
    code: str | None = typer.Option(None, "--code", help="A verification code instead"),
    as_json: bool = JsonOption,
) -> None:
    """Verify a credential as `POST /v1/credentials/verify` does; exits 1 unless it is valid."""
    with clear_errors(as_json):
        if (file is None) == (code is None):
            raise InvalidInput("Give either a FILE holding the JWT or --code.")
        token = file.read_text(encoding="utf-8").strip() if file is not None else ""
        with open_engine().connect() as connection:
            now = utc_now()
            found = (
                verify_code(connection, code, now)
                if code is not None
                else verify_token(connection, token, now)
            )
    colour = "green" if found.result is VerificationResult.VALID else "red"
    emit(
        as_json,
        {"result": found.result.value, "reason": found.reason, "credential": found.credential},
        lambda: console.print(f"[{colour}]{found.result.value}[/]: {found.reason}", soft_wrap=True),
    )
    if found.result is not VerificationResult.VALID:
        raise typer.Exit(1)


@app.command("rotate-key")
def rotate_key(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """Retire the tenant's signing key and make a new one; credentials signed before keep
    verifying (the old key stays published). Audited as the CLI."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            principal = operator_principal(connection, tenant)
        rotation = rotate_signing_key(engine, principal, utc_now())
    emit(
        as_json,
        {"kid": rotation.kid, "retired": rotation.retired},
        lambda: console.print(
            f"New signing key {rotation.kid}; retired: {', '.join(rotation.retired) or 'none'}",
            soft_wrap=True,
        ),
    )


@app.command("list")
def list_(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's issued credentials (learners appear only as their pseudonymous key)."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            rows = list_credentials(connection, tenant)

    def table() -> None:
        out = Table("credential", "program", "code", "issued", "valid until", "revoked")
        for r in rows:
            out.add_row(
                r.credential_id,
                r.program_id,
                r.verification_code,
                r.issued_at.isoformat(timespec="seconds"),
                r.valid_until.isoformat(timespec="seconds") if r.valid_until else "",
                r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
            )
        console.print(out)

    emit(
        as_json,
        {
            "credentials": [
                {
                    "credential_id": r.credential_id,
                    "learner_key": r.learner_key,
                    "program_id": r.program_id,
                    "verification_code": r.verification_code,
                    "issued_at": r.issued_at,
                    "valid_until": r.valid_until,
                    "revoked_at": r.revoked_at,
                    "revocation_reason": r.revocation_reason,
                }
                for r in rows
            ]
        },
        table,
    )
