"""A small catalog for tests: one program, one course, two modules, four items, three skills."""

from __future__ import annotations

from typing import Any


def small_catalog(**mastery: Any) -> dict[str, Any]:
    return {
        "name": "Test catalog",
        "mastery": {"model": "bkt", "threshold": 0.95, "pass_score": 0.7, **mastery},
        "dimensions": [
            {"id": "execution", "name": "Execution"},
            {"id": "communication", "name": "Communication"},
        ],
        "skills": [
            {"id": "planning", "name": "Planning", "dimension": "execution"},
            {"id": "budgeting", "name": "Budgeting", "dimension": "execution", "weight": 2},
            {"id": "writing", "name": "Writing", "dimension": "communication"},
        ],
        "activities": [
            {"id": "prog", "type": "program", "title": "Program"},
            {"id": "prog/c1", "type": "course", "parent": "prog", "title": "Course 1"},
            {"id": "prog/c1/m1", "type": "module", "parent": "prog/c1", "title": "Module 1"},
            {
                "id": "prog/c1/m1/ex1",
                "type": "exercise",
                "parent": "prog/c1/m1",
                "title": "Exercise 1",
                "estimated_minutes": 30,
                "skills": ["planning"],
            },
            {
                "id": "prog/c1/m1/ex2",
                "type": "exercise",
                "parent": "prog/c1/m1",
                "title": "Exercise 2",
                "estimated_minutes": 30,
                "weight": 3,
                "skills": ["budgeting"],
            },
            {
                "id": "prog/c1/m2",
                "type": "module",
                "parent": "prog/c1",
                "title": "Module 2",
                "prerequisites": ["prog/c1/m1"],
            },
            {
                "id": "prog/c1/m2/l1",
                "type": "lesson",
                "parent": "prog/c1/m2",
                "title": "Lesson",
                "estimated_minutes": 20,
            },
            {
                "id": "prog/c1/m2/quiz",
                "type": "assessment",
                "parent": "prog/c1/m2",
                "title": "Quiz",
                "estimated_minutes": 20,
                "skills": ["planning", "writing"],
            },
        ],
    }
