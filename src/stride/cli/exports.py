"""`stride export`: events and read models to files."""

from __future__ import annotations

import typer

app = typer.Typer(help="Export events and read models.", no_args_is_help=True)
