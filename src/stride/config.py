"""Settings for Stride, read from STRIDE_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can tune, with safe defaults for the embedded store."""

    model_config = SettingsConfigDict(env_prefix="STRIDE_", extra="ignore")

    DATABASE_URL: str = "sqlite:///./stride.db"
    # How far in the future an event timestamp may lie (clock skew of client devices).
    MAX_FUTURE_SKEW_HOURS: float = Field(default=24.0, ge=0)
    MAX_BATCH_EVENTS: int = Field(default=1000, ge=1)
    MAX_BODY_BYTES: int = Field(default=5 * 1024 * 1024, ge=1024)
    DB_POOL_SIZE: int = Field(default=8, ge=1)
    LOG_LEVEL: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
