"""What `make run` shows beyond the demo users (issue 20 §13): customers on credit (000 §13), next
month's visit plan of the sales clerk (000 §12) and the quarter's big-customer meeting (000 §15), so
every process has something in it.

Only `make run` adds them — `scripts.seed_demo` writes the customers after the users, and
`scripts.run_stack` starts the processes once the API answers. The tests seed the users alone
(`seed_demo.seed`), so nothing here changes what they count. Each part is idempotent: a second
`make run` adds nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import WorkflowAlreadyStartedError

from db.models import CreditAccount, Customer
from domain.credit import RiskLevel, Settlement
from domain.credit_code import make_credit_code
from domain.development import MeetingRound
from settings import DEMO_PASSWORD, Settings
from temporal_client import connect


@dataclass(frozen=True)
class CreditCustomer:
    code17: str  # the credit code without its check character (GB 32100-2015)
    name: str
    limit: Decimal
    term_days: int


# Customers the sales clerk looks after, on periodic settlement (000 §13 定期结算).
CREDIT_CUSTOMERS = (
    CreditCustomer("91410100MA47XP001", "郑州中原物流有限公司 (演示: 授信客户)", Decimal("500000.00"), 30),
    CreditCustomer("91410200MA47XP002", "开封汴京运输集团 (演示: 授信客户)", Decimal("200000.00"), 15),
)
DEMO_CLERK = "sales_clerk"
MEETING_ROUND_ID = "big-customer-meeting-round-demo"


async def add_credit_customers(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The customers on credit that are missing; returns how many were added."""
    added = 0
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for demo in CREDIT_CUSTOMERS:
            code = make_credit_code(demo.code17)
            if await session.scalar(select(Customer.id).where(Customer.credit_code == code)) is not None:
                continue
            customer = Customer(
                credit_code=code,
                name=demo.name,
                kind="allocation_settlement",
                grade="B",
                address="河南省郑州市金水区花园路 1 号",
                legal_representative="李明",
                phone="0371-65550000",
                card={"business_scope": "道路货物运输"},
                onboarding_process_id=f"demo-credit-{demo.code17}",
                trading_since=(now - timedelta(days=400)).date(),
                created_at=now,
                created_by=DEMO_CLERK,
                owner_person=DEMO_CLERK,
                unit_code="MKT",
            )
            session.add(customer)
            await session.flush()
            session.add(
                CreditAccount(
                    customer_id=customer.id,
                    settlement=Settlement.periodic.value,
                    credit_limit=demo.limit,
                    term_days=demo.term_days,
                    collector=DEMO_CLERK,
                    risk_level=RiskLevel.low.value,
                    overdue_amount=Decimal("0"),
                    overdue_days=0,
                    review_required=False,
                    updated_at=now,
                )
            )
            added += 1
    return added


def next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def submit_visit_plan(api: str, today: date) -> bool:
    """Next month's visit plan of the sales clerk (000 §12), waiting for the marketing manager;
    False when the clerk already has one for that month."""
    first = next_month(today)
    month = first.strftime("%Y-%m")
    with httpx.Client(base_url=api, timeout=60) as client:
        token = client.post("/api/v1/auth/token", data={"username": DEMO_CLERK, "password": DEMO_PASSWORD})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        plans = client.get("/api/v1/visit-plans", params={"month": month}, headers=headers)
        plans.raise_for_status()
        if plans.json():
            return False
        customers = client.get("/api/v1/customers", params={"q": "演示: 授信客户"}, headers=headers)
        customers.raise_for_status()
        visits = [
            {"customer_id": c["id"], "planned_on": (first + timedelta(days=4 + 10 * i)).isoformat(), "purpose": "回访"}
            for i, c in enumerate(customers.json()[:2])
        ]
        if not visits:
            return False
        submitted = client.post("/api/v1/visit-plans", json={"month": month, "visits": visits}, headers=headers)
        submitted.raise_for_status()
    return True


async def open_meeting(temporal: str, settings: Settings) -> bool:
    """The quarter's big-customer meeting (000 §15), as its schedule opens it on the quarter's first
    day; one per quarter whatever runs it (False while this demo round is still running)."""
    client = await connect(temporal, settings.temporal_namespace, tls=settings.temporal_tls())
    try:
        await client.start_workflow(
            "BigCustomerMeetingRound", MeetingRound(), id=MEETING_ROUND_ID, task_queue=settings.task_queue
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


def wait_until_healthy(api: str, seconds: float = 60) -> None:
    """The API answers 200 on /health once its database and Temporal do."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{api} was not healthy after {seconds:.0f}s")


def start_demo_processes(api: str, temporal: str, settings: Settings) -> None:
    """Called by `make run` once the API listens (`temporal`: the address the stack uses); a failure
    is reported, never fatal to the stack."""
    try:
        wait_until_healthy(api)
        planned = submit_visit_plan(api, datetime.now(UTC).date())
        opened = asyncio.run(open_meeting(temporal, settings))
    except (httpx.HTTPError, RuntimeError, OSError) as exc:
        print(f"demo processes not started: {exc}", flush=True)
        return
    print(
        f"demo processes: visit plan {'submitted' if planned else 'present'}, "
        f"meeting round {'started' if opened else 'present'}",
        flush=True,
    )
