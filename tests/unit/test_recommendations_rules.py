"""Recommendation rules: each fires on its signal, with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

from stride.analytics.recommendations_rules import (
    Kind,
    LearnerSignals,
    ModuleStep,
    Practice,
    SkillGap,
    next_required_module,
    recommend,
    weakest_skill,
)
from stride.progress.completion import NodeProgress

QUIET = LearnerSignals(0, 0, 0, None, None, None)


def test_no_signal_no_recommendation() -> None:
    assert recommend(QUIET) == []


def test_streak_with_momentum_keeps_pace() -> None:
    found = recommend(LearnerSignals(4, 5, 3, None, None, None))
    assert [r.kind for r in found] == [Kind.KEEP_PACE]
    assert "4-day streak" in found[0].reason
    assert recommend(LearnerSignals(4, 2, 3, None, None, None)) == []  # slowing down
    assert recommend(LearnerSignals(2, 5, 3, None, None, None)) == []  # streak too short


def test_high_dropout_risk_suggests_shorter_sessions() -> None:
    found = recommend(LearnerSignals(0, 0, 0, 0.75, None, None))
    assert [(r.kind, r.reason[:24]) for r in found] == [
        (Kind.SHORTER_SESSIONS, "The dropout risk is 75%:")
    ]
    assert recommend(LearnerSignals(0, 0, 0, 0.6, None, None)) == []


def test_weakest_skill_with_content_and_next_module() -> None:
    practice = {
        "planning": [Practice("ex1", "Exercise 1", True), Practice("quiz", "Quiz", False)],
        "writing": [],
    }
    gap = weakest_skill(
        {"planning": 0.3, "writing": 0.1, "budgeting": 0.99},
        {"planning": "Planning"},
        practice,
        threshold=0.95,
    )
    assert gap == SkillGap("planning", "Planning", 0.3, "quiz", "Quiz")  # writing has no content
    step = ModuleStep("prog", "m2", "Module 2", 0.0)
    found = recommend(LearnerSignals(0, 0, 0, None, gap, step))
    assert [(r.kind, r.activity_id, r.skill_id) for r in found] == [
        (Kind.PRACTICE_SKILL, "quiz", "planning"),
        (Kind.NEXT_MODULE, "m2", None),
    ]
    assert found[1].reason == "'Module 2' is the next required module of 'prog' (0% done)."


def _node(
    id_: str, type_: str, status: str, *children: NodeProgress, required: bool = True
) -> NodeProgress:
    return NodeProgress(
        id_,
        type_,
        id_.title(),
        required,
        1.0,
        1.0 if status == "completed" else 0.0,
        status,
        0,
        0,
        0,
        0,
        0,
        0,
        None,
        None,
        None,
        None,
        datetime(2024, 1, 1, tzinfo=UTC),
        children,
    )


def test_next_required_module_in_catalog_order() -> None:
    tree = _node(
        "prog",
        "program",
        "in_progress",
        _node(
            "c1",
            "course",
            "in_progress",
            _node("m1", "module", "completed"),
            _node("m2", "module", "not_started", required=False),
            _node("m3", "module", "in_progress"),
        ),
        _node("c2", "course", "not_started", _node("m4", "module", "not_started")),
    )
    step = next_required_module(tree)
    assert step is not None and (step.program_id, step.module_id) == ("prog", "m3")
