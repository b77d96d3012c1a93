"""The learner's profile, or NotFound for a learner Stride has never seen."""

from __future__ import annotations

from sqlalchemy import Connection

from stride.errors import NotFound
from stride.store import learners as learner_repo
from stride.store.learners import LearnerProfile


def learner_profile(connection: Connection, tenant_id: str, learner_key: str) -> LearnerProfile:
    profile = learner_repo.get_profile(connection, tenant_id, learner_key)
    if profile is None:
        raise NotFound("No activity or profile for this learner in this tenant.")
    return profile
