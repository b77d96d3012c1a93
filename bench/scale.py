"""Scale-out benchmark on PostgreSQL: 1 and 2 server processes, where the CPU goes.

For each process count, starts `stride serve --workers N` on a fresh PostgreSQL database,
sends batches of 500 events with several requests in flight, and reports:

- events/s and p50/p99 batch latency (as bench/ingest.py);
- analytics backlog: the events the analytics projection process had not folded yet when
  the last batch was answered, and how long it then took to catch up; `events_per_s_caught_up`
  counts that time too, so a run whose projection fell behind does not look faster than one
  whose projection kept up;
- projection lag: from an ingest response to the moment the learner's progress read shows
  the event. Learner read models are folded inside the ingest transaction, so the first read
  after the response already shows it: the lag is the time of that one read (~ms), not a
  queue to drain. (Engagement/usage rollups are folded after the fact, but every analytics
  read catches its tenant up first, so readers see no lag there either.)
- CPU split: CPU seconds of the server processes, of the PostgreSQL backends serving the
  bench database, of this client and of everything else on the machine (/proc/stat), over
  the sending window (from /proc/<pid>/stat), as cores used. The side whose cores are full is
  the bottleneck; "other" shows when the machine is shared.

    .venv/bin/python bench/scale.py                    # 1,000,000 events, workers 1 and 2
    .venv/bin/python bench/scale.py --events 50000 --workers 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import (  # bench/ingest.py, beside this script
    DEFAULT_POSTGRES_URL,
    Server,
    build_batches,
    drop_postgres_database,
    percentile,
    postgres_database,
    send_all,
)
from machine import machine_line
from stride.demo.service import DEMO_CATALOG

TICKS = os.sysconf("SC_CLK_TCK")
PROBE_LEARNER = "lag-probe"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (0 when it is gone or unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process on the machine."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), parent, name))
    return found


def _descendants(root: int, processes: list[tuple[int, int, str]]) -> set[int]:
    tree, grew = {root}, True
    while grew:
        added = {pid for pid, parent, _ in processes if parent in tree} - tree
        tree |= added
        grew = bool(added)
    return tree


def _machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / TICKS


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class CpuMeter:
    """CPU seconds used by the server process tree, by the PostgreSQL backends serving the
    bench database, by this client, and by everything else on the machine."""

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid = server_pid
        self.database = database

    def sample(self) -> dict[str, float]:
        processes = _processes()
        server = _descendants(self.server_pid, processes)
        backends = {
            pid
            for pid, _, name in processes
            if name.startswith("postgres") and f" {self.database} " in _cmdline(pid)
        }
        times = os.times()
        ours = {
            "server": sum(_cpu_seconds(pid) for pid in server),
            "postgres": sum(_cpu_seconds(pid) for pid in backends),
            "client": times.user + times.system,
        }
        return {**ours, "other": _machine_busy_seconds() - sum(ours.values())}


async def probe_lag(base: str, api_key: str, stop: asyncio.Event) -> tuple[list[float], list[int]]:
    """Ingest one event at a time for a probe learner; time until her progress shows it."""
    headers = {"Authorization": f"Bearer {api_key}"}
    lags: list[float] = []
    reads: list[int] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        sent = 0
        while not stop.is_set():
            event = {
                "id": str(uuid.uuid4()),
                "type": "session.started",
                "learner": PROBE_LEARNER,
                "timestamp": datetime.now(UTC).isoformat(),
            }
            (await client.post("/v1/events", json=event)).raise_for_status()
            answered = time.perf_counter()
            sent += 1
            for read in itertools.count(1):
                progress = await client.get(f"/v1/learners/{PROBE_LEARNER}/progress")
                if progress.status_code == 200 and progress.json()["events"] >= sent:
                    reads.append(read)
                    break
                await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - answered)
            await asyncio.sleep(0.2)
    return lags, reads


_BACKLOG = text(
    "SELECT count(*) FROM events WHERE tenant_id = :t AND seq > "
    "coalesce((SELECT max(seq) FROM analytics_cursors WHERE tenant_id = :t), 0)"
)


def analytics_backlog(engine: Engine, tenant_id: str) -> int:
    """Events of the tenant past the analytics projection's cursor."""
    with engine.connect() as connection:
        return int(connection.execute(_BACKLOG, {"t": tenant_id}).scalar_one())


def wait_for_analytics(engine: Engine, tenant_id: str, limit_s: float = 900) -> float | None:
    """Seconds until the projection has folded every event (None past `limit_s`)."""
    started = time.perf_counter()
    while analytics_backlog(engine, tenant_id) > 0:
        if time.perf_counter() - started > limit_s:
            return None
        time.sleep(0.5)  # the projection folds pages of seconds: poll, do not spin
    return time.perf_counter() - started


async def measure(
    server: Server,
    database: tuple[str, str],
    tenant_id: str,
    api_key: str,
    batches: list[bytes],
    concurrency: int,
) -> dict[str, Any]:
    url, name = database
    assert server.process is not None
    meter = CpuMeter(server.process.pid, name)
    stop = asyncio.Event()
    before, started = meter.sample(), time.perf_counter()
    prober = asyncio.create_task(probe_lag(server.base, api_key, stop))
    figures = await send_all(server.base, api_key, batches, concurrency)
    stop.set()
    lags, reads = await prober
    after, wall = meter.sample(), time.perf_counter() - started
    engine = create_engine(url)
    try:
        backlog = analytics_backlog(engine, tenant_id)
        catch_up = wait_for_analytics(engine, tenant_id)
    finally:
        engine.dispose()
    cores = {side: round((after[side] - before[side]) / wall, 2) for side in before}
    figures.update(
        {
            "lag_probes": len(lags),
            "lag_p50_ms": round(percentile(lags, 50) * 1000, 1) if lags else None,
            "lag_p99_ms": round(percentile(lags, 99) * 1000, 1) if lags else None,
            # 1.0: the first read after the response always showed the event (inline folds)
            "lag_shown_at_first_read": round(reads.count(1) / len(reads), 2) if reads else None,
            "cores_used": cores,
            "cpu_ms_per_1000_events": {
                side: round((after[side] - before[side]) * 1e6 / max(1, figures["events_accepted"]))
                for side in before
            },
            "analytics_backlog_events": backlog,
            "analytics_catch_up_s": None if catch_up is None else round(catch_up, 1),
            "events_per_s_caught_up": None
            if catch_up is None
            else round(figures["events_accepted"] / (figures["seconds"] + catch_up)),
            "bottleneck": bottleneck(cores, os.cpu_count() or 1, server.workers),
        }
    )
    return figures


def bottleneck(cores: dict[str, float], machine_cores: int, workers: int) -> str:
    """Where the time goes, in words: the side whose cores are full."""
    total = sum(cores.values())
    if total >= 0.85 * machine_cores:
        busiest = max(cores, key=lambda name: cores[name])
        return (
            f"the machine's {machine_cores} cores are full ({total:.1f} used); "
            f"{busiest} uses most ({cores[busiest]:.1f})"
        )
    if cores["server"] >= 0.85 * workers:
        return f"the {workers} server process(es) are CPU-bound ({cores['server']:.1f} cores)"
    if cores["postgres"] >= 0.85:
        return f"PostgreSQL's backends ({cores['postgres']:.1f} cores; one per connection)"
    return "no side saturates its cores: waiting on locks, I/O or commits (raise --concurrency?)"


class ScaleServer(Server):
    """bench/ingest.py's server, given longer to start (several processes import at once on
    a loaded machine) and stopped if it never becomes ready."""

    def __enter__(self) -> ScaleServer:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "stride.cli.main", "serve"),
                *("--port", str(self.port), "--workers", str(self.workers)),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)  # still starting: poll again shortly
        self.__exit__()
        raise RuntimeError("the server did not become ready within 300 s")


def run(
    url: str, name: str, workers: int, batches: list[bytes], concurrency: int
) -> dict[str, Any]:
    with ScaleServer(url, workers) as server:
        tenant = server.stride("tenants", "create", "scale")
        server.stride("catalog", "apply", str(DEMO_CATALOG), "--tenant", tenant["tenant_id"])
        tenant_id, api_key = tenant["tenant_id"], tenant["api_key"]
        database = (url, name)
        return asyncio.run(measure(server, database, tenant_id, api_key, batches, concurrency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="server process counts to compare")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("STRIDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    args = parser.parse_args()
    print(machine_line())
    started = time.perf_counter()
    batches, _ = build_batches(args.events, args.batch, args.seed)
    print(
        f"prepared {len(batches)} batches of {args.batch} in {time.perf_counter() - started:.0f} s"
    )

    results: dict[str, Any] = {}
    for workers in (int(n) for n in args.workers.split(",")):
        database = postgres_database(args.postgres_url)
        if database is None:
            return
        url, name = database
        try:
            results[f"workers_{workers}"] = run(url, name, workers, batches, args.concurrency)
        finally:
            drop_postgres_database(args.postgres_url, name)
        print(f"workers {workers}:", orjson.dumps(results[f"workers_{workers}"]).decode())
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
