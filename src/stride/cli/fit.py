"""`stride fit mastery`: fit a tenant's BKT parameters from its log and refold mastery."""

from __future__ import annotations

import typer
from rich.table import Table

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.mastery.fitting import fit_mastery
from stride.progress.bkt_fit import MIN_ATTEMPTS_TO_FIT
from stride.store.event_log import count_events

app = typer.Typer(help="Fit models from a tenant's log.", no_args_is_help=True)


@app.command("mastery")
def mastery(
    tenant: str = TenantOption,
    restarts: int = typer.Option(5, min=1, max=50, help="EM restarts per skill"),
    forgets: bool = typer.Option(False, "--forgets", help="Also fit a forgetting rate"),
    as_json: bool = JsonOption,
) -> None:
    """Fit BKT parameters per skill (skills with too few attempts keep their defaults),
    then refold every learner's mastery with them."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with engine.connect() as connection:
            total = count_events(connection, tenant)
        with progress_bar() as progress:
            tasks = {
                "read": progress.add_task("Reading attempts", total=total),
                "refold": progress.add_task("Refolding mastery", total=total),
            }
            fit = fit_mastery(
                engine,
                tenant,
                utc_now(),
                restarts=restarts,
                forgets=forgets,
                on_progress=lambda stage, n: progress.advance(tasks[stage], n),
            )
    skills = {
        skill: {
            "prior": f.params.prior,
            "learn": f.params.learn,
            "guess": f.params.guess,
            "slip": f.params.slip,
            "forget": f.params.forget,
            "attempts": f.attempts,
            "learners": f.learners,
        }
        for skill, f in sorted(fit.fitted.items())
    }

    def table() -> None:
        out = Table("skill", "prior", "learn", "guess", "slip", "forget", "attempts", "learners")
        for skill, p in skills.items():
            out.add_row(
                skill,
                *(f"{p[name]:.3f}" for name in ("prior", "learn", "guess", "slip", "forget")),
                str(p["attempts"]),
                str(p["learners"]),
            )
        console.print(out)
        console.print(
            f"Fitted {len(fit.fitted)} of {fit.skills_seen} skills from {fit.attempts} graded "
            f"attempts (a skill needs {MIN_ATTEMPTS_TO_FIT}); mastery refolded from "
            f"{fit.events_refolded} events."
        )

    emit(
        as_json,
        {
            "tenant_id": tenant,
            "skills_seen": fit.skills_seen,
            "attempts": fit.attempts,
            "events_refolded": fit.events_refolded,
            "fitted": skills,
        },
        table,
    )
