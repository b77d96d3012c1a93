"""`stride fit mastery`: fit a tenant's BKT parameters from its log and refold mastery;
`stride fit risk`: fit its dropout-risk model from learners' known outcomes."""

from __future__ import annotations

import typer
from rich.table import Table

from stride.analytics.risk_fit import ACCEPTED, fit_risk
from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, clear_errors, console, emit, progress_bar
from stride.cli.tenant_option import TenantOption, check_tenant
from stride.clock import utc_now
from stride.config import get_settings
from stride.errors import Conflict
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


@app.command("risk")
def risk(
    tenant: str = TenantOption,
    floor: float | None = typer.Option(
        None, min=0.5, max=1.0, help="Held-out AUC to reach (default: STRIDE_RISK_AUC_FLOOR)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Fit the tenant's dropout-risk model from learners' known outcomes; print its held-out
    AUC and calibration. Below the floor it is stored as rejected (the at-risk list keeps to
    its rules)."""
    with clear_errors(as_json):
        engine = open_engine()
        check_tenant(engine, tenant)
        with progress_bar() as progress:
            tasks = {
                "read": progress.add_task("Reading enrollments", total=None),
                "fit": progress.add_task("Fitting and evaluating", total=None),
            }
            fit = fit_risk(
                engine,
                tenant,
                utc_now(),
                floor=get_settings().RISK_AUC_FLOOR if floor is None else floor,
                on_progress=lambda stage, n: progress.update(tasks[stage], total=n, completed=n),
            )
        if fit.evaluation is None:
            raise Conflict(fit.detail)
    e = fit.evaluation
    bins = [
        {
            "lower": b.lower,
            "upper": b.upper,
            "count": b.count,
            "mean_predicted": b.mean_predicted,
            "observed": b.observed,
        }
        for b in e.bins
    ]

    def table() -> None:
        out = Table("predicted", "held-out examples", "mean predicted", "observed")
        for b in bins:
            if b["count"]:
                out.add_row(
                    f"{b['lower']:.1f}-{b['upper']:.1f}",
                    str(b["count"]),
                    f"{b['mean_predicted']:.3f}",
                    f"{b['observed']:.3f}",
                )
        console.print(out)
        verdict = "accepted" if fit.status == ACCEPTED else "REJECTED (the rules stay in use)"
        console.print(
            f"Held-out AUC {e.auc:.3f} (floor {fit.floor:.2f}), Brier {e.brier:.3f}, on "
            f"{e.positives + e.negatives} examples; fitted on {fit.examples} examples of "
            f"{fit.learners} learners ({fit.positives} dropped out). Model {verdict}."
        )

    emit(
        as_json,
        {
            "tenant_id": tenant,
            "status": fit.status,
            "floor": fit.floor,
            "auc": e.auc,
            "brier": e.brier,
            "examples": fit.examples,
            "learners": fit.learners,
            "positives": fit.positives,
            "reliability": bins,
        },
        table,
    )
