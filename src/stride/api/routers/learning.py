"""A learner's learning, read against the catalog: programs, modules, skills, trends,
patterns, forecasts, sessions and enrollments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from stride.api.deps import EngineDep, LearnerReader, LearnerWriter, SettingsDep, learner_key_for
from stride.clock import utc_now
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope
from stride.learners import enrollments, insights, programs, skills

router = APIRouter(prefix="/v1/learners", tags=["learning"])

Reader = LearnerReader
Writer = LearnerWriter
LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
# Catalog ids may hold slashes (pmf/c1/m2), so they take the rest of the path.
ActivityId = Annotated[str, Path(min_length=1, max_length=256, description="A catalog id")]


@router.get("/{learner_id}/programs/{program_id:path}", response_model=programs.ProgramView)
def get_program(
    learner_id: LearnerId, program_id: ActivityId, principal: Reader, engine: EngineDep
) -> programs.ProgramView:
    """Weighted completion of every course, module and item of a program (or course), with
    planned pace (from the enrollment's target date) beside actual progress."""
    with engine.connect() as connection:
        return programs.get_program(
            connection,
            principal.tenant_id,
            learner_key_for(principal, learner_id),
            program_id,
            utc_now(),
        )


@router.get("/{learner_id}/modules/{module_id:path}", response_model=programs.ModuleView)
def get_module(
    learner_id: LearnerId, module_id: ActivityId, principal: Reader, engine: EngineDep
) -> programs.ModuleView:
    """A module's completion and the learner's readiness from the last scored attempts."""
    with engine.connect() as connection:
        return programs.get_module(
            connection,
            principal.tenant_id,
            learner_key_for(principal, learner_id),
            module_id,
            utc_now(),
        )


@router.get("/{learner_id}/skills", response_model=skills.SkillsView)
def get_skills(learner_id: LearnerId, principal: Reader, engine: EngineDep) -> skills.SkillsView:
    """Mastery per skill with its weekly history, and the competency radar now and by week."""
    with engine.connect() as connection:
        return skills.get_skills(
            connection, principal.tenant_id, learner_key_for(principal, learner_id), utc_now()
        )


@router.get("/{learner_id}/trends", response_model=insights.TrendsView)
def get_trends(learner_id: LearnerId, principal: Reader, engine: EngineDep) -> insights.TrendsView:
    """Improvement velocity, consistency, learning curve, plateaus and breakthroughs."""
    with engine.connect() as connection:
        return insights.get_trends(
            connection, principal.tenant_id, learner_key_for(principal, learner_id)
        )


@router.get("/{learner_id}/patterns", response_model=insights.PatternsView)
def get_patterns(
    learner_id: LearnerId, principal: Reader, engine: EngineDep
) -> insights.PatternsView:
    """When the learner learns: peak hours and days in their time zone, session length,
    regularity."""
    with engine.connect() as connection:
        return insights.get_patterns(
            connection, principal.tenant_id, learner_key_for(principal, learner_id)
        )


@router.get("/{learner_id}/forecast", response_model=programs.ForecastView)
def get_forecast(
    learner_id: LearnerId,
    principal: Reader,
    engine: EngineDep,
    program: Annotated[str, Query(min_length=1, max_length=256, description="Program or course")],
) -> programs.ForecastView:
    """Predicted completion date with an 80% interval, and each skill's projected mastery."""
    with engine.connect() as connection:
        return programs.get_forecast(
            connection,
            principal.tenant_id,
            learner_key_for(principal, learner_id),
            program,
            utc_now(),
        )


@router.get("/{learner_id}/sessions", response_model=insights.SessionsView)
def get_sessions(
    learner_id: LearnerId,
    principal: Reader,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> insights.SessionsView:
    """Session summaries, most recent first (inferred from 30-minute gaps where a platform
    sends no session events)."""
    with engine.connect() as connection:
        return insights.get_sessions(
            connection, principal.tenant_id, learner_key_for(principal, learner_id), limit, offset
        )


class EnrollmentsPublic(BaseModel):
    data: list[enrollments.EnrollmentView]


class EnrollmentCreate(BaseModel):
    activity_id: str = Field(min_length=1, max_length=256)
    activity_type: Literal["program", "course"] | None = Field(
        None, description="Needed only when the catalog does not know the activity"
    )
    target_date: date | None = None
    enrolled_at: datetime | None = Field(None, description="Default: now")


@router.get("/{learner_id}/enrollments", response_model=EnrollmentsPublic)
def get_enrollments(
    learner_id: LearnerId, principal: Reader, engine: EngineDep
) -> EnrollmentsPublic:
    with engine.connect() as connection:
        found = enrollments.list_enrollments(
            connection, principal.tenant_id, learner_key_for(principal, learner_id), utc_now()
        )
    return EnrollmentsPublic(data=found)


def _limits(settings: SettingsDep) -> ValidationLimits:
    return ValidationLimits(utc_now(), timedelta(hours=settings.MAX_FUTURE_SKEW_HOURS))


@router.post(
    "/{learner_id}/enrollments",
    response_model=enrollments.EnrollmentView,
    status_code=status.HTTP_201_CREATED,
)
async def post_enrollment(
    learner_id: LearnerId,
    body: EnrollmentCreate,
    principal: Writer,
    engine: EngineDep,
    settings: SettingsDep,
) -> enrollments.EnrollmentView:
    """Enroll the learner (records an `enrollment.created` event)."""
    request = enrollments.EnrollmentRequest(
        body.activity_id, body.activity_type, body.target_date, body.enrolled_at
    )
    scope = TenantScope(principal.tenant_id, principal.learner_secret)
    limits = _limits(settings)
    return await run_in_threadpool(
        enrollments.enroll, engine, scope, learner_id, request, limits, limits.now
    )


@router.delete(
    "/{learner_id}/enrollments/{activity_id:path}", response_model=enrollments.EnrollmentView
)
async def delete_enrollment(
    learner_id: LearnerId,
    activity_id: ActivityId,
    principal: Writer,
    engine: EngineDep,
    settings: SettingsDep,
) -> enrollments.EnrollmentView:
    """Cancel an enrollment (records an `enrollment.cancelled` event)."""
    scope = TenantScope(principal.tenant_id, principal.learner_secret)
    limits = _limits(settings)
    return await run_in_threadpool(
        enrollments.cancel_enrollment, engine, scope, learner_id, activity_id, limits, limits.now
    )
