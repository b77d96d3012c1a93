"""Stride's processes run the cyclic garbage collector less often than CPython's default."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.api.app import create_app
from stride.config import Settings
from stride.runtime import GC_THRESHOLDS

DEFAULT = (700, 10, 10)


@pytest.fixture
def default_gc() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*DEFAULT)
    yield
    gc.set_threshold(*before)


def test_thresholds_are_well_above_the_default() -> None:
    assert GC_THRESHOLDS[0] >= 10 * DEFAULT[0]


@pytest.mark.usefixtures("default_gc")
def test_the_server_sets_them_when_it_starts(sqlite_engine: Engine) -> None:
    app = create_app(Settings(DATABASE_URL=str(sqlite_engine.url)), engine=sqlite_engine)
    assert gc.get_threshold() == DEFAULT
    with TestClient(app):
        assert gc.get_threshold() == GC_THRESHOLDS


@pytest.mark.usefixtures("default_gc")
def test_every_cli_command_sets_them(stride_cli: Callable[..., Any]) -> None:
    stride_cli("db", "upgrade")
    assert gc.get_threshold() == GC_THRESHOLDS
