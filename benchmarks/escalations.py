"""Benchmark: many complaints whose deadlines fall at the same moment, against a bare baseline.

    python -m benchmarks.escalations --count 1000 [--lead 120] [--database postgresql]
    python -m benchmarks.escalations --count 10000 --lead 900 --baseline-lead 240

Starts a Temporal dev server (SQLite file, WAL) and a real worker with the product's workflows
and activities on the app database (SQLite file, or PostgreSQL 16 from pgserver), files COUNT
ordinary complaints received one working day before moment T, waits for T, and measures how late
each escalation notification was written after its deadline. Then runs COUNT bare workflows
(timer to T2 + one activity) in the same server and worker process and reports both, with the
peak memory of the process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from benchmarks.baseline import FIRED, BaselineTimerWorkflow, baseline_fire
from db.migrate import upgrade
from db.models import CalendarDay, Complaint, Notification
from db.session import make_engine, make_sessionmaker
from domain.calendar import OfficeHours
from domain.complaint_models import ComplaintInput
from domain.complaints import ComplaintRecord
from domain.models import Actor
from domain.search import ALL_KEYS
from scripts.temporal_dev import SQLITE_PRAGMAS, temporal_cli
from temporal_client import DATA_CONVERTER
from worker import build_worker, workflow_runner

# Office open round the clock, so "one working day after received_at" is exactly T.
ALWAYS_OPEN = OfficeHours(opens=datetime.min.time(), closes=datetime.max.time())


def summary(lateness: list[float], started: float, deadline: float) -> dict[str, float]:
    last = max(lateness) if lateness else float("nan")
    return {
        "fired": len(lateness),
        "max_late_s": last,
        "p50_late_s": statistics.median(lateness) if lateness else float("nan"),
        "p95_late_s": sorted(lateness)[int(0.95 * (len(lateness) - 1))] if lateness else float("nan"),
        "rate_per_s": len(lateness) / max(last, 1e-3),
        "start_s": started,
    }


async def start_all(count: int, start_one: object, batch: int = 200) -> float:
    began = time.perf_counter()
    for offset in range(0, count, batch):
        await asyncio.gather(*(start_one(i) for i in range(offset, min(count, offset + batch))))  # type: ignore[operator]
    return time.perf_counter() - began


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def app_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'app.db'}"
    import pgserver  # a private PostgreSQL 16, as in the test suite

    return str(pgserver.get_server(str(workdir / "pg"), cleanup_mode="stop").get_uri())


async def run(count: int, lead: float, baseline_lead: float, database: str, cache: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    db_url = app_database(database, workdir)
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=[*SQLITE_PRAGMAS, "--db-filename", str(workdir / "temporal.db")],
        data_converter=DATA_CONVERTER,
        search_attributes=ALL_KEYS,
        ui=False,
    )
    client = env.client
    print(
        f"benchmark: {count} simultaneous deadlines, lead {lead:.0f}s, dev server on SQLite (WAL), "
        f"app database {database}, workflow cache {cache}"
    )

    # --- the product ---------------------------------------------------------------------------
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
    received = deadline - timedelta(days=1)
    async with sessions.begin() as session:  # both days are working days, whatever today is
        for day in {received.date(), deadline.date(), (received + timedelta(hours=16)).date()}:
            session.add(
                CalendarDay(
                    day=day, is_working_day=True, note="benchmark", updated_by="bench", updated_at=datetime.now(UTC)
                )
            )
    queue = f"bench-{uuid.uuid4()}"
    worker = build_worker(client, queue, sessions, office_hours=ALWAYS_OPEN, max_cached_workflows=cache)
    clerk = Actor(username="bench_clerk", roles=["sales_clerk"])  # type: ignore[list-item]

    async def file_complaint(i: int) -> None:
        record = ComplaintRecord(
            customer_name=f"客户 {i}",
            channel="phone",
            category="delivery",  # type: ignore[arg-type]
            severity="ordinary",
            description="benchmark",
            received_at=received,
        )  # type: ignore[arg-type]
        await client.start_workflow(
            "Complaint",
            ComplaintInput(record=record, registered_by=clerk),
            id=f"bench-complaint-{i}-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )

    async with worker:
        started = await start_all(count, file_complaint)
        print(
            f"product: {count} complaints started in {started:.1f}s; deadline in "
            f"{(deadline - datetime.now(UTC)).total_seconds():.0f}s"
        )
        if datetime.now(UTC) > deadline:
            print("WARNING: starting took longer than the lead; raise --lead")
        settled_at: float | None = None
        while True:
            async with sessions() as session:
                fired = await session.scalar(select(func.count()).where(Notification.kind == "escalation"))
                if settled_at is None and (await session.scalar(select(func.count(Complaint.process_id)))) >= count:
                    settled_at = (datetime.now(UTC) - deadline).total_seconds()
                    print(
                        f"product: every complaint registered and in its inbox {-settled_at:.0f}s before the deadline"
                    )
            if (fired or 0) >= count or datetime.now(UTC) > deadline + timedelta(seconds=600):
                break
            await asyncio.sleep(1)
        async with sessions() as session:
            moments = list(
                await session.scalars(select(Notification.created_at).where(Notification.kind == "escalation"))
            )
    product = summary([(m - deadline).total_seconds() for m in moments], started, deadline.timestamp())
    product_rss = peak_rss_mb()

    # --- the bare baseline ---------------------------------------------------------------------
    deadline2 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=baseline_lead)
    base_queue = f"baseline-{uuid.uuid4()}"
    FIRED.clear()

    async def start_baseline(i: int) -> None:
        await client.start_workflow(
            BaselineTimerWorkflow.run, deadline2, id=f"bench-base-{i}-{uuid.uuid4().hex[:6]}", task_queue=base_queue
        )

    async with Worker(
        client,
        task_queue=base_queue,
        workflows=[BaselineTimerWorkflow],
        activities=[baseline_fire],
        max_cached_workflows=cache,
        workflow_runner=workflow_runner(),  # the same runner as the product's worker
    ):
        started2 = await start_all(count, start_baseline)
        while len(FIRED) < count and datetime.now(UTC) < deadline2 + timedelta(seconds=600):  # noqa: ASYNC110
            await asyncio.sleep(1)
    baseline = summary([t - deadline2.timestamp() for t in FIRED], started2, deadline2.timestamp())

    print(f"\n{'':>10} {'fired':>7} {'max late s':>11} {'p50 s':>7} {'p95 s':>7} {'rate/s':>8} {'start s':>8}")
    for name, row in (("product", product), ("baseline", baseline)):
        print(
            f"{name:>10} {row['fired']:>7.0f} {row['max_late_s']:>11.2f} {row['p50_late_s']:>7.2f} "
            f"{row['p95_late_s']:>7.2f} {row['rate_per_s']:>8.1f} {row['start_s']:>8.1f}"
        )
    ratio = product["rate_per_s"] / baseline["rate_per_s"] if baseline["rate_per_s"] else float("nan")
    print(f"\nproduct escalation rate / baseline rate = {ratio:.2f}")
    print(
        f"peak memory of the worker process: {product_rss:.0f} MB after the product run, {peak_rss_mb():.0f} MB at end"
    )
    await env.shutdown()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--lead", type=float, default=120.0, help="seconds from now to the common deadline")
    parser.add_argument("--baseline-lead", type=float, default=None, help="the same for the baseline (default: --lead)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite", help="the app database")
    parser.add_argument("--cache", type=int, default=20_000, help="max cached workflows of both workers")
    args = parser.parse_args()
    asyncio.run(run(args.count, args.lead, args.baseline_lead or args.lead, args.database, args.cache))
