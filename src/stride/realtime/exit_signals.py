"""End live streams as soon as the server is told to stop.

The ASGI server waits for open responses to finish before it shuts the application down, and
a live stream never finishes by itself; so streams are ended from the exit signal, before the
server's own handler (which is then called as before).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def chain_exit_signals(on_exit: Callable[[], None]) -> Callable[[], None]:
    """Call `on_exit()` first when SIGINT/SIGTERM arrive, where the server handles them (a
    callable handler is installed); returns the function that restores the handlers. Does
    nothing off the main thread (in-process test clients), where handlers cannot be set."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    chained: dict[int, Callable[[int, FrameType | None], object]] = {}
    for number in EXIT_SIGNALS:
        previous = signal.getsignal(number)
        if not callable(previous):
            continue
        chained[number] = previous

        def handler(
            signum: int,
            frame: FrameType | None,
            previous: Callable[[int, FrameType | None], object] = previous,
        ) -> None:
            on_exit()
            previous(signum, frame)

        signal.signal(number, handler)

    def restore() -> None:
        if threading.current_thread() is threading.main_thread():
            for number, previous in chained.items():
                signal.signal(number, previous)

    return restore
