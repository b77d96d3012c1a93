"""`stride db`: schema migrations."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from stride.bootstrap import open_engine
from stride.cli.output import JsonOption, console, emit
from stride.config import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(as_json: bool = JsonOption) -> None:
    """Apply all migrations (idempotent)."""
    open_engine(migrate=True)
    url = make_url(get_settings().DATABASE_URL).render_as_string(hide_password=True)
    emit(as_json, {"status": "upgraded"}, lambda: console.print(f"Schema is up to date ({url})."))
