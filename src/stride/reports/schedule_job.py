"""The in-process report scheduler: every REPORT_TICK_SECONDS, run what is due.

Every server process runs one; a scheduled time is still run once (see reports/runner.py).
"""

from __future__ import annotations

import threading

import structlog
from sqlalchemy import Engine

from stride.clock import utc_now
from stride.config import Settings
from stride.reports.runner import ReportRunner, RunnerConfig

log = structlog.get_logger()


class ReportJob:
    """Ticks the runner on a daemon thread every `tick_s` seconds; 0 disables it."""

    def __init__(self, runner: ReportRunner, tick_s: float) -> None:
        self._runner = runner
        self._tick = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> ReportJob:
        config = RunnerConfig.from_settings(settings)
        return cls(ReportRunner(engine, config), config.tick_s)

    @property
    def runner(self) -> ReportRunner:
        return self._runner

    def start(self) -> None:
        if self._tick <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stride-reports", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        self._runner.close()

    def _run(self) -> None:
        while not self._stop.wait(self._tick):
            try:
                self._runner.tick(utc_now())
            except Exception:  # the database may be briefly away: try again next tick
                log.exception("report schedule tick failed")
