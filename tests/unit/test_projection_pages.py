"""The projection process folds in short pages on SQLite (each holds ingest off) and in long
ones on PostgreSQL (where a page's cost is mostly per learner it touches)."""

from __future__ import annotations

from stride.analytics.projection_job import PAGE, page_for
from stride.analytics.projection_process import background_page


def test_sqlite_pages_are_shorter_than_a_reads_catch_up() -> None:
    assert background_page("sqlite") < PAGE


def test_postgresql_pages_fold_many_events_per_learner() -> None:
    assert background_page("postgresql") >= 10 * background_page("sqlite")


def test_a_catch_up_folds_larger_pages_on_postgresql() -> None:
    assert page_for("sqlite") == PAGE
    assert page_for("postgresql") == background_page("postgresql") > PAGE
