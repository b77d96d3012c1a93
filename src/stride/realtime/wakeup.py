"""Wake whoever follows the log as soon as a write to it commits, in this process.

Writers call `log_appended` after their transaction commits; followers (the change feed)
register with `on_log_appended` and look at the log at once instead of at their next poll.
A follower must not block: the writer calls it on its own thread.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import structlog
from sqlalchemy import Engine

log = structlog.get_logger()

Listener = Callable[[str], None]  # called with the tenant id whose log grew

_listeners: weakref.WeakKeyDictionary[Engine, list[Listener]] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def on_log_appended(engine: Engine, listener: Listener) -> Callable[[], None]:
    """Call `listener(tenant_id)` after each commit that appends to `engine`'s log.

    Returns the function that removes the listener again.
    """
    with _guard:
        _listeners.setdefault(engine, []).append(listener)

    def remove() -> None:
        with _guard:
            listeners = _listeners.get(engine, [])
            if listener in listeners:
                listeners.remove(listener)

    return remove


def log_appended(engine: Engine, tenant_id: str) -> None:
    """Tell this process's followers that `tenant_id`'s log grew (after the commit)."""
    with _guard:
        listeners = list(_listeners.get(engine, ()))
    for listener in listeners:
        try:
            listener(tenant_id)
        except Exception:  # a follower's trouble must never fail the write that woke it
            log.exception("log follower failed", tenant_id=tenant_id)
