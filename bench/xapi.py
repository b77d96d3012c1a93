"""xAPI LRS benchmark: statements/s over HTTP in batches of 100, and latency as the store grows.

Starts `stride serve` on a fresh SQLite database, posts Moodle-like statements (accounts,
quiz attempts with scores, course and section parents, extensions) to POST /xapi/statements
with several requests in flight, and prints statements/s and batch p50/p99 latency per
`--bucket` statements stored, so a latency that grows with the store shows. With the
analytics projection on (the default), it also prints the projection's backlog when the last
batch is answered and how long folding it takes.

    .venv/bin/python bench/xapi.py                          # 100,000 statements
    .venv/bin/python bench/xapi.py --statements 1000000 --bucket 100000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from ingest import Server, analytics_lag, percentile  # bench/ingest.py: the same harness
from machine import machine_line

LMS = "https://lms.example.edu"
VERBS = [
    ("http://id.tincanapi.com/verb/viewed", "viewed", 0.45),
    ("http://adlnet.gov/expapi/verbs/answered", "answered", 0.3),
    ("http://adlnet.gov/expapi/verbs/completed", "completed", 0.15),
    ("http://activitystrea.ms/schema/1.0/submit", "submitted", 0.1),
]


def _activity(kind: str, path: str, name: str) -> dict[str, Any]:
    return {
        "id": f"{LMS}/{path}",
        "definition": {"name": {"en": name}, "type": kind},
        "objectType": "Activity",
    }


def statement(rng: random.Random, learners: int, now: datetime) -> dict[str, Any]:
    """One statement shaped like the Moodle logstore plugin's."""
    learner = rng.randrange(learners)
    course = learner % 40
    module = rng.randrange(30)
    verb, word, _ = rng.choices(VERBS, weights=[w for *_, w in VERBS])[0]
    course_activity = _activity(
        "https://w3id.org/xapi/cmi5/activitytype/course", f"course/view.php?id={course}", "Course"
    )
    section = _activity(
        "http://id.tincanapi.com/activitytype/section",
        f"course/section.php?id={course * 100 + module // 5}",
        "Section",
    )
    quiz = _activity(
        "http://adlnet.gov/expapi/activities/assessment", f"mod/quiz/view.php?id={module}", "Quiz"
    )
    if word == "answered":
        target = _activity(
            "http://adlnet.gov/expapi/activities/cmi.interaction",
            f"question/question.php?cmid={module}&id={rng.randrange(500)}",
            "Question",
        )
        target["definition"]["interactionType"] = "choice"
        parents = [quiz, section, course_activity]
    elif word == "viewed":
        target, parents = quiz, [section, course_activity]
    else:
        target, parents = quiz, [section, course_activity]
    body: dict[str, Any] = {
        "actor": {"account": {"homePage": LMS, "name": str(learner)}, "name": f"Learner {learner}"},
        "verb": {"id": verb, "display": {"en": word}},
        "object": target,
        "timestamp": (now - timedelta(seconds=rng.randrange(86400 * 60))).isoformat(),
        "context": {
            "platform": "Moodle",
            "language": "en",
            "contextActivities": {
                "parent": parents,
                "category": [_activity("http://id.tincanapi.com/activitytype/lms", "", "LMS")],
            },
            "extensions": {
                "http://lrs.learninglocker.net/define/extensions/info": {
                    "http://moodle.org": "4.1.0",
                    "event_name": f"\\mod_quiz\\event\\{word}",
                }
            },
        },
    }
    if word in ("answered", "completed", "submitted"):
        raw = rng.randrange(101)
        body["result"] = {
            "score": {"raw": raw, "min": 0, "max": 100, "scaled": raw / 100},
            "success": raw >= 50,
            "completion": word != "answered",
            "duration": f"PT{rng.randrange(1, 3600)}S",
        }
    return body


async def send_all(
    base: str, headers: dict[str, str], batches: list[bytes], concurrency: int, bucket: int
) -> list[dict[str, Any]]:
    """Post every batch; return figures per `bucket` statements stored."""
    per_batch = len(orjson.loads(batches[0]))
    results: list[tuple[float, float]] = [(0.0, 0.0)] * len(batches)  # (end time, latency)
    queue = iter(enumerate(batches))

    async def worker(client: httpx.AsyncClient) -> None:
        for index, body in queue:
            started = time.perf_counter()
            response = await client.post(f"{base}/xapi/statements", content=body, headers=headers)
            ended = time.perf_counter()
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
            results[index] = (ended, ended - started)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    rows = []
    per_bucket = max(1, bucket // per_batch)
    previous_end = started
    for first in range(0, len(results), per_bucket):
        chunk = results[first : first + per_bucket]
        end = max(e for e, _ in chunk)
        latencies = [lat for _, lat in chunk]
        rows.append(
            {
                "stored_up_to": min(len(results), first + per_bucket) * per_batch,
                "statements_per_s": round(len(chunk) * per_batch / (end - previous_end)),
                "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            }
        )
        previous_end = end
    total = max(e for e, _ in results) - started
    rows.append({"total_statements": len(results) * per_batch, "seconds": round(total, 1)})
    rows[-1]["statements_per_s"] = round(len(results) * per_batch / total)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--bucket", type=int, default=10_000)
    parser.add_argument("--learners", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(machine_line())

    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    batches = [
        orjson.dumps([statement(rng, args.learners, now) for _ in range(args.batch)])
        for _ in range(args.statements // args.batch)
    ]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'xapi.db'}"
        with Server(url) as server:
            tenant = server.stride("tenants", "create", "bench-xapi")
            _, key_id, secret = tenant["api_key"].split("_", 2)
            basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
            headers = {
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/json",
                "X-Experience-API-Version": "1.0.3",
            }
            rows = asyncio.run(
                send_all(server.base, headers, batches, args.concurrency, args.bucket)
            )
            probe = httpx.get(f"{server.base}/xapi/statements?limit=1", headers=headers)
            print(f"GET /xapi/statements: {probe.status_code}, Date: {probe.headers.get('date')}")
            if os.environ.get("STRIDE_ANALYTICS_INTERVAL_SECONDS") != "0":  # projection on
                print(orjson.dumps(analytics_lag(url, tenant["tenant_id"])).decode())
    for row in rows:
        print(orjson.dumps(row).decode())


if __name__ == "__main__":
    main()
