"""Change a learner's profile (their time zone), re-folding what depends on it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from stride.errors import Conflict, FieldError, InvalidInput
from stride.ingest.rebuild import rebuild_learner
from stride.learners.views import ProfileView
from stride.store import learners as learner_repo
from stride.store.locks import lock_learners
from stride.store.retention import has_deleted_events
from stride.store.transactions import write_transaction


def check_timezone(name: str) -> str:
    """Return the IANA zone name, or raise InvalidInput naming the field."""
    try:
        if not name or name != name.strip() or ".." in name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"Unknown time zone {name[:64]!r}.",
            [FieldError("timezone", "must be an IANA time zone such as Europe/Paris or UTC")],
        ) from None
    return name


def set_learner_timezone(
    engine: Engine, tenant_id: str, learner_key: str, timezone: str, now: datetime
) -> ProfileView:
    """Set the zone; the learner's daily rollups and streaks are refolded in the new local days."""
    timezone = check_timezone(timezone)
    with write_transaction(engine) as connection:
        # The same lock as ingest, so no batch folds this learner in the old zone meanwhile.
        lock_learners(connection, tenant_id, [learner_key])
        learner_repo.register_learners(connection, tenant_id, [learner_key], now)
        profile = learner_repo.get_profile(connection, tenant_id, learner_key)
        if profile is not None and profile.timezone != timezone:
            if has_deleted_events(connection, tenant_id):
                # Local days are refolded from the log, which no longer holds the old events.
                raise Conflict(
                    "Retention removed this tenant's older events, so the learner's days "
                    "cannot be recomputed in another time zone; the time zone stays "
                    f"{profile.timezone}."
                )
            learner_repo.set_timezone(connection, tenant_id, learner_key, timezone)
            rebuild_learner(connection, tenant_id, learner_key)
    return ProfileView(learner_key, timezone)
