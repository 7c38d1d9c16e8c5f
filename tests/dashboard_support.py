"""Known rows for the managers' dashboard tests (tests/api/test_dashboard_api.py, tests/web/
test_dashboard_page.py): two fresh depots A (with a station A1 below it) and B, their managers, a
clerk of A, and the processes, tasks, complaints and customers the figures are counted from, written
straight into the database as the engine's projections would be. A process type of the test's own
keeps the company-wide figures of other tests' rows apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Complaint, CreditAccount, Customer
from domain.dashboard import month_window
from tests.activities.test_credit_store import make_credit_customer
from tests.inbox_support import Rows, add_unit, add_user, uid


@dataclass
class World:
    kind: str
    unit_a: str
    station_a1: str
    unit_b: str
    manager_a: str
    manager_b: str
    clerk_a: str
    auditor: str
    month: str


async def add_complaint(
    sessions: async_sessionmaker[AsyncSession], unit: str, received: datetime, closed_at: datetime | None, due: datetime
) -> None:
    async with sessions.begin() as session:
        session.add(
            Complaint(
                process_id=uid("cmp-"),
                workflow_id="dashboard-test",
                customer_name="看板测试客户",
                channel="phone",
                category="delivery",
                severity="ordinary",
                description="送货延误",
                unit_code=unit,
                registered_by="test",
                received_at=received,
                month=month_window(received)[0],
                due_at=due,
                status="closed" if closed_at else "running",
                stage="closed" if closed_at else "investigation",
                closed_at=closed_at,
                closed_on_time=None if closed_at is None else closed_at <= due,
                details={},
                updated_at=received,
            )
        )


async def add_customer(
    sessions: async_sessionmaker[AsyncSession], unit: str, grade: str, risk: str | None, status: str = "active"
) -> None:
    """A customer of `unit`; with `risk`, on credit terms at that risk level (003 §6)."""
    limit = None if risk is None else Decimal("100000.00")
    customer_id = await make_credit_customer(sessions, unit=unit, limit=limit, grade=grade)
    async with sessions.begin() as session:
        await session.execute(update(Customer).where(Customer.id == customer_id).values(status=status))
        if risk is not None:
            await session.execute(
                update(CreditAccount).where(CreditAccount.customer_id == customer_id).values(risk_level=risk)
            )


async def _processes(rows: Rows, world: World) -> dict[str, str]:
    """Open cases: A 2 running, A1 1 returned (below A), B 1 running; an approved one in A is closed."""
    made: dict[str, str] = {}
    for name, unit, status in [
        ("a1", world.unit_a, "running"),
        ("a2", world.unit_a, "running"),
        ("a1_station", world.station_a1, "returned"),
        ("a_done", world.unit_a, "approved"),
        ("b1", world.unit_b, "running"),
    ]:
        made[name] = (await rows.process(process_type=world.kind, unit_code=unit, status=status)).process_id
    return made


async def _tasks(rows: Rows, world: World, made: dict[str, str]) -> None:
    """Overdue now: two in A at step `review` (one flagged by the clock and past due too: counted
    once; one past due, not flagged yet, whose seat is head office: it counts under its case's unit),
    one in B (flagged, no deadline: a 督办 task); not overdue: one due tomorrow, one late but decided.
    Decided this month in A at `review`: 10 h, 20 h and (a head-office seat) 30 h; one last month."""
    now = datetime.now(UTC)
    _, start, _ = month_window(now)
    common: dict[str, Any] = {"process_type": world.kind, "step": "review", "role": "depot_manager"}
    await rows.task(
        process_id=made["a1"], unit_code=world.unit_a, overdue=True, due_at=now - timedelta(days=1), **common
    )
    await rows.task(process_id=made["a2"], unit_code=None, due_at=now - timedelta(hours=2), **common)
    await rows.task(process_id=made["b1"], unit_code=world.unit_b, overdue=True, **common)
    await rows.task(process_id=made["a1"], unit_code=world.unit_a, due_at=now + timedelta(days=1), **common)
    for created, decided, case, seat in [
        (1, 11, "a1", world.unit_a),
        (1, 21, "a1", world.unit_a),
        (1, 31, "a2", None),  # a head-office seat's decision on A's case: A's
        (-5, -1, "a1", world.unit_a),
    ]:
        await rows.task(
            process_id=made[case],
            unit_code=seat,
            status="done",
            overdue=True,
            created_at=start + timedelta(hours=created),
            decided_at=start + timedelta(hours=decided),
            **common,
        )


async def build_world(sessions: async_sessionmaker[AsyncSession], rows: Rows) -> World:
    unit_a = await add_unit(sessions, "HQ", "depot")
    unit_b = await add_unit(sessions, "HQ", "depot")
    station_a1 = await add_unit(sessions, unit_a, "station")
    now = datetime.now(UTC)
    world = World(
        kind=uid("dash-"),
        unit_a=unit_a,
        station_a1=station_a1,
        unit_b=unit_b,
        manager_a=await add_user(sessions, "depot_manager", unit=unit_a),
        manager_b=await add_user(sessions, "depot_manager", unit=unit_b),
        clerk_a=await add_user(sessions, "sales_clerk", unit=unit_a),
        auditor=await add_user(sessions, "auditor", unit="HQ"),
        month=month_window(now)[0],
    )
    await _tasks(rows, world, await _processes(rows, world))
    received = month_window(now)[1] + timedelta(hours=1)  # this China month
    due = received + timedelta(days=1)
    await add_complaint(sessions, unit_a, received, received + timedelta(hours=3), due)  # on time
    await add_complaint(sessions, station_a1, received, due + timedelta(hours=1), due)  # late
    await add_complaint(sessions, unit_a, received, None, due)  # open: not in the rate
    await add_complaint(sessions, unit_a, received - timedelta(days=40), received - timedelta(days=40), due)
    await add_complaint(sessions, unit_b, received, received + timedelta(hours=1), due)
    await add_customer(sessions, unit_a, "A", "high")
    await add_customer(sessions, station_a1, "C", None)
    await add_customer(sessions, unit_a, "C", "low")
    await add_customer(sessions, unit_a, "B", "medium", status="suspended")  # not active: not counted
    await add_customer(sessions, unit_b, "A", "low")
    return world
