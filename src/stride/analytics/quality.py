"""The data-quality report of a tenant: ingest outcomes, lateness, clock skew, PII findings and
volume anomalies per period, read from the counts ingest keeps (never from the raw log)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection

from stride.analytics.anomalies import (
    DEFAULT_HISTORY_WEEKS,
    DEFAULT_THRESHOLD,
    WEEK,
    find_anomalies,
)
from stride.analytics.lateness import (
    AHEAD,
    BAND_NAMES,
    RELATIVE_ERROR,
    histogram_quantile,
)
from stride.analytics.quality_periods import (
    Period,
    next_period,
    period_start,
    periods_of,
    resolve_range,
)
from stride.analytics.quality_tally import BAND, DELAY, VOLUME
from stride.analytics.quality_views import (
    ClockSkewFigures,
    DataQualityView,
    InvalidField,
    LatenessFigures,
    PiiFigures,
    QualityFigures,
    QualityPeriod,
    VolumeAnomalies,
    VolumeAnomaly,
)
from stride.store import analytics_quality as store

STATUSES = ("accepted", "duplicate", "conflict", "rejected")
REASONS = ("invalid", "pii", "consent", "retention")
TOP_FIELDS = 20


@dataclass(frozen=True)
class QualityRequest:
    period: Period = "day"
    first: date | None = None
    last: date | None = None
    threshold: float = DEFAULT_THRESHOLD
    history_weeks: int = DEFAULT_HISTORY_WEEKS


@dataclass
class _Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    delays: Counter[int] = field(default_factory=Counter)
    bands: Counter[int] = field(default_factory=Counter)
    pii: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, kind)

    def figures(self) -> QualityFigures:
        ahead = Counter({-b: n for b, n in self.delays.items() if b < 0})
        return QualityFigures(
            received=self.statuses.total(),
            **{status: self.statuses[status] for status in STATUSES},
            rejected_by_reason={reason: self.reasons[reason] for reason in REASONS},
            lateness=LatenessFigures(
                events=self.delays.total(),
                p50_s=histogram_quantile(self.delays, 0.5),
                p90_s=histogram_quantile(self.delays, 0.9),
                p99_s=histogram_quantile(self.delays, 0.99),
                bands={name: self.bands[index] for index, name in enumerate(BAND_NAMES)},
            ),
            clock_skew=ClockSkewFigures(
                events=self.bands[AHEAD],
                max_ahead_s=histogram_quantile(ahead, 1.0),
                p50_ahead_s=histogram_quantile(ahead, 0.5),
                p90_ahead_s=histogram_quantile(ahead, 0.9),
                p99_ahead_s=histogram_quantile(ahead, 0.99),
            ),
            pii_findings=PiiFigures(
                redacted={k: n for (a, k), n in sorted(self.pii.items()) if a == "redacted"},
                rejected={k: n for (a, k), n in sorted(self.pii.items()) if a == "rejected"},
            ),
        )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def get_data_quality(
    connection: Connection, tenant_id: str, request: QualityRequest, now: datetime
) -> DataQualityView:
    """Raises InvalidInput for a range that is reversed or too long."""
    period = request.period
    first, last = resolve_range(period, request.first, request.last, now.date())
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    periods = {s: _Tally() for s in periods_of(first, last, period)}
    total = _Tally()
    fields: Counter[tuple[str, str]] = Counter()
    for row in store.outcome_counts(connection, tenant_id, first, last):
        if row.path:
            fields[(row.path, row.message)] += row.count
            continue
        for tally in (total, periods[period_start(row.day, period)]):
            tally.statuses[row.status] += row.count
            if row.reason:
                tally.reasons[row.reason] += row.count
    _add_timing(connection, tenant_id, period, periods, start, end)
    for tally in periods.values():
        total.delays.update(tally.delays)
        total.bands.update(tally.bands)
    for (day, kind, action), count in store.pii_counts(connection, tenant_id, first, last).items():
        for tally in (total, periods[period_start(day, period)]):
            tally.pii[(action, kind)] += count
    today = now.date()
    return DataQualityView(
        period=period,
        from_=first,
        to=last,
        relative_error=RELATIVE_ERROR,
        totals=total.figures(),
        periods=[
            QualityPeriod(
                start=s,
                complete=s >= first and next_period(s, period) <= min(last + timedelta(1), today),
                figures=tally.figures(),
            )
            for s, tally in periods.items()
        ],
        invalid_fields=[
            InvalidField(path=path, message=message, count=count)
            for (path, message), count in fields.most_common(TOP_FIELDS)
        ],
        volume=_volume(connection, tenant_id, request, start, min(end, _hour(now))),
    )


def _add_timing(
    connection: Connection,
    tenant_id: str,
    period: Period,
    periods: dict[date, _Tally],
    start: datetime,
    end: datetime,
) -> None:
    """Fill each period's lateness histogram and bands from the daily rows."""
    for series in (DELAY, BAND):
        if period == "day":  # the rows are the periods
            daily = store.timing_counts(connection, tenant_id, series, start, end)
            found = [(periods[at.date()], bucket, n) for at, bucket, n in daily]
        else:  # summed per period by the database
            starts = list(periods)
            bounds = [max(_midnight(s), start) for s in starts] + [end]
            summed = store.timing_by_period(connection, tenant_id, series, bounds)
            found = [(periods[starts[i]], bucket, n) for i, bucket, n in summed]
        for tally, bucket, n in found:
            (tally.delays if series == DELAY else tally.bands)[bucket] += n


def _hour(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _volume(
    connection: Connection, tenant_id: str, request: QualityRequest, start: datetime, end: datetime
) -> VolumeAnomalies:
    """Anomalies among the complete hours of [start, end) (the current hour is not over)."""
    first_hour = store.first_timing_at(connection, tenant_id, VOLUME)
    scan = None
    if first_hour is not None and start < end:
        since = start - request.history_weeks * WEEK
        hourly = {
            at: n for at, _, n in store.timing_counts(connection, tenant_id, VOLUME, since, end)
        }
        scan = find_anomalies(
            hourly, start, end, first_hour, request.threshold, request.history_weeks
        )
    return VolumeAnomalies(
        threshold=request.threshold,
        history_weeks=request.history_weeks,
        hours_scored=scan.scored if scan else 0,
        anomalies=[
            VolumeAnomaly(hour=a.hour, count=a.count, expected=a.expected, z=a.z, size=a.size)
            for a in (scan.anomalies if scan else [])
        ],
    )
