"""Start the real server process and talk to it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.factories import make_event


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz").status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = {**os.environ, "STRIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    stride = [sys.executable, "-m", "stride.cli.main"]
    created = subprocess.run(
        [*stride, "tenants", "create", "serve-test", "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    api_key = orjson.loads(created.stdout)["api_key"]
    port = _free_port()
    process = subprocess.Popen(
        [*stride, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _ready(base):
            assert time.monotonic() < deadline, "stride serve did not become ready in 30 s"
            time.sleep(0.1)  # the server process is still starting: poll again shortly
        yield base, api_key
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_served_api_records_and_reports(server: tuple[str, str]) -> None:
    base, api_key = server
    headers = {"Authorization": f"Bearer {api_key}"}
    response = httpx.post(f"{base}/v1/events", json=[make_event(learner="p")], headers=headers)
    assert response.json()["accepted"] == 1
    progress = httpx.get(f"{base}/v1/learners/p/progress", headers=headers)
    assert progress.json()["events"] == 1
