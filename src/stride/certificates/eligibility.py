"""Whether a learner meets a certification's requirements, and what is missing. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from stride.certificates.requirements import Certification
from stride.progress.activity import ActivityStatus
from stride.progress.completion import MS_PER_HOUR, NodeProgress


@dataclass(frozen=True)
class RequirementCheck:
    """One requirement, named like the achievement criteria (`module:<id>.score`)."""

    requirement: str
    required: float
    actual: float | None  # None when there is nothing to measure yet (no scored attempt)
    met: bool


@dataclass(frozen=True)
class Eligibility:
    program_id: str
    eligible: bool
    requirements: tuple[RequirementCheck, ...]

    @property
    def missing(self) -> tuple[RequirementCheck, ...]:
        return tuple(r for r in self.requirements if not r.met)


def check_eligibility(
    certification: Certification, program: NodeProgress, mastery: Mapping[str, float]
) -> Eligibility:
    """Every requirement of `certification` against the learner's program tree and mastery.

    `mastery` holds the learner's current mastery per skill (skills without a value count as
    0). Hours are the time spent on the program's items.
    """
    nodes = {node.id: node for node in _walk(program)}
    checks: list[RequirementCheck] = []
    for requirement in certification.required_modules:
        node = nodes.get(requirement.module)
        completion = node.completion if node is not None else 0.0
        done = node is not None and node.status == ActivityStatus.COMPLETED
        checks.append(
            RequirementCheck(f"module:{requirement.module}.completion", 1.0, completion, done)
        )
        if requirement.min_score > 0:
            score = node.average_score if node is not None else None
            met = score is not None and score >= requirement.min_score
            checks.append(
                RequirementCheck(
                    f"module:{requirement.module}.score", requirement.min_score, score, met
                )
            )
    for skill, minimum in certification.min_mastery:
        value = mastery.get(skill, 0.0)
        checks.append(RequirementCheck(f"mastery:{skill}", minimum, value, value >= minimum))
    if certification.min_hours > 0:
        hours = program.time_spent_ms / MS_PER_HOUR
        checks.append(
            RequirementCheck(
                "hours", certification.min_hours, hours, hours >= certification.min_hours
            )
        )
    return Eligibility(program.id, all(c.met for c in checks), tuple(checks))


def _walk(node: NodeProgress) -> Iterator[NodeProgress]:
    yield node
    for child in node.children:
        yield from _walk(child)
