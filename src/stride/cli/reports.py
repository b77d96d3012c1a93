"""`stride report`: learner and tenant reports."""

from __future__ import annotations

import typer

app = typer.Typer(help="Learner and tenant reports.", no_args_is_help=True)
