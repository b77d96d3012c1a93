"""`stride serve --workers N`: each process accepts on its own socket, and the connections of
one client spread over them (uvicorn's shared socket gave them all to one process)."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from stride.serving import STARTUP_FAILURE, Workers, bind_sockets, free_port


def answer_with_pid(_options: dict[str, Any], sock: socket.socket) -> None:
    while True:
        connection, _ = sock.accept()
        with connection:
            connection.sendall(str(os.getpid()).encode())


def fail_once_then_answer(options: dict[str, Any], sock: socket.socket) -> None:
    marker = Path(options["marker"])
    if not marker.exists():
        marker.write_text("failed once")
        sys.exit(1)
    answer_with_pid(options, sock)


def fail_to_start(_options: dict[str, Any], _sock: socket.socket) -> None:
    sys.exit(STARTUP_FAILURE)


def _sockets(count: int) -> list[socket.socket]:
    return bind_sockets("127.0.0.1", 0, count)


def _pid_of_a_new_connection(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        return int(connection.recv(32))


class _Running:
    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self.status: int | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        self.status = self.workers.run(handle_signals=False)

    def __enter__(self) -> _Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.workers.stopping.set()
        self.thread.join(60)


def test_the_connections_of_one_client_spread_over_the_processes() -> None:
    sockets = _sockets(2)
    port = sockets[0].getsockname()[1]
    with _Running(Workers({}, sockets, target=answer_with_pid)):
        pids = {_pid_of_a_new_connection(port) for _ in range(24)}
    assert len(pids) == 2
    assert os.getpid() not in pids


def test_a_process_that_ends_is_started_again(tmp_path: Path) -> None:
    sockets = _sockets(1)
    port = sockets[0].getsockname()[1]
    options = {"marker": str(tmp_path / "marker")}
    with _Running(Workers(options, sockets, target=fail_once_then_answer)) as running:
        pid = _pid_of_a_new_connection(port)  # answered by the second process
        first, *_ = running.workers.processes
    assert (tmp_path / "marker").exists()
    assert pid == first.pid


def test_a_process_that_cannot_start_stops_them_all() -> None:
    workers = Workers({}, _sockets(2), target=fail_to_start)
    assert workers.run(handle_signals=False) == STARTUP_FAILURE
    assert not any(process.is_alive() for process in workers.processes)


def test_a_port_another_server_listens_on_is_refused() -> None:
    # Even one that shares it (SO_REUSEPORT), which binding alone would not reveal.
    [other] = _sockets(1)
    port = other.getsockname()[1]
    with pytest.raises(OSError):
        free_port("127.0.0.1", port)
    with pytest.raises(OSError):
        bind_sockets("127.0.0.1", port, 2)
    other.close()
    assert free_port("127.0.0.1", port) == port
