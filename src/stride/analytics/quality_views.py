"""The data-quality report as the API returns it (see docs/data-quality.md)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class LatenessFigures(BaseModel):
    """received_at minus event time of accepted events, in seconds (negative: ahead)."""

    events: int
    p50_s: float | None
    p90_s: float | None
    p99_s: float | None
    bands: dict[str, int] = Field(
        description="Events per lateness band: under_1_minute, under_1_hour, under_1_day, "
        "under_7_days, older (events ahead of their arrival are under clock_skew)."
    )


class ClockSkewFigures(BaseModel):
    """Accepted events whose time lay ahead of their arrival by more than 1 ms."""

    events: int
    max_ahead_s: float | None
    p50_ahead_s: float | None
    p90_ahead_s: float | None
    p99_ahead_s: float | None


class PiiFigures(BaseModel):
    """Personal data found by the ingest scanner: findings per kind (not events)."""

    redacted: dict[str, int]
    rejected: dict[str, int]


class QualityFigures(BaseModel):
    received: int = Field(description="Events sent: accepted + duplicate + conflict + rejected.")
    accepted: int
    duplicate: int
    conflict: int
    rejected: int
    rejected_by_reason: dict[str, int] = Field(
        description="invalid, pii, consent, retention (see the ingest outcomes)."
    )
    lateness: LatenessFigures
    clock_skew: ClockSkewFigures
    pii_findings: PiiFigures


class QualityPeriod(BaseModel):
    start: date
    complete: bool = Field(description="False when the range cuts the period or it is not over.")
    figures: QualityFigures


class InvalidField(BaseModel):
    path: str = Field(description="Field path with list positions as [] (e.g. skills[].id).")
    message: str
    count: int = Field(description="Errors at this path with this message.")


class VolumeAnomaly(BaseModel):
    hour: datetime = Field(description="Start of the UTC hour (by event time).")
    count: int
    expected: float = Field(description="Median count of the same hour in past weeks.")
    z: float = Field(description="Robust (modified) z-score.")
    size: float = Field(description="count - expected: positive for a spike, negative a dip.")


class VolumeAnomalies(BaseModel):
    threshold: float
    history_weeks: int
    hours_scored: int = Field(description="Hours with enough history to be scored.")
    anomalies: list[VolumeAnomaly]


class DataQualityView(BaseModel):
    period: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    relative_error: float = Field(description="Bound on the quantiles' relative error.")
    totals: QualityFigures
    periods: list[QualityPeriod]
    invalid_fields: list[InvalidField] = Field(
        description="The most frequent errors of invalid events over the range."
    )
    volume: VolumeAnomalies

    model_config = {"populate_by_name": True}
