"""Stride's processes run the cyclic garbage collector less often than CPython's default, and
its server processes switch threads sooner."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stride.api.app import create_app
from stride.config import Settings
from stride.runtime import GC_THRESHOLDS, SWITCH_INTERVAL_SECONDS

DEFAULT = (700, 10, 10)


@pytest.fixture
def default_gc() -> Iterator[None]:
    before, interval = gc.get_threshold(), sys.getswitchinterval()
    gc.set_threshold(*DEFAULT)
    sys.setswitchinterval(0.005)  # CPython's default
    yield
    gc.set_threshold(*before)
    sys.setswitchinterval(interval)


def test_thresholds_are_well_above_the_default() -> None:
    assert GC_THRESHOLDS[0] >= 10 * DEFAULT[0]
    assert SWITCH_INTERVAL_SECONDS < 0.005


@pytest.mark.usefixtures("default_gc")
def test_the_server_sets_them_when_it_starts(sqlite_engine: Engine) -> None:
    app = create_app(Settings(DATABASE_URL=str(sqlite_engine.url)), engine=sqlite_engine)
    assert gc.get_threshold() == DEFAULT
    with TestClient(app):
        assert gc.get_threshold() == GC_THRESHOLDS
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS)


@pytest.mark.usefixtures("default_gc")
def test_every_cli_command_sets_them(stride_cli: Callable[..., Any]) -> None:
    stride_cli("db", "upgrade")
    assert gc.get_threshold() == GC_THRESHOLDS
