"""The line each benchmark prints first: what it ran on, and how fast that machine was then.

The development VM's speed varies from day to day by up to three times, so a figure compares
only with figures measured at a similar speed check (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import platform
import time

SPEED_CHECK_ADDITIONS = 10_000_000


def speed_check_seconds() -> float:
    """Seconds a plain Python loop takes to add up ten million numbers."""
    started = time.perf_counter()
    total = 0
    for number in range(SPEED_CHECK_ADDITIONS):
        total += number
    return time.perf_counter() - started


def machine_line() -> str:
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, speed check {speed_check_seconds():.2f} s "
        "(a Python loop of ten million additions; compare figures of similar speed only)"
    )
