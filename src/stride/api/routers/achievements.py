"""A learner's achievements (earned, and progress towards the others) and weekly points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict

from stride.achievements import service
from stride.api.deps import EngineDep, LearnerReader, learner_key_for, require
from stride.clock import utc_now
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/learners", tags=["achievements"])

LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
AchievementId = Annotated[str, Path(min_length=1, max_length=64, description="An achievement id")]
Writer = Annotated[Principal, Depends(require("achievements:write"))]


class CelebrationUpdate(BaseModel):
    """What the UI reports about an earned achievement."""

    model_config = ConfigDict(extra="forbid", strict=True)

    celebration_shown: bool


@router.get("/{learner_id}/achievements", response_model=service.AchievementsView)
def get_achievements(
    learner_id: LearnerId, principal: LearnerReader, engine: EngineDep
) -> service.AchievementsView:
    """Earned achievements, and progress towards the others with an estimated date at the
    learner's recent pace; total points and this week's."""
    with engine.connect() as connection:
        return service.get_achievements(
            connection, principal.tenant_id, learner_key_for(principal, learner_id), utc_now()
        )


@router.patch("/{learner_id}/achievements/{achievement_id}", response_model=service.EarnedView)
def update_achievement(
    learner_id: LearnerId,
    achievement_id: AchievementId,
    update: CelebrationUpdate,
    principal: Writer,
    engine: EngineDep,
) -> service.EarnedView:
    """Record that the UI celebrated an earned achievement (404 when it is not earned)."""
    return service.set_celebration_shown(
        engine,
        principal.tenant_id,
        learner_key_for(principal, learner_id),
        achievement_id,
        update.celebration_shown,
        utc_now(),
    )


@router.get("/{learner_id}/points", response_model=service.PointsView)
def get_points(
    learner_id: LearnerId, principal: LearnerReader, engine: EngineDep
) -> service.PointsView:
    """Points per week (events' weights and achievements' points), total and this week's."""
    with engine.connect() as connection:
        return service.get_points(
            connection, principal.tenant_id, learner_key_for(principal, learner_id), utc_now()
        )
