"""`stride privacy`: a tenant's privacy policy and a learner's consent, from the shell."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
import yaml
from rich.table import Table

from stride.bootstrap import open_engine
from stride.catalog import load_catalog_text
from stride.cli.output import JsonOption, clear_errors, console, emit
from stride.cli.tenant_option import TenantOption
from stride.clock import utc_now
from stride.errors import InvalidInput, NotFound
from stride.privacy import consent as consent_service
from stride.privacy.policy import Purpose
from stride.privacy.policy_service import apply_policy, get_policy
from stride.privacy.pseudonym import learner_key
from stride.store.aliases import canonical_key
from stride.store.transactions import write_transaction
from stride.tenancy.audit import operator_principal

app = typer.Typer(help="A tenant's privacy policy and learners' consent.", no_args_is_help=True)
policy_app = typer.Typer(help="Show or apply the privacy policy.", no_args_is_help=True)
consent_app = typer.Typer(help="Show or change a learner's consent.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(consent_app, name="consent")


@policy_app.command("show")
def show_policy(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """Print the policy in force (the defaults when none was applied)."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.connect() as connection:
            operator_principal(connection, tenant)  # 404 for an unknown tenant
            document = get_policy(connection, tenant).document.model_dump(mode="json")
    emit(as_json, document, lambda: console.print(yaml.safe_dump(document, sort_keys=False)))


@policy_app.command("apply")
def apply(
    file: Path = typer.Argument(..., help="The policy, as YAML or JSON"),
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Validate the whole policy and apply it; nothing changes if any part is invalid."""
    with clear_errors(as_json):
        if not file.is_file():
            raise NotFound(f"No file at {file}.")
        raw = load_catalog_text(file.read_bytes(), filename=file.name, what="policy")
        engine = open_engine()
        with write_transaction(engine) as connection:
            actor = operator_principal(connection, tenant)
            document = apply_policy(connection, actor, raw, utc_now()).document
    out = document.model_dump(mode="json")
    emit(as_json, out, lambda: console.print(f"Applied the privacy policy of tenant {tenant}."))


def _purposes(names: list[str], flag: str) -> list[Purpose]:
    known = {p.value: p for p in Purpose}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown purpose(s) for {flag}: {', '.join(unknown)}; one of {', '.join(known)}."
        )
    return [known[n] for n in names]


@consent_app.command("show")
def show_consent(
    learner: str = typer.Argument(..., help="The platform's own learner id"),
    tenant: str = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Consent per purpose, with where each answer comes from, and the history."""
    with clear_errors(as_json):
        engine = open_engine()
        with engine.connect() as connection:
            actor = operator_principal(connection, tenant)
            key = canonical_key(connection, tenant, learner_key(actor.learner_secret, learner))
            view = consent_service.get_consent(connection, tenant, key)
    data = {
        "purposes": [p.__dict__ for p in view.purposes],
        "history": [h.__dict__ for h in view.history],
    }

    def table() -> None:
        out = Table("purpose", "granted", "source", "changed")
        for p in view.purposes:
            changed = p.changed_at.isoformat(timespec="seconds") if p.changed_at else ""
            out.add_row(p.purpose, "yes" if p.granted else "no", p.source, changed)
        console.print(out)

    emit(as_json, orjson.loads(orjson.dumps(data, default=str)), table)


@consent_app.command("set")
def set_consent(
    learner: str = typer.Argument(..., help="The platform's own learner id"),
    tenant: str = TenantOption,
    grant: list[str] = typer.Option([], "--grant", help="A purpose the learner consents to"),
    withdraw: list[str] = typer.Option([], "--withdraw", help="A purpose the learner withdraws"),
    as_json: bool = JsonOption,
) -> None:
    """Record the learner's answers (audited); they apply at once."""
    with clear_errors(as_json):
        changes = {p: True for p in _purposes(grant, "--grant")}
        changes.update({p: False for p in _purposes(withdraw, "--withdraw")})
        if not changes:
            raise InvalidInput("Name at least one purpose with --grant or --withdraw.")
        engine = open_engine()
        with write_transaction(engine) as connection:
            actor = operator_principal(connection, tenant)
            key = canonical_key(connection, tenant, learner_key(actor.learner_secret, learner))
            view = consent_service.set_consent(connection, actor, key, changes, utc_now())
    granted = {p.purpose: p.granted for p in view.purposes}
    emit(as_json, {"purposes": granted}, lambda: console.print(f"Consent now: {granted}"))
