"""One ingest batch's data-quality tally: outcomes and accepted events' timing (pure).

Built by the ingest pipeline once per batch and added to the stored counts in the batch's
write transaction (stride.store.analytics_quality).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

import numpy as np
import numpy.typing as npt

from stride.analytics.lateness import delay_buckets, lateness_bands

VOLUME, DELAY, BAND = "volume", "delay", "band"  # the series of ingest_timing
MAX_PATH, MAX_MESSAGE = 100, 200
MAX_FIELDS_PER_BATCH = 20  # distinct (path, message) pairs kept per batch; the rest: OTHER
OTHER = "(other)"
_INDEX = re.compile(r"\[\d+\]")
_FREE_FORM = frozenset({"properties", "context"})
_OBJECTS = _FREE_FORM | {"activity", "result"}  # the event's fields that are objects
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000


class _FieldErrorLike(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def reason(self) -> str: ...


class OutcomeLike(Protocol):
    """What the tally reads of an ingest outcome (stride.ingest.pipeline.EventOutcome)."""

    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def errors(self) -> tuple[_FieldErrorLike, ...]: ...


@dataclass
class IngestTally:
    """outcomes: (status, reason, path, message) -> count, on `day`; path "" counts events,
    else invalid events' errors. timing: (series, at, bucket) -> accepted events."""

    day: date
    outcomes: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    timing: Counter[tuple[str, datetime, int]] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.outcomes or self.timing)


def normalized_path(path: str, reason: str = "") -> str:
    """The path kept for an error: list positions as [] ('skills[3].id' -> 'skills[].id'), and
    no name the sender chose (they could be personal data, which these counts must never
    hold): free-form keys under properties/context become '*', as do unknown fields."""
    path = _INDEX.sub("[]", path)
    head = path.partition(".")[0].split("[")[0]
    if head in _FREE_FORM and path != head:
        path = f"{head}.*"
    if reason == "unknown field":  # the field's name is the sender's: keep its object only
        path = f"{head}.*" if head in _OBJECTS and path != head else "*"
    return path[:MAX_PATH]


def tally_batch(
    received_at: datetime, outcomes: Iterable[OutcomeLike], accepted: Iterable[datetime]
) -> IngestTally:
    """The batch's outcomes per status and reason, invalid events' errors per field, and
    its accepted events' hour, lateness bucket and band (`accepted`: their timestamps)."""
    day = received_at.astimezone(UTC).date()
    tally = IngestTally(day)
    found = list(outcomes)
    for (status, reason), n in Counter((o.status, o.reason) for o in found).items():
        tally.outcomes[(str(status), "" if reason is None else str(reason), "", "")] += n
    fields = Counter(
        (normalized_path(error.path, error.reason), error.reason[:MAX_MESSAGE])
        for outcome in found
        if outcome.reason == "invalid"
        for error in outcome.errors
    )
    kept = fields.most_common(MAX_FIELDS_PER_BATCH)
    for (path, message), count in kept:
        tally.outcomes[("rejected", "invalid", path, message)] += count
    rest = fields.total() - sum(count for _, count in kept)
    if rest:
        tally.outcomes[("rejected", "invalid", OTHER, "")] += rest
    _tally_timing(tally, received_at, accepted)
    return tally


def _tally_timing(tally: IngestTally, received_at: datetime, accepted: Iterable[datetime]) -> None:
    stamps = np.fromiter(((t - _EPOCH) // _MICROSECOND for t in accepted), dtype=np.int64)
    if not len(stamps):
        return
    lateness = (received_at - _EPOCH) // _MICROSECOND - stamps
    midnight = datetime.combine(tally.day, time(), UTC)
    for series, buckets in ((DELAY, delay_buckets(lateness)), (BAND, lateness_bands(lateness))):
        for bucket, n in _counts(buckets):
            tally.timing[(series, midnight, bucket)] += n
    for hour, n in _counts(stamps // _HOUR_US):
        tally.timing[(VOLUME, _EPOCH + timedelta(hours=hour), 0)] += n


def _counts(values: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
    keys, counts = np.unique(values, return_counts=True)
    return list(zip(keys.tolist(), counts.tolist(), strict=True))
