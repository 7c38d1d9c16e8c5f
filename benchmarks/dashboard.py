"""Benchmark: the managers' dashboard (`api.services.dashboard.dashboard`, `GET /api/v1/dashboard`,
the `/dashboard` page) with 100,000 open tasks and 10,000 customers in the database (issue 23 "Speed").

    python -m benchmarks.dashboard [--database sqlite|postgresql] [--tasks 100000] [--closed 30000]
                                   [--customers 10000] [--samples 50]

The database is the inbox benchmark's (benchmarks/inbox.py: the demo users, 20 depots and 100
stations, the tasks spread like a busy company, the decided ones decided now, so this month), plus
one process per three tasks (the tasks' own process ids, three in four still open) and CUSTOMERS
active customers of every grade, a third on credit terms at each risk level. For an auditor (the
whole company) and a depot and a station manager (their unit and below) it times the service
function, the JSON route and the page through the ASGI app. Prints p50 / p95 / p99 in ms. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

os.environ.setdefault("APP_ENV", "demo")

from activities.process_store import case_units
from api.main import create_app
from api.services.dashboard import dashboard
from api.visibility import viewer_for
from benchmarks.inbox import PROCESS_TYPES, actor_of, app_database, percentiles, seed_tasks, seed_units, timed, weighted
from db.migrate import upgrade
from db.models import CreditAccount, Customer, Process, User
from db.session import make_engine, make_sessionmaker
from scripts.seed_demo import seed
from settings import Settings

USERS = ("auditor", "depot_manager", "station_manager")
BATCH = 5000


async def insert_all(sessions: async_sessionmaker[AsyncSession], table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        async with sessions.begin() as session:
            await session.execute(insert(table), rows[start : start + BATCH])


async def seed_processes(sessions: async_sessionmaker[AsyncSession], count: int, units: list[str]) -> None:
    rng, now = random.Random(20261207), datetime.now(UTC)
    rows = [
        {
            "process_id": f"bench-{i:07d}",
            "workflow_id": f"bench-{i:07d}",
            "process_type": weighted(rng, PROCESS_TYPES),
            "status": rng.choice(("running", "running", "returned", "approved")),
            "subject": "华豫石化贸易有限公司",
            "applicant": "sales_clerk",
            "unit_code": rng.choice(units),
            "started_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    await insert_all(sessions, Process.__table__, rows)


async def seed_customers(sessions: async_sessionmaker[AsyncSession], count: int, units: list[str]) -> None:
    rng, now = random.Random(20261208), datetime.now(UTC)
    customers = [
        {
            "id": i + 1,
            "credit_code": f"91410100{i:09d}X"[:18],
            "name": f"郑州看板基准石化 {i}",
            "kind": "allocation_self_sale",
            "status": "active",
            "grade": rng.choice("ABC"),
            "address": "郑州",
            "legal_representative": "王",
            "phone": "0371-1",
            "card": {},
            "onboarding_process_id": f"bench-customer-{i}",
            "trading_since": date(2026, 1, 5),
            "created_at": now,
            "created_by": "sales_clerk",
            "unit_code": rng.choice(units),
        }
        for i in range(count)
    ]
    await insert_all(sessions, Customer.__table__, customers)
    accounts = [
        {
            "customer_id": i + 1,
            "settlement": "periodic",
            "credit_limit": Decimal("100000.00"),
            "term_days": 30,
            "risk_level": rng.choice(("low", "medium", "high")),
            "overdue_amount": Decimal("0.00"),
            "overdue_days": 0,
            "review_required": False,
            "updated_at": now,
        }
        for i in range(0, count, 3)
    ]
    await insert_all(sessions, CreditAccount.__table__, accounts)


async def signed_in(app: Any, username: str) -> httpx.AsyncClient:
    """A browser's cookie session (the sign-in form with its CSRF token)."""
    page = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', (await page.get("/login")).text)
    assert token, "no CSRF token on the sign-in page"
    await page.post("/login", data={"username": username, "password": "demo", "csrf_token": token[1]})
    return page


async def measure_user(
    app: Any, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], username: str, samples: int
) -> None:
    """The service function, the JSON route and the page, for one user."""
    actor = await actor_of(sessions, username)

    async def figures() -> None:
        async with sessions() as session:
            await dashboard(session, await viewer_for(session, actor))

    login = await http.post("/api/v1/auth/token", data={"username": username, "password": "demo"})
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    page = await signed_in(app, username)
    assert (await page.get("/dashboard")).status_code == 200
    assert (await http.get("/api/v1/dashboard", headers=bearer)).status_code == 200
    print(f"\n{username} ({', '.join(actor.roles)} @ {actor.unit}), ms:")
    print(f"  function  {percentiles(await timed(figures, samples))}")
    print(f"  JSON      {percentiles(await timed(lambda: http.get('/api/v1/dashboard', headers=bearer), samples))}")
    print(f"  page      {percentiles(await timed(lambda: page.get('/dashboard'), samples))}")
    await page.aclose()


async def seeded(args: argparse.Namespace, prefix: str) -> tuple[str, AsyncEngine, async_sessionmaker[AsyncSession]]:
    """A fresh database (its url, engine and sessions) with the demo users, the units, the tasks, the
    processes and the customers `args` asks for (the pages benchmark's too: benchmarks/pages.py)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url = app_database(args.database, workdir)
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    await seed(sessions)
    units = await seed_units(sessions)
    async with sessions() as session:
        users = list(await session.scalars(select(User.username)))
    began = time.perf_counter()
    await seed_tasks(sessions, args.tasks, args.closed, units, users)
    await seed_processes(sessions, (args.tasks + args.closed) // 3 + 1, units)
    async with sessions.begin() as session:
        await session.execute(case_units())  # each task's case's unit, as the store writes it
    await seed_customers(sessions, args.customers, units)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE" if args.database == "postgresql" else "ANALYZE"))
    print(
        f"{args.database}: {args.tasks:,} open tasks, {args.closed:,} closed, {args.customers:,} customers "
        f"seeded in {time.perf_counter() - began:.1f} s"
    )
    return url, engine, sessions


async def run(args: argparse.Namespace) -> None:
    url, engine, sessions = await seeded(args, "bench-dashboard-")
    app = create_app(Settings(app_env="demo", database_url=url), temporal=object(), sessions=sessions)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        for username in USERS:
            await measure_user(app, http, sessions, username, args.samples)
    await engine.dispose()


def arguments(description: str | None) -> argparse.ArgumentParser:
    """The database's size and the samples (the pages benchmark's too)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tasks", type=int, default=100_000, help="open tasks")
    parser.add_argument("--closed", type=int, default=30_000, help="done or cancelled tasks besides")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50, help="timed calls per user and way in")
    return parser


def main() -> None:
    asyncio.run(run(arguments(__doc__).parse_args()))


if __name__ == "__main__":
    main()
