"""`stride serve --workers N`: N server processes, each accepting on a socket of its own.

uvicorn's own workers share one listening socket, and the process that wakes first accepts
every connection waiting. A client that keeps a few connections open (an LMS's HTTP pool, a
proxy, the benchmark) then lands on one process while the others idle: two workers ingested no
faster than one. Here each process listens on its own socket bound to the same address with
SO_REUSEPORT, and the kernel spreads new connections over the sockets evenly.

The sockets are bound here, before any worker starts, so a connection that arrives while its
worker is still importing waits in that socket's queue instead of going to a sibling; a
worker that dies is started again on its socket.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import structlog
import uvicorn

log = structlog.get_logger()

# uvicorn's exit status for a server that could not start (its app, lifespan or socket):
# every restart would fail the same way.
STARTUP_FAILURE = 3
BACKLOG = 2048  # uvicorn's default
STOP_TIMEOUT_S = 30.0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on (host, port) that other sockets may share (SO_REUSEPORT)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def run_worker(options: dict[str, Any], sock: socket.socket) -> None:
    """One server process: uvicorn on the socket it was given."""
    server = uvicorn.Server(uvicorn.Config(**options))
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Workers:
    """Starts the worker processes, keeps them running, and stops them on SIGINT or SIGTERM."""

    def __init__(
        self,
        options: dict[str, Any],
        sockets: list[socket.socket],
        target: Callable[[dict[str, Any], socket.socket], None] = run_worker,
    ) -> None:
        self.options = options
        self.sockets = sockets
        self.target = target
        self.context = multiprocessing.get_context("spawn")  # no copy of the parent's state
        self.stopping = threading.Event()
        self.processes: list[BaseProcess] = []

    def _start(self, sock: socket.socket) -> BaseProcess:
        process = self.context.Process(
            target=self.target, args=(self.options, sock), name="stride-server"
        )
        process.start()
        return process

    def _stop(self, _signal: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self, handle_signals: bool = True) -> int:
        """Serve until `stopping` is set (by SIGINT or SIGTERM when `handle_signals`); the exit
        status for the command."""
        if handle_signals:
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, self._stop)
        self.processes = [self._start(sock) for sock in self.sockets]
        status = 0
        while not self.stopping.wait(0.5):
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("a server process could not start; stopping", pid=process.pid)
                    self.stopping.set()
                    status = STARTUP_FAILURE
                    break
                log.warning("a server process ended; starting another", exitcode=process.exitcode)
                self.processes[index] = self._start(self.sockets[index])
        self._stop_all()
        return status

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in self.sockets:
            sock.close()


def free_port(host: str, port: int) -> int:
    """`port` (or, for 0, one the system chooses) if nothing listens on it; raises OSError
    otherwise. Bound without SO_REUSEPORT, so another server sharing the port is found too:
    two servers would otherwise split its connections without a word."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def bind_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets listening on host:port, one per worker. Raises OSError when the
    address cannot be listened on (in use, not this host's)."""
    port = free_port(host, port)
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(listening_socket(host, port))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets
