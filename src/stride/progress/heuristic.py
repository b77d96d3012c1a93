"""The heuristic mastery score that BKT is measured against: no fitting, three factors.

mastery = recency-weighted mean score x consistency x volume, over a learner's chronological
scores in [0, 1] on one skill (a correct answer 1.0, a wrong one 0.0):
- recency: weight 0.5 ** (age / HALF_LIFE), age 0 for the latest score, so a score five
  attempts old counts half as much: learners improve, and old mistakes should fade.
- consistency: 1 - the standard deviation of the last CONSISTENCY_WINDOW scores, floored at
  CONSISTENCY_FLOOR: erratic results are a weaker sign of mastery, but never halve it further.
- volume: min(n / FULL_VOLUME, 1): a few lucky answers are not mastery yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

HALF_LIFE = 5.0
CONSISTENCY_WINDOW = 10
CONSISTENCY_FLOOR = 0.5
FULL_VOLUME = 20

# The score depends only on the latest HEURISTIC_WINDOW scores (the volume factor saturates
# there and older weights are below 0.08), so a caller may keep just that many.
HEURISTIC_WINDOW = FULL_VOLUME

_WEIGHTS = 0.5 ** (np.arange(HEURISTIC_WINDOW - 1, -1, -1) / HALF_LIFE)  # oldest first


def heuristic_mastery(scores: Sequence[float] | NDArray[np.float64]) -> float:
    """Mastery in [0, 1] from chronological scores in [0, 1]; 0.0 with no scores."""
    recent = np.asarray(scores[-HEURISTIC_WINDOW:], dtype=np.float64)
    n = recent.size
    if n == 0:
        return 0.0
    weights = _WEIGHTS[-n:]
    weighted_mean = float(weights @ recent / weights.sum())
    consistency = max(CONSISTENCY_FLOOR, 1.0 - float(recent[-CONSISTENCY_WINDOW:].std()))
    volume = min(n / FULL_VOLUME, 1.0)
    return weighted_mean * consistency * volume
