"""Every process Stride starts (the CLI, server workers, their helper and projection
processes, which re-import the CLI's module as multiprocessing's spawn does) imports the
modules below; the libraries they leave out take seconds of CPU to import, so they are
imported where first used instead."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np

START_UP_MODULES = (
    "stride.cli.main",
    "stride.api.app",
    "stride.analytics.projection_process",
    "stride.ingest.ahead",
)
SLOW_TO_IMPORT = ("matplotlib", "scipy", "sklearn", "reportlab", "pyarrow")


def test_starting_a_process_leaves_the_slow_libraries_unimported() -> None:
    script = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in START_UP_MODULES)
        + f"print(','.join(m for m in {SLOW_TO_IMPORT!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""


def test_the_libraries_are_still_there_when_used() -> None:
    from stride.analytics.correlation import spearman
    from stride.progress.theil_sen import theil_sen
    from stride.reports.charts import progress_line

    rho = spearman([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]).coefficient
    assert rho is not None and math.isclose(rho, 0.8)
    assert progress_line([]).startswith(b"\x89PNG")
    line = np.array([0.0, 1.0, 2.0, 3.0])
    assert theil_sen(line, line).slope == 1.0
