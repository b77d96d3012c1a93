"""`stride serve` folds analytics in a process of its own, and takes it down when it stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
from sqlalchemy import create_engine, text

from tests.e2e.test_serve import _free_port, _ready
from tests.factories import make_event


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue  # the process ended meanwhile
            if f"\nPPid:\t{pid}\n" in status:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state


def test_serve_folds_analytics_beside_the_server(tmp_path: Path) -> None:
    database = tmp_path / "serve.db"
    env = {
        **os.environ,
        "STRIDE_DATABASE_URL": f"sqlite:///{database}",
        "STRIDE_ANALYTICS_INTERVAL_SECONDS": "0.2",
        "STRIDE_ANALYTICS_NICENESS": "7",
    }
    stride = [sys.executable, "-m", "stride.cli.main"]
    created = subprocess.run(
        [*stride, "tenants", "create", "projection", "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    tenant = orjson.loads(created.stdout)
    port = _free_port()
    server = subprocess.Popen(
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
        headers = {"Authorization": f"Bearer {tenant['api_key']}"}
        sent = [make_event(learner=f"l{n}") for n in range(5)]
        assert httpx.post(f"{base}/v1/events", json=sent, headers=headers).json()["accepted"] == 5
        # No analytics read is made: only the projection process can move the cursor.
        engine = create_engine(f"sqlite:///{database}")
        deadline = time.monotonic() + 20
        while True:
            with engine.connect() as connection:
                cursor = connection.execute(
                    text("SELECT seq FROM analytics_cursors WHERE tenant_id = :t"),
                    {"t": tenant["tenant_id"]},
                ).scalar()
                last = connection.execute(text("SELECT MAX(seq) FROM events")).scalar()
            if cursor is not None and cursor >= last:
                break
            assert time.monotonic() < deadline, f"analytics not folded: cursor {cursor}, log {last}"
            time.sleep(0.2)
        engine.dispose()
        helpers = _children(server.pid)
        assert helpers, "stride serve started no projection process"
        # It yields the cores to the server under load: a lower priority than the server's.
        priorities = {os.getpriority(os.PRIO_PROCESS, pid) for pid in helpers}
        assert os.getpriority(os.PRIO_PROCESS, server.pid) + 7 in priorities
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in helpers):
        assert time.monotonic() < deadline, "the projection process outlived the server"
        time.sleep(0.2)
