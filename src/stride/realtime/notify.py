"""PostgreSQL LISTEN/NOTIFY on channel `stride_log`, so a server process wakes up when another
one wrote to the log. The payload is the tenant id; the log itself stays the only truth."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import psycopg
import structlog
from sqlalchemy import Engine, text

log = structlog.get_logger()

CHANNEL = "stride_log"
RETRY_SECONDS = 1.0


def send_notifications(engine: Engine, tenant_ids: Iterable[str]) -> None:
    """`NOTIFY stride_log, '<tenant id>'` for each tenant, on a pooled autocommit connection."""
    wanted = sorted(set(tenant_ids))
    if not wanted:
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for tenant_id in wanted:
            connection.execute(
                text("SELECT pg_notify(:channel, :tenant)"),
                {"channel": CHANNEL, "tenant": tenant_id},
            )


def conninfo(engine: Engine) -> str:
    """libpq's connection string for the engine's database (without SQLAlchemy's driver)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class LogListener:
    """A thread with a dedicated connection that LISTENs and calls `on_notify(tenant_id)`."""

    def __init__(self, engine: Engine, on_notify: Callable[[str], None]) -> None:
        self._conninfo = conninfo(engine)
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stride-log-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:  # the server went away: poll meanwhile, listen again soon
                log.exception("log listener lost its connection")
                self.listening.clear()
                self._stop.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            # Anything written while no one listened is found by the follower's next poll.
            self._on_notify("")
            while not self._stop.is_set():
                for notification in connection.notifies(timeout=0.5):
                    self._on_notify(notification.payload)
