"""Every create honours `Idempotency-Key` (issue 20 item 19), through the real API, a real worker and
the Temporal dev server, on SQLite and PostgreSQL.

The routes come from `app.routes`: every POST that answers 201 is a create, so a create route added
later without an entry in `CREATES` fails `test_every_create_route_has_a_request`, and one that
ignores the key fails its case. Each case sends a real request with a key, then the same again: the
retry must get the first answer, marked replayed. The survey is the case that waited on itself on
SQLite (its write on the request's session, the key's answer on a second writer: 503 after 10 s,
the survey lost, the retry 409 "in progress").
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.main import create_app
from db.models import Customer
from settings import Settings
from tests import trade_support as trade
from tests.activities.test_credit_store import make_credit_customer
from tests.api.test_customer_record import make_customer
from tests.api.test_depot_station_customers import depot_application, prepaid_customer, station_application
from tests.api.test_vat_invoices_api import approve_for_vat
from tests.inbox_support import add_user
from tests.support import Api, application, credit_papers

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def create_routes() -> set[str]:
    """The path of every POST route answering 201, read from the application's routes."""
    app = create_app(Settings(database_url="sqlite://"))
    found: set[str] = set()
    for route in app.routes:
        for context in getattr(route, "effective_route_contexts", lambda: [])():
            original = context.original_route
            if isinstance(original, APIRoute) and "POST" in (context.methods or ()) and original.status_code == 201:
                found.add(context.path)
    return found


async def file_of(sessions: async_sessionmaker[AsyncSession], unit: str = "MKT", *, status: str = "active") -> int:
    """A customer file of `unit` looked after by the sales clerk, trading for two years (past the
    first year of 001 §1, so it may be graded)."""
    customer_id = await make_customer(sessions, unit, status=status, owner_person="sales_clerk")
    async with sessions.begin() as session:
        since = datetime.now(UTC).date() - timedelta(days=730)
        await session.execute(update(Customer).where(Customer.id == customer_id).values(trading_since=since))
    return customer_id


Request = tuple[str, str, Any]  # user, path, JSON body
Setup = Callable[[Api, async_sessionmaker[AsyncSession]], Awaitable[Request]]


def fixed(user: str, path: str, body: Callable[[], Any]) -> Setup:
    async def setup(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
        return user, path, body()

    return setup


def on_file(user: str, path: str, body: Callable[[int], Any], unit: str = "MKT", status: str = "active") -> Setup:
    async def setup(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
        customer_id = await file_of(sessions, unit, status=status)
        return user, path.format(customer_id=customer_id), body(customer_id)

    return setup


async def draw(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    customer_id = await prepaid_customer(api)
    top_up = await api.post(
        f"{P}/customers/{customer_id}/top-ups", "station_manager", json={"amount": "50.00", "reference": "回单"}
    )
    assert top_up.status_code == 201, top_up.text
    assert (await api.decide("finance_reviewer", top_up.json()["process_id"], "approve")).status_code == 200
    return "station_manager", f"{P}/customers/{customer_id}/draws", {"amount": "10.00", "reference": "小票"}


async def credit_review(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    return "marketing_manager", f"{P}/customers/{customer_id}/credit-reviews", {"reason": "m"}


async def borrowing(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    """A fresh borrower: a loan's workflow id is customer and borrower, and the ids of customers
    repeat across the two databases that share one Temporal server."""
    customer_id = await file_of(sessions, "DEPOT-ZZ")
    borrower = await add_user(sessions, "technical_dept", unit=None)
    body = {"purpose": "m", "return_by": (date.today() + timedelta(days=3)).isoformat()}
    return borrower, f"{P}/customers/{customer_id}/borrowings", body


def _complaint() -> dict[str, Any]:
    return {"customer_name": "幂等测试客户", "channel": "phone", "category": "delivery", "severity": "ordinary"} | {
        "description": f"送货延误 {uuid.uuid4().hex}"
    }


class Upload(dict[str, Any]):
    """A multipart body (`files=`), for the create that takes a file: the ERP ledger import."""


async def ledger_import(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    async with sessions() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        code = customer.credit_code
    csv = f"credit_code,kind,amount,reference,occurred_at\n{code},receipt,1.00,IDEM-{uuid.uuid4().hex[:8]},2026-11-02\n"
    return "finance_reviewer", f"{P}/ledger/imports", Upload(file=("erp.csv", csv.encode()))


async def reversal(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"))
    receipt = {"kind": "receipt", "amount": "5.00", "reference": "m", "occurred_at": datetime.now(UTC).isoformat()}
    booked = await api.post(f"{P}/customers/{customer_id}/ledger", "finance_reviewer", json=receipt)
    assert booked.status_code == 201, booked.text
    path = f"{P}/customers/{customer_id}/ledger/{booked.json()['id']}/reversal"
    return "finance_reviewer", path, {"reason": "错单"}


async def vat_invoice(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    customer_id = await file_of(sessions, "STATION-ZZ01")
    await approve_for_vat(sessions, customer_id)
    return "station_manager", f"{P}/customers/{customer_id}/vat-invoices", {"amount": "1.00"}


async def rule_change(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Request:
    """A grading rule change with the numbers in force, far ahead: harmless to every other test."""
    current = (await api.get(f"{P}/grading/config", "auditor")).json()
    start = (date.today() + timedelta(days=9000)).isoformat()
    payload = {"weights": current["weights"], "thresholds": current["thresholds"], "effective_from": start}
    return "marketing_manager", f"{P}/rule-changes", {"rule": "grading_rule", "payload": payload | {"reason": "m"}}


MONEY = {"amount": "1.00", "reference": "idempotency"}
SURVEY = {"direction": "sell", "products": "柴油", "credit_standing": "良", "trade_conditions": "先款后货"}

CREATES: dict[str, Setup] = {
    f"{P}/onboarding": fixed("sales_clerk", f"{P}/onboarding", application),
    f"{P}/complaints": fixed("sales_clerk", f"{P}/complaints", _complaint),
    f"{P}/trade": fixed("sales_clerk", f"{P}/trade", trade.trade_application),
    f"{P}/users": fixed(
        "admin", f"{P}/users", lambda: {"username": f"idem_{uuid.uuid4().hex[:8]}", "password": "Idempotent-2026!"}
    ),
    f"{P}/customers/{{customer_id}}/changes": on_file(
        "sales_clerk", f"{P}/customers/{{customer_id}}/changes", lambda _: {"changes": {"fax": "0371-1"}, "reason": "m"}
    ),
    f"{P}/customers/{{customer_id}}/destruction": on_file(
        "marketing_manager", f"{P}/customers/{{customer_id}}/destruction", lambda _: {"reason": "m"}, status="past"
    ),
    f"{P}/customers/{{customer_id}}/survey": on_file(
        "sales_clerk", f"{P}/customers/{{customer_id}}/survey", lambda _: SURVEY
    ),
    f"{P}/customers/{{customer_id}}/grading": on_file(
        "marketing_manager", f"{P}/customers/{{customer_id}}/grading", lambda _: None
    ),
    f"{P}/visit-plans": on_file(
        "sales_clerk",
        f"{P}/visit-plans",
        lambda cid: {"month": "2031-01", "visits": [{"customer_id": cid, "planned_on": "2031-01-10", "purpose": "m"}]},
    ),
    f"{P}/development-plans": fixed(
        "marketing_manager",
        f"{P}/development-plans",
        lambda: {
            "month": "2031-01",
            "focus": "m",
            "targets": [{"salesperson": "sales_clerk", "prospect": "m", "indicator": "m", "target": "1"}],
        },
    ),
    f"{P}/research-notes": fixed(
        "sales_clerk",
        f"{P}/research-notes",
        lambda: {"month": "2020-01", "area": "m", "findings": "m", "customers_contacted": 1},
    ),
    f"{P}/depot-customers": fixed("depot_manager", f"{P}/depot-customers", depot_application),
    f"{P}/station-customers": fixed(
        "station_manager", f"{P}/station-customers", lambda: station_application(vat=False)
    ),
    f"{P}/customers/{{customer_id}}/top-ups": on_file(
        "station_manager", f"{P}/customers/{{customer_id}}/top-ups", lambda _: MONEY, unit="STATION-ZZ01"
    ),
    f"{P}/customers/{{customer_id}}/draws": draw,
    f"{P}/customers/{{customer_id}}/borrowings": borrowing,
    f"{P}/credit-applications": on_file(
        "sales_clerk",
        f"{P}/credit-applications",
        lambda cid: {"customer_id": cid, "limit": "1000.00", "term_days": 30, "reason": "m"} | credit_papers(),
    ),
    f"{P}/customers/{{customer_id}}/credit-reviews": credit_review,
    f"{P}/customers/{{customer_id}}/ledger": on_file(
        "finance_reviewer",
        f"{P}/customers/{{customer_id}}/ledger",
        lambda _: {"kind": "receipt", "amount": "1.00", "reference": "m", "occurred_at": datetime.now(UTC).isoformat()},
    ),
    f"{P}/ledger/imports": ledger_import,
    f"{P}/customers/{{customer_id}}/ledger/{{entry_id}}/reversal": reversal,
    f"{P}/customers/{{customer_id}}/vat-invoices": vat_invoice,
    f"{P}/rule-changes": rule_change,
}


async def test_every_create_route_has_a_request() -> None:
    routes = create_routes()
    assert not sorted(routes - CREATES.keys()), "create routes without a request in CREATES"
    assert not sorted(CREATES.keys() - routes), "CREATES entries for routes that no longer create"


@pytest.mark.parametrize(
    "route",
    sorted(create_routes()),
)
async def test_a_retry_with_the_same_key_replays_the_first_answer(
    route: str, api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert route in CREATES, f"{route}: no request in CREATES"
    user, path, body = await CREATES[route](api, sessions)
    headers = await api.headers(user) | {"Idempotency-Key": str(uuid.uuid4())}
    sent: dict[str, Any] = {"files": body} if isinstance(body, Upload) else {"json": body}
    first = await api.client.post(path, headers=headers, **sent)
    assert first.status_code == 201, first.text
    again = await api.client.post(path, headers=headers, **sent)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers.get("Idempotent-Replayed") == "true", again.text
