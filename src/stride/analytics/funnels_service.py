"""Funnels over the stored step times of the learners who did step 1 (no scan of the log)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Connection

from stride.analytics.funnels import FunnelOrder, learner_path
from stride.analytics.funnels_vector import Paths, sequential_paths, stopped_at, summarize_paths
from stride.analytics.usage_fold import epoch_ms
from stride.analytics.usage_views import DropOffLearner, DropOffsView, FunnelStep, FunnelView
from stride.errors import FieldError, InvalidInput
from stride.events.types import EVENT_TYPE_PATTERN
from stride.store.funnel_times import funnel_times, rows_of

MIN_STEPS, MAX_STEPS = 2, 10
MAX_WINDOW_DAYS = 365
_TYPE = re.compile(EVENT_TYPE_PATTERN)


@dataclass(frozen=True)
class FunnelRequest:
    steps: tuple[str, ...]
    window_days: float = 14
    order: FunnelOrder = FunnelOrder.SEQUENTIAL
    entered_from: date | None = None  # step 1 on or after this day (UTC)
    entered_to: date | None = None  # step 1 on or before this day (UTC)


def check_funnel(request: FunnelRequest) -> None:
    """Raise InvalidInput naming the parameter that is wrong."""
    if not MIN_STEPS <= len(request.steps) <= MAX_STEPS:
        reason = f"give {MIN_STEPS} to {MAX_STEPS} steps"
        raise InvalidInput("Wrong number of funnel steps.", [FieldError("query.steps", reason)])
    for index, step in enumerate(request.steps):
        event_type, _, activity = step.partition(":")
        if not _TYPE.match(event_type) or (":" in step and not activity) or len(step) > 340:
            reason = "`<event type>` or `<event type>:<activity id>`"
            raise InvalidInput(
                "Unknown funnel step.", [FieldError(f"query.steps[{index}]", reason)]
            )
    if not 0 < request.window_days <= MAX_WINDOW_DAYS:
        reason = f"more than 0 and at most {MAX_WINDOW_DAYS}"
        raise InvalidInput("Bad conversion window.", [FieldError("query.window_days", reason)])
    if request.entered_from and request.entered_to and request.entered_from > request.entered_to:
        raise InvalidInput("`from` is after `to`.", [FieldError("query.from", "on or before `to`")])


def learner_paths(
    connection: Connection, tenant_id: str, request: FunnelRequest
) -> tuple[list[str], Paths]:
    """The learners who did step 1 and how far each got (see analytics/funnels.py): sequential
    funnels computed for all of them at once (analytics/funnels_vector.py)."""
    check_funnel(request)
    window = int(request.window_days * 86_400_000)
    entry = (_ms(request.entered_from), _ms(request.entered_to, 1))
    learners, occurrences = funnel_times(connection, tenant_id, request.steps)
    if request.order is FunnelOrder.SEQUENTIAL:
        return learners, sequential_paths(request.steps, occurrences, window, entry)
    lists = [rows_of(times) for times in occurrences]
    paths = [
        learner_path(request.steps, [o[n] for o in lists], window, request.order, entry, True)
        for n in range(len(learners))
    ]
    times = np.zeros((len(paths), len(request.steps)), dtype=np.int64)
    for n, path in enumerate(paths):
        times[n, : path.reached] = path.times
    reached = np.fromiter((p.reached for p in paths), dtype=np.int64, count=len(paths))
    return learners, Paths(reached, times)


def get_funnel(connection: Connection, tenant_id: str, request: FunnelRequest) -> FunnelView:
    _, paths = learner_paths(connection, tenant_id, request)
    figures = summarize_paths(paths, len(request.steps))
    return FunnelView(
        order=request.order.value,
        window_days=request.window_days,
        entered_from=request.entered_from,
        entered_to=request.entered_to,
        steps=[
            FunnelStep(
                step=step,
                learners=f.learners,
                conversion_from_start=f.conversion_from_start,
                conversion_from_previous=f.conversion_from_previous,
                median_seconds_from_previous=_seconds(f.median_ms_from_previous),
                median_seconds_from_start=_seconds(f.median_ms_from_start),
            )
            for step, f in zip(request.steps, figures, strict=True)
        ],
    )


def get_drop_offs(
    connection: Connection, tenant_id: str, request: FunnelRequest, step: int, page: tuple[int, int]
) -> DropOffsView:
    """Learners who reached `step` (1-based) but not the next, by key; `page` is (limit, offset)."""
    if not 1 <= step < len(request.steps):
        reason = f"from 1 to {len(request.steps) - 1} (a step that has a next one)"
        raise InvalidInput("Bad drop-off step.", [FieldError("query.step", reason)])
    keys = stopped_at(*learner_paths(connection, tenant_id, request), step)
    limit, offset = page
    return DropOffsView(
        step=step,
        total=len(keys),
        limit=limit,
        offset=offset,
        learners=[DropOffLearner(learner_key=key) for key in keys[offset : offset + limit]],
    )


def _ms(day: date | None, plus_days: int = 0) -> int | None:
    if day is None:
        return None
    return epoch_ms(datetime.combine(day + timedelta(days=plus_days), time(), tzinfo=UTC))


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000
