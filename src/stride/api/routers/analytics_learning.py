"""Learning analytics under /v1/analytics: content, items, coaching, outcomes
(see docs/analytics-learning.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from stride.analytics.coaching_service import CoachingView, get_coaching
from stride.analytics.content_scope import Scope
from stride.analytics.content_service import ContentView, get_content
from stride.analytics.items_service import ItemsView, get_items
from stride.analytics.outcomes_service import OutcomesView, get_outcomes
from stride.api.deps import EngineDep, require
from stride.clock import utc_now
from stride.errors import FieldError, InvalidInput
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Analyst = Annotated[Principal, Depends(require("analytics:read"))]
CatalogId = Query(min_length=1, max_length=256)
MAX_PERIOD_DAYS = 3660
DEFAULT_COACHING_DAYS = 28
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def _scope(
    program: Annotated[str | None, CatalogId] = None,
    course: Annotated[str | None, CatalogId] = None,
    module: Annotated[str | None, CatalogId] = None,
) -> Scope:
    return Scope(program, course, module)


ScopeDep = Annotated[Scope, Depends(_scope)]
From = Annotated[date | None, Query(alias="from", description="First day of the period (UTC)")]
To = Annotated[date | None, Query(alias="to", description="Day after the period (exclusive)")]


def _period(
    start: date | None, end: date | None, default_days: int | None
) -> tuple[date | None, date]:
    for name, day in (("from", start), ("to", end)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise InvalidInput(
                f"`{name}` must lie between {EARLIEST} and {LATEST}.",
                [FieldError(name, "out of range")],
            )
    end = end or utc_now().date() + timedelta(days=1)
    if start is None and default_days is not None:
        start = end - timedelta(days=default_days)
    if start is not None and start >= end:
        raise InvalidInput("`from` must come before `to`.", [FieldError("from", "not before to")])
    if start is not None and (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"The period may span at most {MAX_PERIOD_DAYS} days.",
            [FieldError("from", f"more than {MAX_PERIOD_DAYS} days before to")],
        )
    return start, end


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=utc_now().tzinfo)


@router.get("/content", response_model=ContentView)
def get_content_figures(principal: Analyst, engine: EngineDep, scope: ScopeDep) -> ContentView:
    """Per catalog module and item: learners, completions, completion rate, median time of
    completers, mean best score, pass rate, and where learners who did not finish stopped."""
    with engine.connect() as connection:
        return get_content(connection, principal.tenant_id, scope)


@router.get("/items", response_model=ItemsView)
def get_item_figures(principal: Analyst, engine: EngineDep, scope: ScopeDep) -> ItemsView:
    """Per item with graded attempts: difficulty, first-attempt correct rate, discrimination
    (point-biserial against the rest score), attempts and learners."""
    with engine.connect() as connection:
        return get_items(connection, principal.tenant_id, scope)


@router.get("/coaching", response_model=CoachingView)
def get_coaching_figures(
    principal: Analyst, engine: EngineDep, start: From = None, end: To = None
) -> CoachingView:
    """Practice-session completion, and meeting analyses uploaded in the period (default: the
    last 28 days): succeeded, failed, median processing time, analyses per learner per week."""
    first, last = _period(start, end, DEFAULT_COACHING_DAYS)
    assert first is not None
    with engine.connect() as connection:
        return get_coaching(connection, principal.tenant_id, _at(first), _at(last))


@router.get("/outcomes", response_model=OutcomesView)
def get_outcome_figures(
    principal: Analyst, engine: EngineDep, start: From = None, end: To = None
) -> OutcomesView:
    """Competency growth and gap closure per dimension, practice volume against improvement
    (Spearman), and learning velocity, over the period (default: all time up to today)."""
    first, last = _period(start, end, None)
    with engine.connect() as connection:
        return get_outcomes(connection, principal.tenant_id, first, last)
