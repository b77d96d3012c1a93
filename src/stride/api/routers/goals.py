"""A learner's goals: weekly minutes, sessions per week, a module by a date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from stride.api.deps import EngineDep, LearnerReader, SettingsDep, learner_key_for, require
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope
from stride.learners import goals
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/learners", tags=["goals"])

Writer = Annotated[Principal, Depends(require("goals:write"))]
LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
GoalId = Annotated[str, Path(min_length=1, max_length=64)]


class GoalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["weekly_minutes", "sessions_per_week", "module_by_date"]
    target: int | None = Field(
        None, ge=1, le=10080, description="Minutes or sessions per week; not for module_by_date"
    )
    module: str | None = Field(None, min_length=1, max_length=256)
    due: date | None = None


def _limits(settings: SettingsDep) -> ValidationLimits:
    return ValidationLimits(utc_now(), timedelta(hours=settings.MAX_FUTURE_SKEW_HOURS))


@router.get("/{learner_id}/goals", response_model=goals.GoalsView)
def get_goals(
    learner_id: LearnerId, principal: LearnerReader, engine: EngineDep
) -> goals.GoalsView:
    """Every goal with this week's progress, past weeks, or the module's completion and pace."""
    with engine.connect() as connection:
        key = learner_key_for(principal, learner_id)
        return goals.list_goals(connection, principal.tenant_id, key, utc_now())


@router.post(
    "/{learner_id}/goals", response_model=goals.GoalView, status_code=status.HTTP_201_CREATED
)
async def post_goal(
    learner_id: LearnerId,
    body: GoalCreate,
    principal: Writer,
    engine: EngineDep,
    settings: SettingsDep,
) -> goals.GoalView:
    """Set a goal (records a `goal.set` event)."""
    learner_key_for(principal, learner_id)  # a learner token sets its own goals only
    request = goals.GoalRequest(body.kind, body.target, body.module, body.due)
    scope = TenantScope(principal.tenant_id, principal.learner_secret)
    limits = _limits(settings)
    return await run_in_threadpool(
        goals.set_goal, engine, scope, learner_id, request, limits, limits.now
    )


@router.delete("/{learner_id}/goals/{goal_id}", response_model=goals.GoalView)
async def delete_goal(
    learner_id: LearnerId,
    goal_id: GoalId,
    principal: Writer,
    engine: EngineDep,
    settings: SettingsDep,
) -> goals.GoalView:
    """Cancel a goal (records a `goal.cancelled` event); cancelling twice changes nothing."""
    learner_key_for(principal, learner_id)
    scope = TenantScope(principal.tenant_id, principal.learner_secret)
    limits = _limits(settings)
    return await run_in_threadpool(
        goals.cancel_goal, engine, scope, learner_id, goal_id, limits, limits.now
    )
