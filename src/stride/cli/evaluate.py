"""`stride evaluate`: measure mastery models offline on recorded answers."""

from __future__ import annotations

import math
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from stride.cli.output import JsonOption, clear_errors, console, emit, error_console
from stride.progress.bkt_fit import fit_skills
from stride.progress.evaluation import Evaluation, evaluate

app = typer.Typer(help="Evaluate mastery models offline on recorded answers.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Evaluate mastery models offline on recorded answers."""


def _existing_file(help_text: str) -> Path:
    value: Path = typer.Option(..., exists=True, dir_okay=False, readable=True, help=help_text)
    return value


def _number(value: float, digits: int) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _metrics(result: Evaluation) -> dict[str, float | int | None]:
    def clean(value: float) -> float | None:  # JSON has no NaN
        return None if math.isnan(value) else round(value, 6)

    return {
        "auc": clean(result.auc),
        "rmse": clean(result.rmse),
        "accuracy": clean(result.accuracy),
        "answers": result.answers,
    }


@app.command("mastery")
def mastery(
    train: Path = _existing_file("CSV of answers to fit BKT on (user_id,skill_name,correct)"),
    test: Path = _existing_file("CSV of other learners' answers to predict"),
    restarts: int = typer.Option(5, min=1, max=50, help="EM runs per skill; the best is kept"),
    forgets: bool = typer.Option(False, "--forgets", help="Let BKT fit a forgetting rate too"),
    as_json: bool = JsonOption,
) -> None:
    """Fit BKT on --train, then score BKT and the heuristic on predicting --test's answers.

    Each test answer is predicted from the same learner's earlier answers on that skill.
    """
    # pyarrow reads the answers: imported here, not by every process that loads the CLI.
    from stride.evaluation.answers import read_answers

    with clear_errors(as_json):
        train_log, test_log = read_answers(train), read_answers(test)
        sequences = train_log.sequences_by_skill()
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=error_console,
            transient=True,
        )
        started = time.perf_counter()
        with progress:
            task = progress.add_task("Fitting BKT per skill", total=len(sequences))
            fitted = fit_skills(
                sequences,
                restarts=restarts,
                forgets=forgets,
                on_skill=lambda _skill: progress.advance(task),
            )
        fit_seconds = time.perf_counter() - started
        params = {skill: result.params for skill, result in fitted.items()}
        results = [
            evaluate(
                test_log.user_ids,
                test_log.skills,
                test_log.correct,
                model=model,
                params_by_skill=params,
            )
            for model in ("bkt", "heuristic")
        ]

    def table() -> None:
        out = Table("model", "AUC", "RMSE", "accuracy", "fit seconds", "test answers")
        for result in results:
            seconds = f"{fit_seconds:.1f}" if result.model == "bkt" else "-"
            out.add_row(
                result.model,
                _number(result.auc, 4),
                _number(result.rmse, 4),
                _number(result.accuracy, 4),
                seconds,
                f"{result.answers:,}",
            )
        console.print(out)
        console.print(
            f"BKT fitted on {len(fitted)} of {len(sequences)} skills "
            f"({len(train_log):,} answers); the others use the default parameters."
        )

    emit(
        as_json,
        {
            "train_answers": len(train_log),
            "test_answers": len(test_log),
            "skills": len(sequences),
            "skills_fitted": len(fitted),
            "restarts": restarts,
            "forgets": forgets,
            "fit_seconds": round(fit_seconds, 3),
            "models": {result.model: _metrics(result) for result in results},
        },
        table,
    )
