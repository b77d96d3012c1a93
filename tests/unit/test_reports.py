"""Report rules on hand-made figures: periods, highlights, suggested goals, changes, goals,
and the renderers (HTML escaping, CSV, PDF text)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from stride.errors import InvalidInput
from stride.learners.goals import GoalView, GoalWeekView
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.reports.highlights import Metric, highlights
from stride.reports.learner_challenges import goal_challenges, time_challenge
from stride.reports.learner_report import DayFigure, Earned, Figure, LearnerReport, RadarPoint
from stride.reports.learner_rules import (
    Change,
    SkillStanding,
    activities_as_of,
    skill_changes,
    streak_on,
    suggest_goals,
    weekly_totals,
)
from stride.reports.periods import ReportKind, ReportPeriod, resolve_period
from stride.reports.render_csv import render_learner_csv
from stride.reports.render_html import render_learner_html
from stride.reports.render_pdf import render_learner_pdf

WEEK = ReportPeriod("week", date(2024, 5, 6), date(2024, 5, 12), True)
BEFORE = ReportPeriod("week", date(2024, 4, 29), date(2024, 5, 5), True)


@pytest.mark.parametrize(
    ("kind", "end", "today", "start", "last", "previous_start"),
    [
        ("week", None, date(2024, 5, 15), date(2024, 5, 6), date(2024, 5, 12), date(2024, 4, 29)),
        (
            "week",
            date(2024, 5, 15),
            date(2024, 5, 15),
            date(2024, 5, 13),
            date(2024, 5, 19),
            date(2024, 5, 6),
        ),
        ("month", None, date(2024, 3, 10), date(2024, 2, 1), date(2024, 2, 29), date(2024, 1, 1)),
        (
            "month",
            date(2024, 1, 20),
            date(2024, 6, 1),
            date(2024, 1, 1),
            date(2024, 1, 31),
            date(2023, 12, 1),
        ),
    ],
)
def test_resolve_period(
    kind: ReportKind,
    end: date | None,
    today: date,
    start: date,
    last: date,
    previous_start: date,
) -> None:
    period, previous = resolve_period(kind, end, today)
    assert (period.start, period.end, previous.start) == (start, last, previous_start)
    assert previous.end == start - timedelta(days=1)
    assert period.complete == (last < today)


@pytest.mark.parametrize("end", [date(1899, 12, 31), date(3000, 1, 1), date(1, 1, 1)])
def test_resolve_period_bounds(end: date) -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve_period("week", end, date(2024, 5, 1))
    assert raised.value.errors[0].path == "query.end"


def _m(key: str, value: float | None, previous: float | None, unit: str = "count") -> Metric:
    return Metric(key, key.replace("_", " ").capitalize(), unit, value, previous)


def test_highlights_from_figures_only() -> None:
    lines = highlights(
        [
            _m("active_learners", 340, 304),  # +11.8%
            _m("sessions", 100, 95),  # +5.3%: below the 10% bar
            _m("time_invested_minutes", 900, 1800, "minutes"),  # -50%
            _m("retention_rate", 0.62, 0.55, "percent"),  # +7 points
            _m("certificates_issued", 4, 0),
            _m("at_risk", 12, None),
        ],
        "week",
    )
    assert lines == [
        "Time invested minutes fell 50% to 900 min",
        "Active learners rose 12% to 340",
        "Retention rate rose 7 points to 62%",
        "Certificates issued: 4, none the week before",
        "12 learners are at risk now",
    ]


def test_highlights_when_nothing_moved() -> None:
    lines = highlights([_m("active_learners", 10, 10), _m("at_risk", 0, None)], "month")
    assert lines == ["No figure moved by 10% or more against the previous month"]
    assert highlights([_m("at_risk", 1, None)], "week") == ["1 learner is at risk now"]


def test_highlights_keep_at_most_five() -> None:
    metrics = [_m(f"m{n}", 100 + 10 * n, 50) for n in range(8)]
    assert len(highlights(metrics, "week")) == 5


def test_suggested_goals_from_recent_weeks() -> None:
    goals = suggest_goals([(40.0, 2), (60.0, 3), (0.0, 0), (55.0, 3)])
    by_kind = {g.kind: g.target for g in goals}
    # Median minutes 47.5 x 1.1 = 52.25 -> 55; median sessions 2.5 x 1.1 = 2.75 -> 3.
    assert by_kind == {"weekly_minutes": 55, "sessions_per_week": 3}
    assert {g.kind: g.target for g in suggest_goals([])} == {
        "weekly_minutes": 15,
        "sessions_per_week": 1,
    }


def test_weekly_totals_end_with_the_week_of_the_last_day() -> None:
    minutes = {date(2024, 5, 6): 20.0, date(2024, 5, 12): 5.0, date(2024, 4, 15): 30.0}
    sessions = {date(2024, 5, 6): 1}
    assert weekly_totals(minutes, sessions, date(2024, 5, 12)) == [
        (30.0, 0),
        (0.0, 0),
        (0.0, 0),
        (25.0, 1),
    ]


def test_skill_changes_rise_and_stall() -> None:
    skills = [
        SkillStanding("a", "A", [(date(2024, 4, 29), 0.2), (date(2024, 5, 6), 0.5)]),
        SkillStanding("b", "B", [(date(2024, 4, 22), 0.3), (date(2024, 5, 6), 0.3)]),
        SkillStanding("c", "C", [(date(2024, 5, 6), 0.4)]),
        SkillStanding("d", "D", [(date(2024, 4, 22), 0.1)]),  # not practised this week
        SkillStanding("e", "E", [(date(2024, 4, 29), 0.97), (date(2024, 5, 6), 0.96)]),
    ]
    risen, stalled = skill_changes(skills, WEEK, BEFORE, threshold=0.95)
    assert risen == [Change("skill", "c", "C", None, 0.4), Change("skill", "a", "A", 0.2, 0.5)]
    assert stalled == [Change("skill", "b", "B", 0.3, 0.3)]


def test_streak_on_a_past_day_with_and_without_freezes() -> None:
    days = [date(2024, 5, d) for d in (1, 2, 3, 5, 6, 20)]
    assert streak_on(days, date(2024, 5, 6), 0) == (2, 3)
    assert streak_on(days, date(2024, 5, 6), 1) == (5, 5)
    assert streak_on(days, date(2024, 5, 10), 0) == (0, 3)


def _activity(activity_id: str, seen: datetime, done: datetime | None) -> ActivityProgress:
    status = ActivityStatus.COMPLETED if done else ActivityStatus.IN_PROGRESS
    return ActivityProgress(
        "k", activity_id, "lesson", status, 0, None, None, None, None, 0, seen, seen, "e", done
    )


def test_activities_as_of() -> None:
    t = datetime(2024, 5, 5, tzinfo=UTC)
    rows = {
        "early": _activity("early", t - timedelta(days=3), t - timedelta(days=1)),
        "later_done": _activity("later_done", t - timedelta(days=3), t + timedelta(days=1)),
        "new": _activity("new", t + timedelta(hours=1), None),
    }
    standing = activities_as_of(rows, t)
    assert set(standing) == {"early", "later_done"}
    assert standing["early"].status is ActivityStatus.COMPLETED
    assert standing["later_done"].status is ActivityStatus.IN_PROGRESS
    assert standing["later_done"].completed_at is None


def _goal(weeks: list[GoalWeekView]) -> GoalView:
    at = datetime(2024, 4, 1, tzinfo=UTC)
    return GoalView(
        "g", "weekly_minutes", 30, "minutes", None, None, "active", at, at, None, None, weeks, None
    )


def test_goal_challenges_count_weeks_ending_in_the_period() -> None:
    weeks = [
        GoalWeekView(date(2024, 5, 6), 45, 30, True, date(2024, 5, 8)),
        GoalWeekView(date(2024, 4, 29), 10, 30, False, None),
        GoalWeekView(date(2024, 4, 22), 31, 30, True, date(2024, 4, 28)),
    ]
    met, missed = goal_challenges([_goal(weeks)], WEEK, BEFORE, date(2024, 6, 1), "UTC")
    assert met == (1, 0)
    assert missed == []
    month = ReportPeriod("month", date(2024, 5, 1), date(2024, 5, 31), True)
    april = ReportPeriod("month", date(2024, 4, 1), date(2024, 4, 30), True)
    met, missed = goal_challenges([_goal(weeks)], month, april, date(2024, 6, 1), "UTC")
    assert met == (1, 1)
    assert [(c.value, c.target) for c in missed] == [(10, 30)]
    # A week not over yet is neither met nor missed.
    met, missed = goal_challenges([_goal(weeks)], month, april, date(2024, 5, 5), "UTC")
    assert (met, missed) == ((0, 1), [])


def test_time_challenge() -> None:
    assert time_challenge(80, 100) == []
    assert time_challenge(5, 0) == []
    (drop,) = time_challenge(75, 100)
    assert drop.text == "Time learning fell from 100 to 75 minutes."


def _report(
    learner_id: str = "ana", skill: str = "Planning", award: str = "Night Owl"
) -> LearnerReport:
    first = date(2024, 5, 12) - timedelta(days=89)
    days = [
        DayFigure(first + timedelta(days=n), 10.0 if n % 3 == 0 else 0.0, n % 3 == 0, 0, n // 30)
        for n in range(90)
    ]
    return LearnerReport(
        learner_id=learner_id,
        timezone="UTC",
        period=WEEK,
        previous=BEFORE,
        generated_at=datetime(2024, 5, 13, tzinfo=UTC),
        summary=[
            Figure("minutes", "Minutes learning", "minutes", 135.0, 90.0),
            Figure("current_streak", "Streak at period end", "days", 6, 2),
        ],
        programs=[Change("program", "prog", "Program", 0.25, 0.65)],
        achievements=[Earned("x", award, 20, datetime(2024, 5, 7, tzinfo=UTC))],
        improvements=[Change("skill", "s", skill, 0.4, 0.72)],
        challenges=[],
        recommendations=[],
        recommendations_note=None,
        suggested_goals=suggest_goals([(135.0, 3)]),
        days=days,
        radar=[RadarPoint("a", "Execution", 0.6), RadarPoint("b", "Talk", 0.3)],
    )


def test_pdf_text_holds_the_figures() -> None:
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_learner_pdf(_report()))).pages
    )
    for expected in (
        "135 min",
        "90 min",
        "+50%",
        "Streak at period end",
        "Night Owl (+20 points)",
        "Planning: 40% to 72%",
        "65%",  # the program now
        "weekly_minutes: 150 minutes a week",
    ):
        assert expected in text, expected


def test_html_escapes_what_the_data_holds() -> None:
    page = render_learner_html(_report("<script>x</script>", "A & B"), with_charts=False).decode()
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "A &amp; B: 40% to 72%" in page


def test_csv_rows_and_formula_guard() -> None:
    lines = render_learner_csv(_report(award="=cmd()")).decode().splitlines()
    assert lines[0] == "section,metric,value,previous"
    assert "summary,minutes,135,90" in lines
    assert "program,prog,0.65,0.25" in lines
    assert "achievement,'=cmd(),20," in lines
    assert "improvement,skill:s,0.72,0.4" in lines
