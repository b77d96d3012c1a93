"""CLI output: one JSON object with --json, friendly Rich text otherwise; errors exit non-zero."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from stride.errors import StrideError

console = Console()
error_console = Console(stderr=True)

T = TypeVar("T")

JsonOption = typer.Option(False, "--json", help="Print exactly one JSON object, for scripts.")


def emit(as_json: bool, data: dict[str, Any], text: Callable[[], None]) -> None:
    if as_json:
        typer.echo(orjson.dumps(data, default=str).decode())
    else:
        text()


@contextmanager
def clear_errors(as_json: bool = False) -> Iterator[None]:
    """Turn Stride's errors into one clear line (or a JSON error object) and exit code 1."""
    try:
        yield
    except StrideError as exc:
        if as_json:
            error: dict[str, Any] = {"error": exc.code, "detail": exc.detail}
            if exc.errors:
                error["errors"] = [e.as_dict() for e in exc.errors]
            typer.echo(orjson.dumps(error).decode())
        else:
            error_console.print(f"[bold red]Error:[/] {exc.detail}")
            for field_error in exc.errors:  # one line per field, so every problem can be fixed
                error_console.print(f"  {field_error.path}: {field_error.reason}", soft_wrap=True)
        raise typer.Exit(1) from None


def progress_bar() -> Progress:
    """The bar long-running commands show (on the console, gone when done)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
