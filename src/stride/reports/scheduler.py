"""When a report's cron expression fires (pure: UTC, no clock reads; pass the instants in).

Five fields (minute hour day-of-month month day-of-week), evaluated in UTC by `croniter`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

from stride.errors import FieldError, InvalidInput

MAX_CRON_LENGTH = 200
# A window longer than this yields its last due times only (a server down for a long while
# must not fire a backlog of runs when it comes back).
MAX_DUE = 1000


def check_cron(expression: str, field: str = "cron") -> str:
    """The expression, normalised; raises InvalidInput naming `field` when it is not a valid
    five-field cron expression."""
    cleaned = " ".join(expression.split())
    if len(cleaned) > MAX_CRON_LENGTH or len(cleaned.split(" ")) != 5:
        raise _invalid(field, "five fields: minute hour day-of-month month day-of-week")
    if not croniter.is_valid(cleaned):
        raise _invalid(field, "not a valid cron expression")
    try:
        croniter(cleaned, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (ValueError, KeyError, ArithmeticError) as exc:  # e.g. 30 February
        raise _invalid(field, f"never fires: {exc}") from exc
    return cleaned


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"The cron expression is refused: {reason}.", [FieldError(field, reason)])


def due_times(expression: str, after: datetime, until: datetime) -> list[datetime]:
    """The instants the expression fires in (`after`, `until`], oldest first (UTC)."""
    if until <= after:
        return []
    found: list[datetime] = []
    times = croniter(expression, after.astimezone(UTC))
    while True:
        moment = times.get_next(datetime)
        if moment > until:
            return found
        found.append(moment)
        if len(found) > MAX_DUE:
            found.pop(0)


def latest_due(expression: str, after: datetime, until: datetime) -> datetime | None:
    """The last instant in (`after`, `until`]: missed firings coalesce into one run."""
    if until <= after:
        return None
    moment: datetime = croniter(expression, until.astimezone(UTC)).get_prev(datetime)
    # get_prev is strictly before `until`; `until` itself may be a firing.
    if croniter.match(expression, until.astimezone(UTC)) and until.second == 0:
        moment = until.astimezone(UTC).replace(microsecond=0)
    return moment if moment > after else None


def next_due(expression: str, after: datetime) -> datetime:
    """The first instant strictly after `after` the expression fires."""
    found: datetime = croniter(expression, after.astimezone(UTC)).get_next(datetime)
    return found
