"""Weekly leaderboards: points ranked among learners who opted in, shown by display handle.

Only learners who consent to the `leaderboard` purpose are ranked at all, so one who did not
neither appears nor pushes anyone down. Boards of a program or cohort below the tenant's
`min_group_size` are withheld whole, the requested learner's rank included.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection

from stride.catalog.engagement import leaderboard_rules
from stride.errors import NotFound
from stride.learners.enrollments import cohort_of
from stride.privacy.consent import learners_with_consent
from stride.privacy.policy import Purpose
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.progress.ranking import Ranked, rank_by_points
from stride.store.catalogs import load_catalog
from stride.store.leaderboards import display_handles, enrolled_since, week_points

ANONYMOUS = "Anonymous learner"


@dataclass(frozen=True)
class LeaderboardRequest:
    week: date | None = None  # any day of the week; default: the current UTC week
    program: str | None = None
    cohort: str | None = None  # ISO week of enrollment, e.g. 2026-W47
    top: int | None = None  # default: the catalog's `leaderboards.top`
    learner_key: str | None = None  # whose rank to report beside the top entries


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    display_handle: str
    points: int


@dataclass(frozen=True)
class LearnerStanding:
    on_board: bool
    rank: int | None
    points: int
    note: str | None


@dataclass(frozen=True)
class LeaderboardView:
    period: Literal["week"]
    week: date
    program: str | None
    cohort: str | None
    top: int
    ranked_learners: int  # opted-in learners with points this week (0 when withheld)
    entries: list[LeaderboardEntry]
    learner: LearnerStanding | None
    withheld: bool
    note: str | None


def week_of(day: date) -> date:
    """The Monday of `day`'s week: how learner_points names weeks."""
    return day - timedelta(days=day.weekday())


def get_leaderboard(
    connection: Connection, tenant_id: str, request: LeaderboardRequest, now: datetime
) -> LeaderboardView:
    """The board for one week; raises NotFound when the catalog switches leaderboards off."""
    stored = load_catalog(connection, tenant_id)
    rules = leaderboard_rules(stored.catalog if stored else None)
    if not rules.enabled:
        raise NotFound("This tenant's catalog switches leaderboards off (leaderboards.enabled).")
    week = week_of(request.week or now.date())
    top = request.top or rules.top
    points = week_points(connection, tenant_id, week)
    grouped = request.program is not None or request.cohort is not None
    if grouped:
        members = _members(connection, tenant_id, request.program, request.cohort)
        points = {key: value for key, value in points.items() if key in members}
    policy = get_policy(connection, tenant_id)
    shown = learners_with_consent(connection, tenant_id, points, Purpose.LEADERBOARD, policy)
    handles = display_handles(connection, tenant_id, shown)
    if not rules.show_anonymous:
        shown = {key for key in shown if key in handles}
    ranked = rank_by_points((key, points[key]) for key in shown)

    def view(
        entries: list[Ranked], standing: LearnerStanding | None, note: str | None
    ) -> LeaderboardView:
        return LeaderboardView(
            period="week",
            week=week,
            program=request.program,
            cohort=request.cohort,
            top=top,
            ranked_learners=len(ranked) if note is None else 0,
            entries=[
                LeaderboardEntry(r.rank, handles.get(r.key, ANONYMOUS), r.points) for r in entries
            ],
            learner=standing,
            withheld=note is not None,
            note=note,
        )

    if grouped:
        suppressed = suppress_small_groups([ranked], len, policy.document.min_group_size)
        if not suppressed.shown:
            return view([], None, _withheld_note(policy.document.min_group_size))
    standing = (
        _standing(request.learner_key, ranked, points, shown)
        if request.learner_key is not None
        else None
    )
    return view(ranked[:top], standing, None)


def _withheld_note(min_group_size: int) -> str:
    return (
        f"This board has fewer than {min_group_size} opted-in learners with points this week, "
        "so it is not shown: no one can be singled out."
    )


def _members(
    connection: Connection, tenant_id: str, program: str | None, cohort: str | None
) -> set[str]:
    return {
        key
        for key, enrolled_at in enrolled_since(connection, tenant_id, program)
        if cohort is None or cohort_of(enrolled_at) == cohort
    }


def _standing(
    key: str, ranked: list[Ranked], points: dict[str, int], shown: Collection[str]
) -> LearnerStanding:
    for entry in ranked:
        if entry.key == key:
            return LearnerStanding(True, entry.rank, entry.points, None)
    if key not in points:
        reason = "no points this week on this board (or not enrolled in its program or cohort)"
    elif key not in shown:
        reason = "not opted in to leaderboards (consent `leaderboard`), or no display handle"
    else:  # pragma: no cover - every shown learner is ranked
        reason = "not ranked"
    return LearnerStanding(False, None, points.get(key, 0), f"Not on this leaderboard: {reason}.")
