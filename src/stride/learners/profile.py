"""Change a learner's profile (time zone, display handle), re-folding what depends on it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine

from stride.errors import Conflict, FieldError, InvalidInput
from stride.ingest.rebuild import rebuild_learner
from stride.learners.views import ProfileView
from stride.privacy.pii import scan_text
from stride.store import learners as learner_repo
from stride.store.locks import lock_learners
from stride.store.retention import has_deleted_events
from stride.store.transactions import write_transaction

MAX_HANDLE_LENGTH = 64
_UNSET = object()


@dataclass(frozen=True)
class ProfileChanges:
    """Fields to change; `display_handle=None` clears the handle, leaving it out keeps it."""

    timezone: str | None = None
    display_handle: str | object | None = _UNSET


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


def check_display_handle(handle: str, learner_id: str) -> str:
    """The handle with outer spaces removed; InvalidInput when it is empty, too long, holds
    control characters or personal data (an e-mail address, a phone number...), or is the
    learner's own id: leaderboards must never show who someone is."""

    def refuse(reason: str) -> InvalidInput:
        return InvalidInput(
            "The display handle is not valid.", [FieldError("display_handle", reason)]
        )

    handle = handle.strip()
    if not 1 <= len(handle) <= MAX_HANDLE_LENGTH:
        raise refuse(f"must be 1 to {MAX_HANDLE_LENGTH} characters")
    if any(unicodedata.category(c).startswith("C") for c in handle):
        raise refuse("must not hold control or invisible characters")
    findings = scan_text(handle)
    if findings:
        kinds = ", ".join(sorted({f.kind for f in findings}))
        raise refuse(f"must not hold personal data (found: {kinds})")
    if handle.casefold() == learner_id.strip().casefold():
        raise refuse("must not be the learner's id")
    return handle


def set_learner_timezone(
    engine: Engine, tenant_id: str, learner_key: str, timezone: str, now: datetime
) -> ProfileView:
    """Set the zone; the learner's daily rollups and streaks are refolded in the new local days."""
    return update_learner(engine, tenant_id, learner_key, "", ProfileChanges(timezone), now)


def update_learner(
    engine: Engine,
    tenant_id: str,
    learner_key: str,
    learner_id: str,
    changes: ProfileChanges,
    now: datetime,
) -> ProfileView:
    """Apply `changes` in one transaction and return the profile.

    Raises InvalidInput for a bad zone or handle, Conflict when the zone cannot be refolded.
    """
    timezone = check_timezone(changes.timezone) if changes.timezone is not None else None
    handle = changes.display_handle
    if isinstance(handle, str):
        handle = check_display_handle(handle, learner_id)
    with write_transaction(engine) as connection:
        # The same lock as ingest, so no batch folds this learner in the old zone meanwhile.
        lock_learners(connection, tenant_id, [learner_key])
        learner_repo.register_learners(connection, tenant_id, [learner_key], now)
        if timezone is not None:
            _change_timezone(connection, tenant_id, learner_key, timezone)
        if handle is None or isinstance(handle, str):
            learner_repo.set_display_handle(connection, tenant_id, learner_key, handle)
        profile = learner_repo.get_profile(connection, tenant_id, learner_key)
        shown = learner_repo.get_display_handle(connection, tenant_id, learner_key)
    assert profile is not None  # registered above
    return ProfileView(learner_key, profile.timezone, shown)


def _change_timezone(
    connection: Connection, tenant_id: str, learner_key: str, timezone: str
) -> None:
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
