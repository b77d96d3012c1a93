from __future__ import annotations

from datetime import date

from stride.progress.radar import DimensionSkill, radar, radar_history

DIMENSIONS = [("exec", "Execution"), ("comm", "Communication"), ("lead", "Leadership")]
MEMBERS = {
    "exec": [DimensionSkill("plan", 1.0), DimensionSkill("budget", 3.0)],
    "comm": [DimensionSkill("write", 1.0)],
}


def test_weighted_mean_with_untouched_skills_at_their_prior() -> None:
    scores = {s.dimension_id: s for s in radar(DIMENSIONS, MEMBERS, {"plan": 0.9}, lambda _: 0.1)}
    assert scores["exec"].mastery == (0.9 + 3 * 0.1) / 4
    assert scores["exec"].practised == 1 and scores["exec"].skills == 2
    assert scores["comm"].mastery == 0.1 and scores["comm"].practised == 0
    assert scores["lead"].mastery is None  # no skills: nothing to claim


def test_history_carries_each_skill_forward_to_later_weeks() -> None:
    weekly = {"plan": [(date(2024, 5, 6), 0.4), (date(2024, 5, 20), 0.8)]}
    weeks = [date(2024, 4, 29), date(2024, 5, 6), date(2024, 5, 13), date(2024, 5, 20)]
    history = radar_history(DIMENSIONS, MEMBERS, weekly, weeks, lambda _: 0.0)
    plan_share = [h.dimensions[0].mastery for h in history]
    assert plan_share == [0.0, 0.4 / 4, 0.4 / 4, 0.8 / 4]
