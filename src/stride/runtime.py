"""Settings of the Python runtime for Stride's long-running processes."""

from __future__ import annotations

import gc
import sys

# Ingest makes many short-lived containers per event (dicts, rows, dataclasses). At CPython's
# default first threshold (700 new objects) the cyclic collector ran every few events, and its
# older generations walked every live object again and again: 15-20% of ingest time
# (docs/benchmarks.md). Reference counting frees almost all of it anyway; the collector only
# has cycles to find, so running it every 10,000 objects costs little memory.
GC_THRESHOLDS = (10_000, 10, 10)


def tune_gc() -> None:
    """Run the cyclic garbage collector less often (servers, the projection, the CLI)."""
    gc.set_threshold(*GC_THRESHOLDS)


# A server process's writer thread gives up the interpreter during every database call and
# must win it back from the threads reading and answering requests. CPython makes a waiting
# thread wait up to the switch interval (5 ms by default) for the running one to yield, tens of
# times per stored group; at 0.5 ms SQLite ingest gained about 4% (docs/benchmarks.md).
SWITCH_INTERVAL_SECONDS = 0.0005


def tune_thread_switching() -> None:
    """Let a thread waiting for the interpreter get it sooner (server processes)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
