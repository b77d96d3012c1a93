"""A daemon thread that runs one piece of upkeep at a fixed interval until stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger()


class PeriodicThread:
    """Runs `work` every `interval_s` in a daemon thread named `name`; a failure is logged as
    `failure` and the work is tried again at the next turn (the database may be briefly away).
    `start` does nothing when `interval_s` is not positive."""

    def __init__(
        self, name: str, work: Callable[[], object], interval_s: float, failure: str
    ) -> None:
        self._name = name
        self._work = work
        self._interval = interval_s
        self._failure = failure
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._work()
            except Exception:
                log.exception(self._failure)
