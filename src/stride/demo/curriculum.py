"""The fixed demo curriculum: one project-management program of courses, modules and items."""

from __future__ import annotations

from dataclasses import dataclass

PROGRAM_ID = "pm-foundations"
PLATFORM = "demo"

# Each course trains three skills; a module's exercises rotate through them.
COURSE_SKILLS: tuple[tuple[str, str, str], ...] = (
    ("stakeholder-mapping", "scope-definition", "communication"),
    ("scheduling", "budgeting", "risk-assessment"),
    ("team-leadership", "quality-management", "communication"),
    ("agile-planning", "change-control", "risk-assessment"),
)
MODULES_PER_COURSE: tuple[int, ...] = (4, 4, 4, 4)
SKILLS: tuple[str, ...] = tuple(dict.fromkeys(s for skills in COURSE_SKILLS for s in skills))

# Item kinds of a module, cut to its size (3 to 5); the assessment comes last.
_ITEM_KINDS: tuple[tuple[str, str], ...] = (
    ("lesson", "l1"),
    ("exercise", "ex1"),
    ("block", "b1"),
    ("exercise", "ex2"),
    ("exercise", "ex3"),
)


Context = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Activity:
    """Anything a learner can start and complete, with where it sits in the program."""

    id: str
    type: str
    context: Context  # the program/course/module it belongs to
    skills: tuple[str, ...] = ()
    difficulty: float = 0.0

    @property
    def practised(self) -> bool:
        return self.type in ("exercise", "assessment")


@dataclass(frozen=True, slots=True)
class Module:
    """A module with its items in the order they are taken, the assessment last."""

    activity: Activity
    course: Activity
    items: tuple[Activity, ...]
    first_in_course: bool
    last_in_course: bool


PROGRAM = Activity(PROGRAM_ID, "program", (("program", PROGRAM_ID),))


def _items(course: int, module: int, module_id: str, context: Context) -> tuple[Activity, ...]:
    skills = COURSE_SKILLS[course]
    # Later courses and modules are harder, so success rates fall unless learners practise.
    base = -0.1 + 0.45 * course + 0.12 * module
    size = 3 + (course + module) % 3
    items = []
    for index, (kind, suffix) in enumerate(_ITEM_KINDS[:size]):
        own = (skills[(module + index) % 3],) if kind == "exercise" else ()
        items.append(Activity(f"{module_id}/{suffix}", kind, context, own, base + 0.1 * index))
    module_skills = (skills[module % 3], skills[(module + 1) % 3])
    items.append(Activity(f"{module_id}/quiz", "assessment", context, module_skills, base + 0.7))
    return tuple(items)


def _build() -> tuple[Module, ...]:
    modules = []
    for course, count in enumerate(MODULES_PER_COURSE):
        course_id = f"pmf/c{course + 1}"
        course_context = (("program", PROGRAM_ID), ("course", course_id))
        course_activity = Activity(course_id, "course", course_context)
        for module in range(count):
            module_id = f"{course_id}/m{module + 1}"
            context = (*course_context, ("module", module_id))
            activity = Activity(module_id, "module", context)
            items = _items(course, module, module_id, context)
            first, last = module == 0, module == count - 1
            modules.append(Module(activity, course_activity, items, first, last))
    return tuple(modules)


MODULES: tuple[Module, ...] = _build()

# EXERCISES_BEFORE[k]: the exercises of modules before module k, open for review once k starts.
EXERCISES_BEFORE: tuple[tuple[Activity, ...], ...] = tuple(
    tuple(item for module in MODULES[:k] for item in module.items if item.type == "exercise")
    for k in range(len(MODULES) + 1)
)
