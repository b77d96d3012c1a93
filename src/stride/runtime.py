"""Settings of the Python runtime for Stride's long-running processes."""

from __future__ import annotations

import gc

# Ingest makes many short-lived containers per event (dicts, rows, dataclasses). At CPython's
# default first threshold (700 new objects) the cyclic collector ran every few events, and its
# older generations walked every live object again and again: 15-20% of ingest time
# (docs/benchmarks.md). Reference counting frees almost all of it anyway; the collector only
# has cycles to find, so running it every 10,000 objects costs little memory.
GC_THRESHOLDS = (10_000, 10, 10)


def tune_gc() -> None:
    """Run the cyclic garbage collector less often (servers, the projection, the CLI)."""
    gc.set_threshold(*GC_THRESHOLDS)
