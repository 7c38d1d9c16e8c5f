"""Benchmark: the inbox (`GET /api/v1/tasks`) with 100,000 open tasks in the database.

    python -m benchmarks.inbox [--database sqlite|postgresql] [--tasks 100000] [--closed 30000]
                               [--samples 200] [--extra-index NAME ...] [--no-http]

Builds a fresh app database (SQLite file, or PostgreSQL 16 from pgserver) with the migrations and
the demo users, adds 20 depots and 100 stations, and seeds TASKS open tasks (plus CLOSED done or
cancelled ones) straight into `tasks`, spread like a busy company: process types onboarding /
approval / complaint / external_trade; two thirds for a head-office role (no unit), a quarter for a
depot or station manager of one of 124 units (the demo depots and stations a fair share), the rest
named for a person (a deputy, a delegate, a leader); some role tasks claimed; due dates from ten
days ago to thirty days ahead, one in six without a deadline, the past ones flagged overdue.

Then, for several demo users, it times the real inbox query (`api.services.inbox.inbox_page`, the
function the route calls, each call in a fresh session like a request) and the same through the
ASGI app with httpx (token auth, the org-units lookup, JSON): the first page, deep pages reached
by following `next_cursor`, and the filters. A page is 50 tasks. Prints p50 / p95 / p99 in ms per
scenario and the size of each user's inbox. Asserts nothing.

`--extra-index` creates an index the migrations do not (see INDEXES) before measuring, to show
what it buys.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Benchmarks run the demo configuration explicitly (api.main builds its app, and reads settings, on import).
os.environ.setdefault("APP_ENV", "demo")

from api.main import create_app
from api.services.inbox import InboxQuery, InboxSort, inbox_page
from api.visibility import viewer_for
from db.migrate import upgrade
from db.models import OrgUnit, Task, User
from db.session import make_engine, make_sessionmaker
from domain.models import Actor
from domain.roles import Role
from scripts.seed_demo import seed
from settings import Settings

PAGE = 50
HEAD_OFFICE = (
    Role.marketing_reviewer,
    Role.finance_reviewer,
    Role.business_vp,
    Role.general_manager,
    Role.marketing_manager,
    Role.chief_accountant,
    Role.legal_reviewer,
    Role.technical_dept,
)
PROCESS_TYPES = (("onboarding", 40), ("approval", 30), ("complaint", 20), ("external_trade", 10))
STEPS = {
    "onboarding": ("marketing_review", "finance_recheck", "vp_consent", "gm_approval"),
    "approval": ("unit_review", "joint_review", "leader_1", "leader_2"),
    "complaint": ("investigation", "verdict", "remedy", "reply"),
    "external_trade": ("marketing_credit_review", "vp_review", "legal_review", "finance_audit"),
}
NAMES = ("华豫石化", "中原能源", "豫北物流", "开封化工", "洛阳燃气", "新乡运输", "许昌建材", "安阳钢铁", "南阳农机")
KINDS = ("贸易有限公司", "物流有限公司", "加油站", "化工股份有限公司", "运输有限公司")

# Candidate indexes the migrations do not create, to measure what one would buy before writing its
# migration: name -> statements run after seeding (`--extra-index NAME`, or `all`). Empty today:
# the five the inbox wants are migration 0005's (`Task.__table_args__`).
INDEXES: dict[str, tuple[str, ...]] = {}


def app_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'app.db'}"
    import pgserver  # a private PostgreSQL 16, as in the test suite

    return str(pgserver.get_server(str(workdir / "pg"), cleanup_mode="delete").get_uri())


def bigger_sqlite_cache(dbapi_connection: Any, _record: object) -> None:
    """A page cache that holds the inbox indexes (SQLite's default is 2 MB) and memory-mapped reads."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB
    cursor.execute("PRAGMA mmap_size=268435456")  # 256 MB
    cursor.close()


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


async def seed_units(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    """The demo units plus 20 depots and 100 stations (each station under a depot)."""
    async with sessions.begin() as session:
        for d in range(1, 21):
            depot = f"DEPOT-B{d:02d}"
            session.add(OrgUnit(code=depot, name=f"油库 {d}", kind="depot", parent_code="HQ"))
            await session.flush()
            for s in range(1, 6):
                session.add(
                    OrgUnit(code=f"STATION-B{d:02d}{s}", name=f"加油站 {d}-{s}", kind="station", parent_code=depot)
                )
        await session.flush()
        units = list(await session.scalars(select(OrgUnit.code).where(OrgUnit.kind.in_(["depot", "station"]))))
    return units


async def seed_tasks(
    sessions: async_sessionmaker[AsyncSession], open_count: int, closed_count: int, units: list[str], users: list[str]
) -> None:
    rng = random.Random(20261130)
    now = datetime.now(UTC)
    demo_units = ("DEPOT-ZZ", "STATION-ZZ01", "DEPOT-KF", "STATION-KF01")
    rows: list[dict[str, Any]] = []

    def row(i: int, status: str) -> dict[str, Any]:
        process_type = weighted(rng, PROCESS_TYPES)
        kind = rng.random()
        role: str = rng.choice(HEAD_OFFICE).value
        unit: str | None = None
        unit_parents = False
        assignee = claimed_by = on_behalf_of = delegated_by = None
        if kind < 0.25:  # a depot or station manager's task, one unit of 124 (the demo ones busier)
            unit = rng.choice(demo_units) if rng.random() < 0.1 else rng.choice(units)
            role = (Role.depot_manager if unit.startswith("DEPOT") else Role.station_manager).value
            unit_parents = rng.random() < 0.2
        elif kind < 0.35:  # named for a person
            assignee = rng.choice(users)
            on_behalf_of = rng.choice(users) if rng.random() < 0.1 else None
            delegated_by = rng.choice(users) if rng.random() < 0.1 else None
        elif rng.random() < 0.05:
            claimed_by = rng.choice(users)
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        due = None if rng.random() < 1 / 6 else now + timedelta(minutes=rng.randint(-10 * 24 * 60, 30 * 24 * 60))
        process_id = f"bench-{i // 3:07d}"
        decided = status != "open"
        return {
            "task_id": f"{process_id}:{i:07d}",
            "process_id": process_id,
            "workflow_id": f"{process_type}-{i // 3:07d}",
            "process_type": process_type,
            "step": rng.choice(STEPS[process_type]),
            "step_title": "审批",
            "role": role,
            "unit_code": unit,
            "unit_parents": unit_parents,
            "assignee": assignee,
            "on_behalf_of": on_behalf_of,
            "delegated_by": delegated_by,
            "claimed_by": claimed_by,
            "subject": f"{rng.choice(NAMES)}{rng.choice(KINDS)} {i}",
            "round": 1,
            "status": status,
            "created_at": created,
            "due_at": due,
            "due_provisional": due is not None and due.year > 2026,
            "overdue": due is not None and due < now,
            "escalation_level": 1 if due is not None and due < now - timedelta(days=2) else 0,
            "decided_at": now if decided else None,
            "decided_by": rng.choice(users) if decided else None,
            "outcome": "approve" if status == "done" else None,
            "comment": None,
        }

    statuses = ["open"] * open_count + [rng.choice(("done", "cancelled")) for _ in range(closed_count)]
    rng.shuffle(statuses)
    for i, status in enumerate(statuses):
        rows.append(row(i, status))
        if len(rows) == 5000:
            async with sessions.begin() as session:
                await session.execute(insert(Task), rows)
            rows = []
    if rows:
        async with sessions.begin() as session:
            await session.execute(insert(Task), rows)


@dataclass
class Scenario:
    name: str
    query: InboxQuery
    pages: int = 1  # > 1: time pages 2..N reached by following next_cursor; 0: the last 5 pages


def scenarios() -> list[Scenario]:
    soon = datetime.now(UTC) + timedelta(days=3)
    return [
        Scenario("first page, by due", InboxQuery()),
        Scenario("pages 2-20 by due (cursor)", InboxQuery(), pages=20),
        Scenario("last 5 pages by due", InboxQuery(), pages=0),
        Scenario("first page, oldest first", InboxQuery(sort=InboxSort.age)),
        Scenario("pages 2-20 newest first", InboxQuery(sort=InboxSort.newest), pages=20),
        Scenario("process_type=onboarding", InboxQuery(process_type="onboarding")),
        Scenario("overdue=true", InboxQuery(overdue=True)),
        Scenario("due_before=+3d", InboxQuery(due_before=soon)),
        Scenario("q=华豫", InboxQuery(q="华豫")),
        Scenario("q=华豫, pages 2-5", InboxQuery(q="华豫"), pages=5),
        Scenario("step + overdue=false", InboxQuery(step="finance_recheck", overdue=False)),
    ]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

    return f"p50 {statistics.median(ordered):6.2f}  p95 {at(0.95):6.2f}  p99 {at(0.99):6.2f}  max {ordered[-1]:6.2f}"


async def timed(call: Callable[[], Awaitable[Any]], samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        began = time.perf_counter()
        await call()
        out.append((time.perf_counter() - began) * 1000)
    return out


async def actor_of(sessions: async_sessionmaker[AsyncSession], username: str) -> Actor:
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return Actor(username=username, roles=[Role(r.role) for r in user.roles], unit=user.unit_code)


async def deep_cursors(page: Callable[[str | None], Awaitable[str | None]], pages: int) -> list[str | None]:
    """Untimed walk from the first page: the cursors of pages 2..pages, or (pages=0) of the last 5."""
    cursors: list[str | None] = [None]
    while pages == 0 or len(cursors) < pages:
        nxt = await page(cursors[-1])
        if nxt is None:
            break
        cursors.append(nxt)
    return (cursors[-5:] if pages == 0 else cursors[1:]) or [None]


async def measure_function(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, scenario: Scenario, samples: int
) -> list[float]:
    """The route's own function, a fresh session and the org-units lookup per call (as a request)."""

    async def page(cursor: str | None) -> str | None:
        async with sessions() as session:
            viewer = await viewer_for(session, actor)
            q = scenario.query
            query = InboxQuery(**{**q.__dict__, "cursor": cursor, "limit": PAGE})
            return (await inbox_page(session, viewer, query)).next_cursor

    if scenario.pages == 1:
        return await timed(lambda: page(None), samples)
    deep = await deep_cursors(page, scenario.pages)
    out: list[float] = []
    while len(out) < samples:
        for cursor in deep:
            out.extend(await timed(lambda c=cursor: page(c), 1))  # type: ignore[misc]
    return out[:samples]


async def measure_http(http: httpx.AsyncClient, token: str, scenario: Scenario, samples: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    q = scenario.query
    params: dict[str, Any] = {"limit": PAGE, "sort": q.sort.value}
    for key in ("process_type", "step", "unit", "q"):
        if getattr(q, key):
            params[key] = getattr(q, key)
    if q.overdue is not None:
        params["overdue"] = str(q.overdue).lower()
    if q.due_before is not None:
        params["due_before"] = q.due_before.isoformat()

    async def page(cursor: str | None) -> str | None:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await http.get("/api/v1/tasks", params=query, headers=headers)
        response.raise_for_status()
        nxt: str | None = response.json()["next_cursor"]
        return nxt

    if scenario.pages == 1:
        return await timed(lambda: page(None), samples)
    deep = await deep_cursors(page, scenario.pages)
    out: list[float] = []
    while len(out) < samples:
        for cursor in deep:
            out.extend(await timed(lambda c=cursor: page(c), 1))  # type: ignore[misc]
    return out[:samples]


class GcPauses:
    """Collections of the oldest generation during the measurement, and how long they took."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._began) * 1000)

    def summary(self) -> str:
        if not self.pauses:
            return "no full collection"
        return f"{len(self.pauses)} full collections, longest {max(self.pauses):.1f} ms"


USERS = ("marketing_reviewer", "general_manager", "depot_manager", "station_manager_b", "finance_reviewer")


async def run(args: argparse.Namespace) -> None:
    if "all" in args.extra_index:
        args.extra_index = list(INDEXES)
    workdir = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    url = app_database(args.database, workdir)
    upgrade(url)
    engine = make_engine(url)
    if args.sqlite_cache and args.database == "sqlite":
        event.listen(engine.sync_engine, "connect", bigger_sqlite_cache)
    sessions = make_sessionmaker(engine)
    await seed(sessions)
    units = await seed_units(sessions)
    async with sessions() as session:
        users = list(await session.scalars(select(User.username)))
    began = time.perf_counter()
    await seed_tasks(sessions, args.tasks, args.closed, units, users)
    async with engine.begin() as conn:
        for name in args.extra_index:
            for statement in INDEXES[name]:
                await conn.execute(text(statement))
    # The state autovacuum keeps a table in (statistics, and on PostgreSQL the visibility map that
    # lets an index-only scan skip the table); SQLite's ANALYZE is what `PRAGMA optimize` runs.
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tasks" if args.database == "postgresql" else "ANALYZE"))
    async with sessions() as session:
        open_tasks = await session.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        all_tasks = await session.scalar(select(func.count()).select_from(Task))
    print(
        f"{args.database}: {open_tasks:,} open tasks ({all_tasks:,} in all) seeded in "
        f"{time.perf_counter() - began:.1f} s; extra indexes: {', '.join(args.extra_index) or 'none'}"
        f"{'; SQLite cache 64 MB + mmap' if args.sqlite_cache and args.database == 'sqlite' else ''}"
    )

    app = create_app(Settings(app_env="demo", database_url=url), temporal=object(), sessions=sessions)  # type: ignore[arg-type]
    summary: list[float] = []
    by_scenario: dict[tuple[str, str], list[float]] = {}
    gc.collect()
    if args.gc_freeze:  # what an API process can do once started: the startup heap is never scanned again
        gc.freeze()
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for username in USERS:
                actor = await actor_of(sessions, username)
                async with sessions() as session:
                    viewer = await viewer_for(session, actor)
                    first = await inbox_page(session, viewer, InboxQuery(limit=1))
                size = sum(first.counts.values())
                print(f"\n{username} ({', '.join(actor.roles)} @ {actor.unit}): {size:,} open tasks in the inbox")
                token = ""
                if args.http:
                    login = await http.post("/api/v1/auth/token", data={"username": username, "password": "demo"})
                    token = login.json()["access_token"]
                for scenario in scenarios():
                    fn = await measure_function(sessions, actor, scenario, args.samples)
                    line = f"  {scenario.name:<28} function  {percentiles(fn)}"
                    by_scenario.setdefault((scenario.name, "function"), []).extend(fn)
                    summary.extend(fn)
                    if args.http:
                        over_http = await measure_http(http, token, scenario, args.samples)
                        by_scenario.setdefault((scenario.name, "HTTP"), []).extend(over_http)
                        summary.extend(over_http)
                        line += f"\n  {'':<28} HTTP      {percentiles(over_http)}"
                    print(line)
    print(f"\nevery user together, ms per page of {PAGE}:")
    for (name, mode), samples in by_scenario.items():
        print(f"  {name:<28} {mode:<9} {percentiles(samples)}")
    print(f"all scenarios, all users: {percentiles(summary)}")
    print(f"garbage collector: {pauses.summary()}{' (heap frozen after start-up)' if args.gc_freeze else ''}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tasks", type=int, default=100_000, help="open tasks")
    parser.add_argument("--closed", type=int, default=30_000, help="done or cancelled tasks besides")
    parser.add_argument("--samples", type=int, default=200, help="timed calls per scenario and user")
    parser.add_argument("--extra-index", action="append", default=[], choices=[*sorted(INDEXES), "all"])
    parser.add_argument("--no-http", dest="http", action="store_false", help="time only the function")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() once set up, before measuring")
    parser.add_argument("--sqlite-cache", action="store_true", help="SQLite: 64 MB page cache and mmap reads")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
