"""The Open University Learning Analytics Dataset (OULAD) as Stride sees it.

Kuzilek, Hlosta, Zdrahal: "Open University Learning Analytics dataset", Scientific Data 4,
170171 (2017), CC BY 4.0. Read from ../shared/data/oulad/*.parquet (see that folder's README).

Two views of the same rows, so benchmarks agree on what a click or a submission is:

- `iter_events` turns them into Stride events (for loading through the ingest pipeline):
  a student's clicks on one VLE site on one day become one `activity.progressed` event with the
  click count in `properties.clicks`; an assessment submission becomes `assessment.submitted`
  with `result.score` = score / 100; a registration becomes `enrollment.created` (target date:
  the presentation's last day) and an unregistration `enrollment.cancelled`.
- `history_of` builds the `LearnerHistory` that Stride's read models would hold for the same
  events (active days with their click counts, scores, submissions against due dates), which
  the risk benchmark feeds to Stride's own feature function.

Days in OULAD are offsets from the presentation's start; day 0 is mapped to a fixed calendar
date per presentation (PRESENTATION_START).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stride.analytics.risk_features import ActiveDay, LearnerHistory

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "oulad"
PRESENTATION_START = {
    "2013B": date(2013, 2, 1),
    "2013J": date(2013, 10, 1),
    "2014B": date(2014, 2, 1),
    "2014J": date(2014, 10, 1),
}
_KEY = 10_000_000  # student ids are below this: key = presentation index * _KEY + student
_NAMESPACE = uuid.UUID("6f1c1f4e-0b7a-4f43-9d38-3c1b5a0e7d21")  # event ids: UUIDv5 of the row


@dataclass(frozen=True)
class Registration:
    module: str
    presentation: str
    student: int
    registered: int | None  # day offsets; None when unknown
    unregistered: int | None
    final_result: str
    length: int  # days in the presentation

    @property
    def start(self) -> date:
        return PRESENTATION_START[self.presentation]

    @property
    def course_id(self) -> str:
        return f"{self.module}-{self.presentation}"


@dataclass
class Oulad:
    registrations: list[Registration]
    # Per (module-presentation, student): day offsets and clicks, sorted by day.
    clicks: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # Per module-presentation: (assessment id, type, due day or None, weight).
    assessments: dict[str, list[tuple[int, str, int | None, float]]] = field(default_factory=dict)
    # Per (module-presentation, student): (assessment id, day submitted, score 0..100 or None).
    submissions: dict[tuple[str, int], list[tuple[int, int, float | None]]] = field(
        default_factory=dict
    )


def _course(table: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(table["code_module"], table["code_presentation"], "-")


def _optional(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def load_oulad(root: Path = DATA) -> Oulad:
    """Read the tables (clicks summed per student and day) into memory."""
    courses = pq.read_table(root / "courses.parquet").to_pylist()
    lengths = {
        f"{c['code_module']}-{c['code_presentation']}": int(c["module_presentation_length"])
        for c in courses
    }
    info = {
        (f"{r['code_module']}-{r['code_presentation']}", int(r["id_student"])): r["final_result"]
        for r in pq.read_table(root / "studentInfo.parquet").to_pylist()
    }
    registrations = [
        Registration(
            r["code_module"],
            r["code_presentation"],
            int(r["id_student"]),
            _optional(r["date_registration"]),
            _optional(r["date_unregistration"]),
            info[(f"{r['code_module']}-{r['code_presentation']}", int(r["id_student"]))],
            lengths[f"{r['code_module']}-{r['code_presentation']}"],
        )
        for r in pq.read_table(root / "studentRegistration.parquet").to_pylist()
    ]
    data = Oulad(registrations)
    data.clicks = _daily_clicks(root)
    course_of: dict[int, str] = {}
    for row in pq.read_table(root / "assessments.parquet").to_pylist():
        course = f"{row['code_module']}-{row['code_presentation']}"
        course_of[int(row["id_assessment"])] = course
        data.assessments.setdefault(course, []).append(
            (
                int(row["id_assessment"]),
                row["assessment_type"],
                _optional(row["date"]),
                row["weight"],
            )
        )
    for row in pq.read_table(root / "studentAssessment.parquet").to_pylist():
        assessment = int(row["id_assessment"])
        score = row["score"]
        data.submissions.setdefault((course_of[assessment], int(row["id_student"])), []).append(
            (
                assessment,
                int(row["date_submitted"]),
                None if score is None or score != score else score,
            )
        )
    return data


def _daily_clicks(root: Path) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    table = pq.read_table(
        root / "studentVle.parquet",
        columns=["code_module", "code_presentation", "id_student", "date", "sum_click"],
    )
    course = _course(table).combine_chunks().dictionary_encode()
    names = course.dictionary.to_pylist()
    key = course.indices.to_numpy().astype(np.int64) * _KEY + table["id_student"].to_numpy().astype(
        np.int64
    )
    day = table["date"].to_numpy().astype(np.int64)
    clicks = table["sum_click"].to_numpy().astype(np.int64)
    grouped = (
        pa.table({"key": key, "day": day, "clicks": clicks})
        .group_by(["key", "day"])
        .aggregate([("clicks", "sum")])
    )
    keys = grouped["key"].to_numpy()
    days = grouped["day"].to_numpy()
    sums = grouped["clicks_sum"].to_numpy()
    order = np.lexsort((days, keys))
    keys, days, sums = keys[order], days[order], sums[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {
        (names[int(keys[s]) // _KEY], int(keys[s]) % _KEY): (days[s:e], sums[s:e])
        for s, e in zip(starts, ends, strict=True)
    }


def history_of(data: Oulad, registration: Registration, up_to: int | None = None) -> LearnerHistory:
    """The learner's history in one presentation, as Stride's read models would hold it
    (only days up to `up_to` when given, to keep the benchmark light; the feature function
    itself also ignores anything after its as-of day)."""
    start = registration.start
    course = registration.course_id

    def on(offset: int) -> date:
        return start + timedelta(days=offset)

    days, clicks = data.clicks.get((course, registration.student), (np.array([]), np.array([])))
    if up_to is not None:
        keep = days <= up_to
        days, clicks = days[keep], clicks[keep]
    planned = {
        a_id: due
        for a_id, kind, due, _ in data.assessments.get(course, [])
        if kind != "Exam" and due is not None
    }
    submitted = data.submissions.get((course, registration.student), [])
    return LearnerHistory(
        enrolled_on=on(min(registration.registered or 0, 0)),
        days=[ActiveDay(on(int(d)), int(c), 0.0) for d, c in zip(days, clicks, strict=True)],
        scores=[
            (on(day), score / 100)
            for a_id, day, score in submitted
            if score is not None and a_id in planned
        ],
        done=[on(day) for a_id, day, _ in submitted if a_id in planned],
        planned=[on(due) for due in planned.values()],
    )


def _event_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _at(offset: int, start: date, hour: int = 12) -> str:
    instant = datetime(start.year, start.month, start.day, hour, tzinfo=UTC) + timedelta(
        days=offset
    )
    return instant.isoformat().replace("+00:00", "Z")


def iter_events(data: Oulad, root: Path = DATA) -> Iterator[dict[str, Any]]:
    """Stride events for every registration, submission and (student, day, site) of clicks."""
    for r in data.registrations:
        activity = {"id": r.course_id, "type": "course"}
        learner = str(r.student)
        target = (r.start + timedelta(days=r.length)).isoformat()
        yield {
            "id": _event_id("enrol", r.course_id, r.student),
            "type": "enrollment.created",
            "learner": learner,
            "timestamp": _at(r.registered or 0, r.start, 8),
            "activity": activity,
            "properties": {"target_date": target},
        }
        if r.unregistered is not None:
            yield {
                "id": _event_id("unenrol", r.course_id, r.student),
                "type": "enrollment.cancelled",
                "learner": learner,
                "timestamp": _at(r.unregistered, r.start, 20),
                "activity": activity,
            }
    for (course, student), rows in data.submissions.items():
        start = PRESENTATION_START[course.split("-")[1]]
        for assessment, day, score in rows:
            event: dict[str, Any] = {
                "id": _event_id("submit", assessment, student),
                "type": "assessment.submitted",
                "learner": str(student),
                "timestamp": _at(day, start, 18),
                "activity": {"id": f"{course}/assessment-{assessment}", "type": "assessment"},
            }
            if score is not None:
                event["result"] = {"score": score / 100}
            yield event
    table = pq.read_table(root / "studentVle.parquet")
    grouped = table.group_by(
        ["code_module", "code_presentation", "id_student", "id_site", "date"]
    ).aggregate([("sum_click", "sum")])
    rows = (row for batch in grouped.to_batches() for row in batch.to_pylist())
    for row in rows:
        course = f"{row['code_module']}-{row['code_presentation']}"
        start = PRESENTATION_START[row["code_presentation"]]
        site = int(row["id_site"])
        student = int(row["id_student"])
        day = int(row["date"])
        yield {
            "id": _event_id("click", course, student, site, day),
            "type": "activity.progressed",
            "learner": str(student),
            "timestamp": _at(day, start, 14),
            "activity": {"id": f"{course}/site-{site}", "type": "block"},
            "properties": {"clicks": int(row["sum_click_sum"])},
        }
