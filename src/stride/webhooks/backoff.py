"""When to try a failed delivery again: exponential backoff with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 2.0
    cap_s: float = 3600.0
    max_attempts: int = 10


def retry_delay(attempts: int, rng: random.Random, policy: RetryPolicy) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1-based).

    Full jitter (uniform between 0 and the exponential ceiling) spreads the retries of many
    deliveries that failed together, so a receiver coming back up is not hit all at once.
    """
    exponent = min(attempts - 1, 62)  # 2**62 s is far past any cap; avoids float overflow
    ceiling = min(policy.cap_s, policy.base_s * 2.0**exponent)
    return rng.uniform(0.0, ceiling)


def gives_up(attempts: int, policy: RetryPolicy) -> bool:
    """True when a delivery that failed `attempts` times must not be tried again."""
    return attempts >= policy.max_attempts
