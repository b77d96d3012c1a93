"""Completion forecast backtest on demo data: how far off is the forecast finishing date?

Generates demo events in process (no server), and for each learner who completes the
program on day A forecasts the finish from what was known at cut days A-28, A-21, A-14 and
A-7 (when a cut lies more than 7 days after the learner's first event). Reports the median
and mean absolute error in days and the share of actual dates inside the 80% interval.

    .venv/bin/python bench/forecast.py                    # --seed 7 --learners 1500 --days 180
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from stride.catalog import load_catalog_text, parse_catalog
from stride.demo.curriculum import PROGRAM_ID
from stride.demo.generator import generate_demo_events
from stride.progress.forecast import forecast_completion, pace_factor

CATALOG = Path(__file__).resolve().parent.parent / "src/stride/demo/catalog.yaml"
END = datetime(2025, 1, 1, tzinfo=UTC)
CUTS = (28, 21, 14, 7)  # days before the actual finish
WINDOW = 28  # days of recent activity the forecast sees


@dataclass
class Learner:
    first: datetime | None = None
    completed: dict[str, datetime] = field(default_factory=dict)  # first completion per id
    activity_s: dict[date, float] = field(default_factory=lambda: defaultdict(float))
    session_s: dict[date, float] = field(default_factory=lambda: defaultdict(float))


def collect(seed: int, learners: int, days: int) -> tuple[dict[str, Learner], int]:
    by_learner: dict[str, Learner] = defaultdict(Learner)
    count = 0
    for event in generate_demo_events(seed, learners=learners, days=days, end=END):
        count += 1
        at = datetime.fromisoformat(event["timestamp"]).astimezone(UTC)
        learner = by_learner[event["learner"]]
        if learner.first is None:
            learner.first = at
        result = event.get("result") or {}
        duration = result.get("duration_s")
        if duration is not None:
            # As the product does: a day's minutes are max(activity time, session time),
            # since session durations already contain the activities' durations.
            if event["type"] == "session.ended":
                learner.session_s[at.date()] += duration
            else:
                learner.activity_s[at.date()] += duration
        activity = event.get("activity")
        if activity and (event["type"] == "activity.completed" or result.get("completion") is True):
            learner.completed.setdefault(activity["id"], at)
    return by_learner, count


def summary(signed: list[int], inside: list[bool], not_enough: int) -> dict[str, object]:
    """`signed`: expected minus actual finishing day; > 0 means the forecast was late."""
    errors = [abs(e) for e in signed]
    return {
        "forecasts": len(errors),
        "not_enough_data": not_enough,
        "median_abs_error_days": statistics.median(errors) if errors else None,
        "mean_abs_error_days": round(statistics.fmean(errors), 2) if errors else None,
        "median_signed_error_days": statistics.median(signed) if signed else None,
        "inside_80pct_interval": round(sum(inside) / len(inside), 3) if inside else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--learners", type=int, default=1500)
    parser.add_argument("--days", type=int, default=180)
    args = parser.parse_args()

    catalog = parse_catalog(load_catalog_text(CATALOG.read_bytes(), filename="catalog.yaml"))
    required = [
        (i.id, i.estimated_minutes or 0) for i in catalog.items_under(PROGRAM_ID) if i.required
    ]

    started = time.perf_counter()
    by_learner, events = collect(args.seed, args.learners, args.days)
    generated = time.perf_counter() - started
    print(f"{events:,} events from {len(by_learner):,} learners in {generated:.1f} s")

    completing = 0
    errors: dict[int, list[int]] = {cut: [] for cut in CUTS}
    inside: dict[int, list[bool]] = {cut: [] for cut in CUTS}
    not_enough: dict[int, int] = dict.fromkeys(CUTS, 0)
    other: dict[str, int] = defaultdict(int)
    for learner in by_learner.values():
        finished = learner.completed.get(PROGRAM_ID)
        if finished is None or learner.first is None:
            continue
        completing += 1
        actual = finished.date()
        for cut in CUTS:
            day = actual - timedelta(days=cut)
            if day <= (learner.first + timedelta(days=7)).date():
                continue
            cut_at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            remaining = sum(
                minutes
                for item, minutes in required
                if not (item in learner.completed and learner.completed[item] < cut_at)
            )
            window = [day - timedelta(days=n) for n in range(WINDOW, 0, -1)]
            daily = [
                max(learner.activity_s.get(d, 0.0), learner.session_s.get(d, 0.0)) / 60
                for d in window
            ]
            # The learner's own pace, as the product reads it: every minute studied before
            # the cut over the catalog minutes of the items completed by then.
            done = sum(
                minutes
                for item, minutes in required
                if item in learner.completed and learner.completed[item] < cut_at
            )
            studied = learner.activity_s.keys() | learner.session_s.keys()
            spent = sum(
                max(learner.activity_s.get(d, 0.0), learner.session_s.get(d, 0.0))
                for d in studied
                if d < day
            )
            forecast = forecast_completion(
                remaining,
                daily,
                today=day - timedelta(days=1),
                pace_factor=pace_factor(spent / 60, done),
            )
            if forecast.status == "ok":
                assert forecast.expected_date and forecast.low_date and forecast.high_date
                errors[cut].append((forecast.expected_date - actual).days)
                inside[cut].append(forecast.low_date <= actual <= forecast.high_date)
            elif forecast.status == "not_enough_data":
                not_enough[cut] += 1
            else:
                other[forecast.status] += 1

    every = [e for cut in CUTS for e in errors[cut]]
    every_inside = [x for cut in CUTS for x in inside[cut]]
    report: dict[str, object] = {
        "seed": args.seed,
        "learners": args.learners,
        "days": args.days,
        "events": events,
        "learners_completing": completing,
        **summary(every, every_inside, sum(not_enough.values())),
        "other_statuses": dict(other),
        "by_cut": {
            f"{cut}_days_before": summary(errors[cut], inside[cut], not_enough[cut])
            for cut in sorted(CUTS)
        },
        "seconds": round(time.perf_counter() - started, 1),
    }

    print(f"learners completing: {completing}")
    print(f"forecasts made: {len(every)}, not_enough_data: {sum(not_enough.values())}")
    print(f"other statuses: {dict(other) or 'none'}")
    print(
        f"median abs error: {report['median_abs_error_days']} days, "
        f"mean: {report['mean_abs_error_days']} days, "
        f"inside 80% interval: {report['inside_80pct_interval']}, "
        f"signed median (expected - actual): {report['median_signed_error_days']} days"
    )
    for cut in sorted(CUTS):
        s = summary(errors[cut], inside[cut], not_enough[cut])
        print(
            f"  {cut:2d} days before: n={s['forecasts']}, not_enough_data={s['not_enough_data']}, "
            f"median={s['median_abs_error_days']}, mean={s['mean_abs_error_days']}, "
            f"inside={s['inside_80pct_interval']}, signed median={s['median_signed_error_days']}"
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
