"""Rules across catalog entries: unique ids, known references, parent types, no loops."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from stride.catalog.document import (
    ActivityDoc,
    DimensionDoc,
    EntryDoc,
    ReadinessDoc,
    SkillDoc,
    readiness_of,
)
from stride.catalog.model import ITEM_TYPES, PARENT_TYPE, is_item
from stride.errors import FieldError

E = TypeVar("E", bound=EntryDoc)


@dataclass
class Entries(Generic[E]):
    """The entries of one list that passed the schema, with their index in the document."""

    valid: list[tuple[int, E]] = field(default_factory=list)
    # Ids of entries that failed the schema: references to them are not reported again.
    broken_ids: set[str] = field(default_factory=set)
    # False when the list itself was not a list: references into it cannot be checked.
    complete: bool = True

    def unknown_ids(self, referenced: Iterable[str]) -> set[str]:
        """The referenced ids no entry has; none when the list could not be read at all."""
        if not self.complete:
            return set()
        return set(referenced) - self.broken_ids - {entry.id for _, entry in self.valid}

    def first_by_id(self) -> dict[str, tuple[int, E]]:
        first: dict[str, tuple[int, E]] = {}
        for index, entry in self.valid:
            first.setdefault(entry.id, (index, entry))
        return first


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _duplicates(entries: Entries[E], section: str) -> Iterator[FieldError]:
    first: dict[str, int] = {}
    for index, entry in entries.valid:
        if entry.id in first:
            reason = f"duplicate id {entry.id} (first at {section}[{first[entry.id]}])"
            yield FieldError(f"{section}[{index}].id", reason)
        else:
            first[entry.id] = index


def check_skills(dimensions: Entries[DimensionDoc], skills: Entries[SkillDoc]) -> list[FieldError]:
    errors = [*_duplicates(dimensions, "dimensions"), *_duplicates(skills, "skills")]
    unknown = dimensions.unknown_ids(s.dimension for _, s in skills.valid if s.dimension)
    for index, skill in skills.valid:
        if skill.dimension in unknown:
            reason = f"unknown dimension {skill.dimension}"
            errors.append(FieldError(f"skills[{index}].dimension", reason))
        # With guess + slip >= 1 a right answer would lower P(mastery): the model is inverted.
        if skill.bkt is not None and skill.bkt.guess + skill.bkt.slip >= 1.0:
            reason = "guess + slip must be below 1, or a correct answer lowers mastery"
            errors.append(FieldError(f"skills[{index}].bkt", reason))
    return errors


def check_readiness(readiness: ReadinessDoc) -> list[FieldError]:
    r = readiness_of(readiness)
    errors = []
    if r.proficient_mean > r.advanced_mean:
        reason = f"must not exceed readiness.advanced.mean ({r.advanced_mean:g})"
        errors.append(FieldError("readiness.proficient.mean", reason))
    if r.developing_mean > r.proficient_mean:
        reason = f"must not exceed readiness.proficient.mean ({r.proficient_mean:g})"
        errors.append(FieldError("readiness.developing.mean", reason))
    return errors


def check_activities(
    skills: Entries[SkillDoc], activities: Entries[ActivityDoc]
) -> list[FieldError]:
    errors = list(_duplicates(activities, "activities"))
    by_id = activities.first_by_id()
    unknown_skills = skills.unknown_ids(s for _, a in activities.valid for s in a.skills)
    for index, activity in activities.valid:
        at = f"activities[{index}]"
        errors += _parent_errors(at, activity, by_id, activities.broken_ids)
        errors += _skill_errors(at, activity, unknown_skills)
        errors += _prerequisite_errors(at, activity, by_id, activities.broken_ids)
    errors += _parent_loops(by_id)
    errors += _prerequisite_loops(by_id)
    return errors


def _parent_errors(
    at: str, activity: ActivityDoc, by_id: dict[str, tuple[int, ActivityDoc]], broken: set[str]
) -> list[FieldError]:
    expected = PARENT_TYPE[activity.type]
    parent = activity.parent
    path = f"{at}.parent"
    if expected is None:
        return [FieldError(path, "a program has no parent")] if parent is not None else []
    if parent is None:
        return [FieldError(path, f"{_a(activity.type)} needs a parent {expected}")]
    if parent in broken and parent not in by_id:
        return []
    if parent not in by_id:
        return [FieldError(path, f"unknown activity {parent}")]
    actual = by_id[parent][1].type
    if actual != expected:
        reason = f"{_a(activity.type)}'s parent must be {_a(expected)}, {parent} is {_a(actual)}"
        return [FieldError(path, reason)]
    return []


def _skill_errors(at: str, activity: ActivityDoc, unknown: set[str]) -> list[FieldError]:
    errors = []
    if not is_item(activity.type):
        items = ", ".join(ITEM_TYPES)
        if activity.skills:
            reason = f"only items ({items}) carry skills; {activity.id} is {_a(activity.type)}"
            errors.append(FieldError(f"{at}.skills", reason))
        if activity.pass_score is not None:
            reason = (
                f"only items ({items}) carry a pass_score; {activity.id} is {_a(activity.type)}"
            )
            errors.append(FieldError(f"{at}.pass_score", reason))
        return errors
    seen: set[str] = set()
    for position, skill in enumerate(activity.skills):
        if skill in unknown:
            errors.append(FieldError(f"{at}.skills[{position}]", f"unknown skill {skill}"))
        elif skill in seen:
            errors.append(FieldError(f"{at}.skills[{position}]", f"{skill} is listed twice"))
        seen.add(skill)
    return errors


def _prerequisite_errors(
    at: str, activity: ActivityDoc, by_id: dict[str, tuple[int, ActivityDoc]], broken: set[str]
) -> list[FieldError]:
    errors = []
    seen: set[str] = set()
    for position, required in enumerate(activity.prerequisites):
        path = f"{at}.prerequisites[{position}]"
        if required in seen:
            errors.append(FieldError(path, f"{required} is listed twice"))
        elif required not in by_id:
            if required not in broken:
                errors.append(FieldError(path, f"unknown activity {required}"))
        elif (actual := by_id[required][1].type) != activity.type:
            reason = (
                f"{_a(activity.type)}'s prerequisite must be {_a(activity.type)}, "
                f"{required} is {_a(actual)}"
            )
            errors.append(FieldError(path, reason))
        seen.add(required)
    return errors


def _parent_loops(by_id: dict[str, tuple[int, ActivityDoc]]) -> list[FieldError]:
    """Each loop in the parent links once, at the loop's first activity in the document."""
    errors = []
    settled: set[str] = set()
    for start in by_id:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node in by_id and node not in settled:
            if node in on_path:
                loop = path[path.index(node) :]
                first = loop.index(min(loop, key=lambda a: by_id[a][0]))
                ordered = [*loop[first:], *loop[:first], loop[first]]
                path_of_first = f"activities[{by_id[loop[first]][0]}].parent"
                errors.append(
                    FieldError(path_of_first, f"parent chain loops: {' -> '.join(ordered)}")
                )
                break
            path.append(node)
            on_path.add(node)
            node = by_id[node][1].parent
        settled.update(path)
    return errors


def _prerequisite_loops(by_id: dict[str, tuple[int, ActivityDoc]]) -> list[FieldError]:
    """One loop per back edge of a depth-first walk, reported on the edge that closes it."""
    errors = []
    edges = {
        node: [(i, p) for i, p in enumerate(doc.prerequisites) if p in by_id]
        for node, (_, doc) in by_id.items()
    }
    done: set[str] = set()
    for root in by_id:
        if root in done:
            continue
        # An explicit stack: a chain of 20,000 prerequisites would overflow recursion.
        stack: list[tuple[str, int]] = [(root, 0)]
        on_stack = {root}
        while stack:
            node, next_edge = stack[-1]
            if next_edge == len(edges[node]):
                stack.pop()
                on_stack.discard(node)
                done.add(node)
                continue
            stack[-1] = (node, next_edge + 1)
            position, target = edges[node][next_edge]
            if target in on_stack:
                chain = [n for n, _ in stack]
                # node needs target, which (through the stack) needs node again.
                loop = [node, *chain[chain.index(target) : -1], node]
                path = f"activities[{by_id[node][0]}].prerequisites[{position}]"
                errors.append(FieldError(path, f"prerequisites loop: {_chain_text(loop)}"))
            elif target not in done:
                stack.append((target, 0))
                on_stack.add(target)
    return errors


def _chain_text(ids: list[str], shown: int = 8) -> str:
    """`a -> b -> a`, with the middle of a long loop left out so the reason stays readable."""
    if len(ids) <= shown:
        return " -> ".join(ids)
    head, tail = ids[: shown // 2], ids[-(shown // 2) :]
    skipped = len(ids) - len(head) - len(tail)
    return f"{' -> '.join(head)} -> ({skipped} more) -> {' -> '.join(tail)}"
