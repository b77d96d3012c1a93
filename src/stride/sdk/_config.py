"""Settings shared by Client and AsyncClient, checked once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from stride import __version__
from stride.sdk.delivery import MAX_BATCH_SIZE, RejectedCallback

DEFAULT_MAX_QUEUE = 100_000


@dataclass(frozen=True)
class Settings:
    url: str
    api_key: str
    batch_size: int
    flush_interval: float
    max_queue: int
    offline_queue: Path | None
    timeout: float
    max_retries: int | None
    backoff_base: float
    backoff_max: float
    shutdown_timeout: float | None
    on_rejected: RejectedCallback | None
    rng: random.Random

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": f"stride-sdk-python/{__version__}",
        }


def make_settings(
    url: str,
    api_key: str,
    *,
    batch_size: int,
    flush_interval: float,
    max_queue: int,
    offline_queue: str | Path | None,
    timeout: float,
    max_retries: int | None,
    backoff_base: float,
    backoff_max: float,
    shutdown_timeout: float | None,
    on_rejected: RejectedCallback | None,
    rng: random.Random | None,
) -> Settings:
    if not url.startswith(("http://", "https://")):
        raise ValueError("url must start with http:// or https://")
    if not api_key:
        raise ValueError("api_key is required")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
    if flush_interval <= 0:
        raise ValueError("flush_interval must be positive")
    if max_queue < 1:
        raise ValueError("max_queue must be at least 1")
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if max_retries is not None and max_retries < 0:
        raise ValueError("max_retries must be None (retry until closed) or >= 0")
    if backoff_base <= 0 or backoff_max < backoff_base:
        raise ValueError("backoff_base must be positive and backoff_max >= backoff_base")
    return Settings(
        url=url.rstrip("/"),
        api_key=api_key,
        batch_size=batch_size,
        flush_interval=flush_interval,
        max_queue=max_queue,
        offline_queue=Path(offline_queue) if offline_queue is not None else None,
        timeout=timeout,
        max_retries=max_retries,
        backoff_base=backoff_base,
        backoff_max=backoff_max,
        shutdown_timeout=shutdown_timeout,
        on_rejected=on_rejected,
        rng=rng if rng is not None else random.Random(),
    )
