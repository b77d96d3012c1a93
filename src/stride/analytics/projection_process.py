"""The analytics projection in a process of its own, beside the server processes.

The projection costs more CPU per event than the rest of ingest. In a thread of a server
process it shares that process's interpreter lock with ingest, so every event is paid for
twice on one core (measured: 3,512 events/s ingest alone, 1,273 with the thread). In its own
process it runs on another core. `stride serve` starts one, whatever the number of server
processes, and tells those to run no projection thread of their own. Analytics reads still
catch their tenant up first, so a reader never sees the lag.

It runs at a lower CPU priority than the server (`STRIDE_ANALYTICS_NICENESS`, 10 by default):
when both want the cores, requests are answered first and the rollups lag. On SQLite each of
its pages also holds ingest off while it writes, so the less CPU it gets under load, the more
often the write lock is free for ingest (xAPI with the projection on, measured:
docs/benchmarks.md).

On SQLite a page is one write transaction, which holds ingest off while it runs, so the
process sizes its pages by how long the last one held the write lock (analytics/page_sizer.py:
about `STRIDE_ANALYTICS_PAGE_HOLD_SECONDS`, 1 s by default, 1,000 to 20,000 events). On
PostgreSQL they are large (25,000 events): a page costs mostly per learner it touches, and a
reader that finds the projection behind waits for the whole backlog to be folded anyway
(measured: the projection folded 1,300 events/s in pages of 1,000 and 3,900 in pages of
25,000).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from multiprocessing.process import BaseProcess
from types import FrameType

import structlog

from stride.analytics.page_sizer import PageSizer
from stride.analytics.projection_job import catch_up_all
from stride.bootstrap import open_engine
from stride.runtime import tune_gc

log = structlog.get_logger()


def page_sizer(dialect: str, hold_s: float) -> PageSizer | None:
    """The process's page sizer: on SQLite only. On PostgreSQL pages are `page_for`'s: the
    projection holds no lock ingest waits for."""
    return PageSizer(hold_s=hold_s) if dialect == "sqlite" else None


def run_projection(
    interval_s: float, server_pid: int, niceness: int = 0, hold_s: float = PageSizer.hold_s
) -> None:
    """The projection process: catch every tenant up every `interval_s`, until stopped
    (SIGTERM, SIGINT) or until the server process that started it is gone."""
    stop = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    tune_gc()  # a process of its own (spawned): the server's setting does not carry over
    if niceness:
        os.nice(niceness)
    engine = open_engine(migrate=False)
    sizer = page_sizer(engine.dialect.name, hold_s)
    try:
        while not stop.wait(interval_s):
            if os.getppid() != server_pid:
                break  # the server was killed: nothing will stop this process otherwise
            try:
                catch_up_all(engine, stop=stop, sizer=sizer)
            except Exception:  # the database may be briefly away: try again next round
                log.exception("analytics projection round failed")
    finally:
        engine.dispose()


def start_projection_process(
    interval_s: float, niceness: int = 0, hold_s: float = PageSizer.hold_s
) -> BaseProcess:
    context = multiprocessing.get_context("spawn")  # no copy of the parent's connections
    process = context.Process(
        target=run_projection,
        args=(interval_s, os.getpid(), niceness, hold_s),
        name="stride-analytics",
        daemon=True,
    )
    process.start()
    return process


def stop_projection_process(process: BaseProcess, timeout_s: float = 15) -> None:
    """Ask the process to stop between pages; kill it if it does not in time."""
    if process.is_alive():
        process.terminate()
        process.join(timeout_s)
    if process.is_alive():
        process.kill()
        process.join(5)
