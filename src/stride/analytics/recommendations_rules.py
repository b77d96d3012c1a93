"""Recommendations for one learner, each with its reason (pure).

Seed rules, in the order they are listed:
1. keep pace: a current streak of at least STREAK_DAYS days and momentum (at least as many
   active days in the last 7 days as in the 7 before);
2. shorter, more frequent sessions: the risk model puts the learner's dropout risk above
   RISK_THRESHOLD;
3. practice the weakest skill that has content to practise (mastery below the threshold);
4. the next incomplete required module of an enrolled program or course, in catalog order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stride.progress.completion import NodeProgress

STREAK_DAYS = 3
RISK_THRESHOLD = 0.6


class Kind(StrEnum):
    KEEP_PACE = "keep_pace"
    SHORTER_SESSIONS = "shorter_sessions"
    PRACTICE_SKILL = "practice_skill"
    NEXT_MODULE = "next_module"


@dataclass(frozen=True, slots=True)
class Recommendation:
    kind: Kind
    reason: str
    activity_id: str | None = None
    skill_id: str | None = None


@dataclass(frozen=True, slots=True)
class SkillGap:
    skill_id: str
    name: str
    mastery: float
    activity_id: str  # the item to practise
    activity_title: str


@dataclass(frozen=True, slots=True)
class ModuleStep:
    program_id: str
    module_id: str
    title: str
    completion: float


@dataclass(frozen=True, slots=True)
class Practice:
    """An item that trains a skill, as the learner stands on it."""

    activity_id: str
    title: str
    completed: bool


@dataclass(frozen=True, slots=True)
class LearnerSignals:
    current_streak: int
    active_days_7d: int
    active_days_prev_7d: int
    dropout_risk: float | None
    weakest_skill: SkillGap | None
    next_module: ModuleStep | None


def weakest_skill(
    mastery: Mapping[str, float],
    names: Mapping[str, str],
    practice: Mapping[str, Sequence[Practice]],
    threshold: float,
) -> SkillGap | None:
    """The learner's least-mastered skill below `threshold` that has an item to practise
    (the first one not completed yet, else the first one, for review); ties by skill id."""
    gaps = sorted((p, s) for s, p in mastery.items() if p < threshold and practice.get(s))
    if not gaps:
        return None
    p, skill = gaps[0]
    items = practice[skill]
    item = next((i for i in items if not i.completed), items[0])
    return SkillGap(skill, names.get(skill, skill), p, item.activity_id, item.title)


def next_required_module(tree: NodeProgress) -> ModuleStep | None:
    """The first required module, depth first in catalog order, that is not completed."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.type == "module":
            if node.required and node.status != "completed":
                return ModuleStep(tree.id, node.id, node.title, node.completion)
            continue
        stack.extend(reversed(node.children))
    return None


def recommend(signals: LearnerSignals) -> list[Recommendation]:
    found: list[Recommendation] = []
    s = signals
    if s.current_streak >= STREAK_DAYS and 0 < s.active_days_prev_7d <= s.active_days_7d:
        found.append(
            Recommendation(
                Kind.KEEP_PACE,
                f"A {s.current_streak}-day streak, and {s.active_days_7d} active days in the "
                f"last week against {s.active_days_prev_7d} the week before: keep this pace.",
            )
        )
    if s.dropout_risk is not None and s.dropout_risk > RISK_THRESHOLD:
        found.append(
            Recommendation(
                Kind.SHORTER_SESSIONS,
                f"The dropout risk is {s.dropout_risk:.0%}: shorter, more frequent sessions "
                "are easier to keep up.",
            )
        )
    if s.weakest_skill is not None:
        g = s.weakest_skill
        found.append(
            Recommendation(
                Kind.PRACTICE_SKILL,
                f"{g.name} is the weakest skill ({g.mastery:.0%} mastered); "
                f"{g.activity_title!r} practises it.",
                activity_id=g.activity_id,
                skill_id=g.skill_id,
            )
        )
    if s.next_module is not None:
        m = s.next_module
        found.append(
            Recommendation(
                Kind.NEXT_MODULE,
                f"{m.title!r} is the next required module of {m.program_id!r} "
                f"({m.completion:.0%} done).",
                activity_id=m.module_id,
            )
        )
    return found
