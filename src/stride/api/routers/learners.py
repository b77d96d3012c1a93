"""The learner read API: progress, activities, timeline; and the learner's profile."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from stride.api.deps import EngineDep, LearnerReader, LearnerWriter, learner_key_for
from stride.api.schemas.learners import (
    ActivitiesPublic,
    ActivityPublic,
    LearnerPublic,
    LearnerUpdate,
    ProgressPublic,
    TimelinePublic,
)
from stride.clock import utc_now
from stride.learners import queries
from stride.learners.profile import ProfileChanges, update_learner
from stride.progress.activity import ActivityStatus

router = APIRouter(prefix="/v1/learners", tags=["learners"])

Reader = LearnerReader
Writer = LearnerWriter
LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]


@router.get("/{learner_id}/progress", response_model=ProgressPublic)
def get_progress(learner_id: LearnerId, principal: Reader, engine: EngineDep) -> ProgressPublic:
    with engine.connect() as connection:
        view = queries.get_progress(
            connection, principal.tenant_id, learner_key_for(principal, learner_id), utc_now()
        )
    return ProgressPublic.model_validate(view)


@router.get("/{learner_id}/activities", response_model=ActivitiesPublic)
def get_activities(
    learner_id: LearnerId,
    principal: Reader,
    engine: EngineDep,
    status: ActivityStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ActivitiesPublic:
    with engine.connect() as connection:
        views = queries.list_activities(
            connection,
            principal.tenant_id,
            learner_key_for(principal, learner_id),
            status,
            limit,
            offset,
        )
    return ActivitiesPublic(
        data=[ActivityPublic.model_validate(v) for v in views], limit=limit, offset=offset
    )


@router.get("/{learner_id}/timeline", response_model=TimelinePublic)
def get_timeline(
    learner_id: LearnerId,
    principal: Reader,
    engine: EngineDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> TimelinePublic:
    with engine.connect() as connection:
        view = queries.get_timeline(
            connection,
            principal.tenant_id,
            learner_key_for(principal, learner_id),
            utc_now(),
            start,
            end,
        )
    return TimelinePublic.model_validate(view)


@router.put("/{learner_id}", response_model=LearnerPublic)
def put_learner(
    learner_id: LearnerId, update: LearnerUpdate, principal: Writer, engine: EngineDep
) -> LearnerPublic:
    """Set the learner's time zone (refolds their days and streaks) and/or display handle."""
    changes = (
        ProfileChanges(update.timezone, update.display_handle)
        if "display_handle" in update.model_fields_set
        else ProfileChanges(update.timezone)
    )
    key = learner_key_for(principal, learner_id)
    view = update_learner(engine, principal.tenant_id, key, learner_id, changes, utc_now())
    return LearnerPublic.model_validate(view)
