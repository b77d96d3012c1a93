"""A learner's other platform ids (aliases): list, link and unlink (docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response, status
from pydantic import BaseModel, Field

from stride.api.deps import EngineDep, audited_learner_read, learner_key_for, require
from stride.clock import utc_now
from stride.learners import aliases as service
from stride.tenancy.service import Principal

router = APIRouter(prefix="/v1/learners", tags=["learners"])

LearnerId = Annotated[
    str, Path(min_length=1, max_length=256, description="The platform's own learner id")
]
Linker = Annotated[Principal, Depends(require("learners:link"))]


class AliasPublic(BaseModel):
    alias: str = Field(description="Another platform id of the learner, as it was linked")
    linked_at: datetime


class AliasesPublic(BaseModel):
    data: list[AliasPublic]


class AliasLinkPublic(BaseModel):
    alias: str
    linked: bool = Field(description="Whether the alias is linked to the learner now")
    changed: bool = Field(description="False when it was so already (nothing was done)")
    linked_at: datetime | None
    events_moved: int = Field(description="Stored events that changed learner")
    events_folded: int = Field(description="Events refolded into the read models")


def _public(link: service.AliasLink, linked: bool) -> AliasLinkPublic:
    return AliasLinkPublic(
        alias=link.alias,
        linked=linked,
        changed=link.changed,
        linked_at=link.linked_at,
        events_moved=link.events_moved,
        events_folded=link.events_folded,
    )


@router.get("/{learner_id}/aliases", response_model=AliasesPublic)
def list_aliases(
    learner_id: LearnerId,
    principal: Annotated[Principal, Depends(audited_learner_read("learners:link"))],
    engine: EngineDep,
) -> AliasesPublic:
    """The learner's other platform ids, oldest link first."""
    key = learner_key_for(principal, learner_id)
    with engine.connect() as connection:
        views = service.list_aliases(connection, principal, key)
    return AliasesPublic(data=[AliasPublic(alias=v.alias, linked_at=v.linked_at) for v in views])


@router.post(
    "/{learner_id}/aliases",
    response_model=AliasLinkPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Linked already: nothing changed"}},
)
def link_alias(
    learner_id: LearnerId,
    principal: Linker,
    engine: EngineDep,
    response: Response,
    body: Annotated[
        dict[str, Any],
        Body(
            description="Another platform id of this learner: events under either id then "
            "fold into one learner, and the read models are refolded.",
            examples=[{"alias": "app-user-8812"}],
        ),
    ],
) -> AliasLinkPublic:
    """Link another platform id to this learner (audited; undo with DELETE)."""
    alias = service.parse_alias(body)
    link = service.link_alias(engine, principal, learner_id, alias, utc_now())
    if not link.changed:
        response.status_code = status.HTTP_200_OK
    return _public(link, linked=True)


@router.delete("/{learner_id}/aliases/{alias}", response_model=AliasLinkPublic)
def unlink_alias(
    learner_id: LearnerId,
    alias: Annotated[str, Path(min_length=1, max_length=256, description="The linked id")],
    principal: Linker,
    engine: EngineDep,
) -> AliasLinkPublic:
    """Unlink an alias: its events fold into a learner of their own again (audited)."""
    link = service.unlink_alias(engine, principal, learner_id, alias, utc_now())
    return _public(link, linked=False)
