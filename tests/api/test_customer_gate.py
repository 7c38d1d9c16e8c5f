"""The customer status gate (004 §4-§6, domain/customer_gate.py) on every route that touches a
customer, through the real API on SQLite and PostgreSQL.

`ROUTES` declares the operation of each such route. The list of routes that must be declared is read
from `app.routes` (a `{customer_id}` in the path, or a `customer_id` anywhere in the body or query),
so a new customer-touching route fails here until it is given its operation. Every declared route
that can refuse is then walked with a customer in every status its operation refuses: 409 naming
the status, and nothing written for that customer.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.main import create_app
from db.models import (
    Customer,
    CustomerChange,
    CustomerLedgerEntry,
    CustomerSurvey,
    DevelopmentTarget,
    Process,
    Visit,
)
from domain.customer_gate import ALLOWED, DESTROYED, EVERY, CustomerOperation
from settings import Settings
from tests import trade_support as trade
from tests.support import Api, credit_papers, random_credit_code

Op = CustomerOperation
V = "/api/v1"
CHINA = ZoneInfo("Asia/Shanghai")

# Every route that touches an existing customer, with what it does to it (domain/customer_gate.py).
ROUTES: dict[tuple[str, str], CustomerOperation] = {
    ("GET", f"{V}/customers/{{customer_id}}"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/changes"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/survey"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/gradings"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/ledger"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/borrowings"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/credit/decisions"): Op.read,
    ("GET", f"{V}/customers/{{customer_id}}/credit"): Op.read,
    ("GET", f"{V}/regulations/rules/{{rule_id}}"): Op.read,  # a rule's evidence for one customer (issue 21)
    ("POST", f"{V}/complaints"): Op.complain,
    ("GET", f"{V}/customers/{{customer_id}}/vat-invoices"): Op.read,
    ("POST", f"{V}/customers/{{customer_id}}/vat-invoices"): Op.invoice,
    ("POST", f"{V}/big-customer-meetings/{{meeting_id}}/minutes"): Op.read,  # records who attended: a fact
    ("POST", f"{V}/customers/{{customer_id}}/changes"): Op.change_card,
    ("POST", f"{V}/customers/{{customer_id}}/status"): Op.change_status,
    ("POST", f"{V}/register-reviews/{{process_id}}/results"): Op.change_status,
    ("POST", f"{V}/customers/{{customer_id}}/destruction"): Op.destroy_file,
    ("POST", f"{V}/customers/{{customer_id}}/survey"): Op.survey,
    ("POST", f"{V}/customers/{{customer_id}}/borrowings"): Op.borrow_file,
    ("POST", f"{V}/customers/{{customer_id}}/grading"): Op.grade,
    ("POST", f"{V}/customers/{{customer_id}}/grading/scores"): Op.grade,
    ("POST", f"{V}/customers/{{customer_id}}/top-ups"): Op.top_up,
    ("POST", f"{V}/customers/{{customer_id}}/draws"): Op.deliver,
    ("POST", f"{V}/customers/{{customer_id}}/ledger"): Op.deliver,  # a receipt is `collect`: allowed always
    ("POST", f"{V}/customers/{{customer_id}}/ledger/{{entry_id}}/reversal"): Op.correct_ledger,
    ("POST", f"{V}/credit-applications"): Op.credit_application,
    ("POST", f"{V}/credit-applications/{{process_id}}/resubmit"): Op.credit_application,
    ("POST", f"{V}/customers/{{customer_id}}/credit-reviews"): Op.credit_review,
    ("POST", f"{V}/visit-plans"): Op.visit_plan,
    ("POST", f"{V}/development-plans"): Op.develop,
    # named by credit code, not id: a partner or bidder already on file
    ("POST", f"{V}/trade"): Op.award,
    ("POST", f"{V}/trade/{{process_id}}/bids"): Op.award,
    ("POST", f"{V}/trade/{{process_id}}/evaluation"): Op.award,
}
BY_CREDIT_CODE = {
    ("POST", f"{V}/trade"),
    ("POST", f"{V}/trade/{{process_id}}/bids"),
    ("POST", f"{V}/trade/{{process_id}}/evaluation"),
}


def _names_customer(annotation: Any, seen: set[type]) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        return any(
            name in {"customer_id", "customer_ids"} or _names_customer(field.annotation, seen)
            for name, field in annotation.model_fields.items()
        )
    return any(_names_customer(arg, seen) for arg in typing.get_args(annotation))


def _routes() -> Iterator[tuple[set[str], str, APIRoute]]:
    app = create_app(Settings(database_url="sqlite://"))
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                if isinstance(context.original_route, APIRoute):
                    yield set(context.methods or ()), context.path, context.original_route
        elif isinstance(route, APIRoute):
            yield set(route.methods or ()), route.path, route


def customer_touching_routes() -> set[tuple[str, str]]:
    """(method, path) of every route naming a customer by id, in its path, body or query."""
    found: set[tuple[str, str]] = set()
    for methods, path, route in _routes():
        params = route.dependant.body_params + route.dependant.query_params
        if "{customer_id}" in path or any(
            p.name in {"customer_id", "customer_ids"} or _names_customer(p.field_info.annotation, set()) for p in params
        ):
            found.update((m, path) for m in methods if m not in {"HEAD", "OPTIONS"})
    return found


def test_every_route_that_touches_a_customer_declares_its_operation() -> None:
    served = {(m, p) for methods, p, _ in _routes() for m in methods}
    touching = customer_touching_routes()
    assert touching - ROUTES.keys() == set(), "give each new customer-touching route its operation in ROUTES"
    assert ROUTES.keys() - served == set(), "ROUTES names a route the app does not serve"
    assert ROUTES.keys() - touching == BY_CREDIT_CODE


# --- the walk ---------------------------------------------------------------------------------------


def _next_month() -> tuple[str, str]:
    today = datetime.now(CHINA).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m"), first.isoformat()


def _move(cid: int, code: str) -> dict[str, Any]:
    return {"amount": "10.00", "reference": f"R-{uuid.uuid4().hex[:8]}"}


def _visit_plan(cid: int, code: str) -> dict[str, Any]:
    month, first = _next_month()
    return {"month": month, "visits": [{"customer_id": cid, "planned_on": first, "purpose": "回访"}]}


def _development_plan(cid: int, code: str) -> dict[str, Any]:
    month, _ = _next_month()
    target = {"salesperson": "sales_clerk", "customer_id": cid, "indicator": "月销量 (吨)", "target": "10"}
    return {"month": month, "focus": "恢复交易", "targets": [target]}


SURVEY = {"direction": "sell", "products": "0# 柴油", "credit_standing": "无不良记录", "trade_conditions": "先款后货"}
SCORES = {"contract_payment": 90, "year_end_receivables": 80, "contract_premium": 70, "strategic_influence": 60}
RETURN_BY = (date.today() + timedelta(days=14)).isoformat()


class Walk(BaseModel):
    """How to call one route for a customer: who, the customer's unit, and the body."""

    user: str
    body: Callable[[int, str], dict[str, Any] | None] = lambda cid, code: None
    unit: str = "HQ"


WALKS: dict[tuple[str, str], Walk] = {
    ("POST", f"{V}/customers/{{customer_id}}/changes"): Walk(
        user="sales_clerk", body=lambda cid, code: {"changes": {"fax": "0371-1"}, "reason": "传真变更"}
    ),
    ("POST", f"{V}/customers/{{customer_id}}/status"): Walk(
        user="marketing_manager", body=lambda cid, code: {"status": "terminated", "reason": "解散"}
    ),
    ("POST", f"{V}/customers/{{customer_id}}/destruction"): Walk(
        user="sales_clerk", body=lambda cid, code: {"reason": "已无恢复交易可能"}
    ),
    ("POST", f"{V}/customers/{{customer_id}}/survey"): Walk(user="sales_clerk", body=lambda cid, code: SURVEY),
    ("POST", f"{V}/customers/{{customer_id}}/borrowings"): Walk(
        user="depot_manager_b", unit="DEPOT-ZZ", body=lambda cid, code: {"purpose": "核对", "return_by": RETURN_BY}
    ),
    ("POST", f"{V}/customers/{{customer_id}}/grading"): Walk(user="marketing_manager"),
    ("POST", f"{V}/customers/{{customer_id}}/grading/scores"): Walk(
        user="marketing_manager", body=lambda cid, code: {"scores": SCORES}
    ),
    ("POST", f"{V}/customers/{{customer_id}}/top-ups"): Walk(user="sales_clerk", body=_move),
    ("POST", f"{V}/customers/{{customer_id}}/draws"): Walk(user="sales_clerk", body=_move),
    ("POST", f"{V}/customers/{{customer_id}}/ledger"): Walk(
        user="sales_clerk",
        body=lambda cid, code: {
            "kind": "delivery",
            "amount": "10.00",
            "reference": f"ERP-{uuid.uuid4().hex[:8]}",
            "occurred_at": datetime.now(UTC).isoformat(),
        },
    ),
    ("POST", f"{V}/credit-applications"): Walk(
        user="sales_clerk",
        body=lambda cid, code: (
            {"customer_id": cid, "limit": "1000.00", "term_days": 30, "reason": "月结"} | credit_papers()
        ),
    ),
    ("POST", f"{V}/customers/{{customer_id}}/credit-reviews"): Walk(
        user="marketing_manager", body=lambda cid, code: {"reason": "复核"}
    ),
    ("POST", f"{V}/visit-plans"): Walk(user="sales_clerk", body=_visit_plan),
    ("POST", f"{V}/development-plans"): Walk(user="marketing_manager", body=_development_plan),
    ("POST", f"{V}/trade"): Walk(user="sales_clerk", body=lambda cid, code: trade.trade_application(credit_code=code)),
    ("POST", f"{V}/customers/{{customer_id}}/vat-invoices"): Walk(
        user="station_manager", unit="STATION-ZZ01", body=lambda cid, code: {"amount": "100.00"}
    ),
}
# Declared but not walked here: what they refuse is the same check of a route walked above, or
# they need a running process first (the bids and the ranking: the test below; the store steps:
# tests/activities/test_customer_gate.py).
NOT_WALKED = {
    ("POST", f"{V}/register-reviews/{{process_id}}/results"),  # a running register review
    ("POST", f"{V}/credit-applications/{{process_id}}/resubmit"),  # the same form check as the filing
    ("POST", f"{V}/trade/{{process_id}}/bids"),  # a deal in its bidding stage
    ("POST", f"{V}/trade/{{process_id}}/evaluation"),  # a tender closed with three bids
}


def test_every_refusing_route_is_walked() -> None:
    refusing = {key for key, op in ROUTES.items() if ALLOWED[op] != EVERY}
    assert refusing - NOT_WALKED == WALKS.keys()


async def _customer(sessions: async_sessionmaker[AsyncSession], status: str, unit: str) -> tuple[int, str]:
    code = random_credit_code()
    async with sessions.begin() as session:
        customer = Customer(
            credit_code=code,
            name="郑州状态闸测试石化有限公司",
            kind="allocation_self_sale",
            status="past" if status == DESTROYED else status,
            address="河南省郑州市花园路 1 号",
            legal_representative="王建国",
            phone="0371-65550000",
            card={},
            onboarding_process_id=f"gate-{uuid.uuid4()}",
            trading_since=date(2020, 1, 6),  # years of trade: only the status may refuse
            created_at=datetime(2020, 1, 6, tzinfo=UTC),
            created_by="general_manager",
            owner_person="sales_clerk",  # the clerk who looks after it (000 §10) walks the clerk's routes
            unit_code=unit,
            destroyed_at=datetime.now(UTC) if status == DESTROYED else None,
            destroyed_by="marketing_manager" if status == DESTROYED else None,
        )
        session.add(customer)
        await session.flush()
        return customer.id, code


async def _written_for(sessions: async_sessionmaker[AsyncSession], cid: int, code: str) -> int:
    """Rows any of the walked routes would write for this customer."""
    async with sessions() as session:
        total = 0
        for model, column in (
            (Process, Process.customer_id),
            (CustomerLedgerEntry, CustomerLedgerEntry.customer_id),
            (CustomerSurvey, CustomerSurvey.customer_id),
            (CustomerChange, CustomerChange.customer_id),
            (Visit, Visit.customer_id),
            (DevelopmentTarget, DevelopmentTarget.customer_id),
        ):
            total += await session.scalar(select(func.count()).select_from(model).where(column == cid)) or 0
        total += (
            await session.scalar(select(func.count()).select_from(Process).where(Process.workflow_id.like(f"%{code}%")))
            or 0
        )
        return total


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.rule("004-4-nothing-new-unless-trading")
async def test_every_route_refuses_every_status_its_operation_refuses(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """004 §4-§6: a suspended, past, terminated or destroyed customer takes no delivery, top-up,
    credit application, grading, visit plan or award; only a past file is destroyed."""
    wrong: list[str] = []
    walked = 0
    for (method, path), walk in WALKS.items():
        operation = ROUTES[(method, path)]
        for status in sorted(EVERY - ALLOWED[operation]):
            cid, code = await _customer(sessions, status, walk.unit)
            url = path.replace("{customer_id}", str(cid))
            body = walk.body(cid, code)
            response = await api.client.request(method, url, json=body, headers=await api.headers(walk.user))
            walked += 1
            if response.status_code != 409 or status not in response.text:
                wrong.append(f"{operation} {path} as {status}: {response.status_code} {response.text[:200]}")
            elif await _written_for(sessions, cid, code):
                wrong.append(f"{operation} {path} as {status}: something was written")
    assert wrong == []
    assert walked >= 40


@pytest.mark.asyncio(loop_scope="session")
async def test_a_suspended_customer_still_pays_what_it_owes_and_may_trade_again(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Money owed is collected whatever the status (000 §13); a suspended customer moved back to
    active takes deliveries again (004 §4 (四): suspended is not the end)."""
    cid, _ = await _customer(sessions, "suspended", "HQ")
    receipt = {
        "kind": "receipt",
        "amount": "50.00",
        "reference": f"BANK-{uuid.uuid4().hex[:8]}",
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    booked = await api.post(f"{V}/customers/{cid}/ledger", "finance_reviewer", json=receipt)
    assert booked.status_code == 201, booked.text
    delivery = receipt | {"kind": "delivery", "amount": "20.00", "reference": f"ERP-{uuid.uuid4().hex[:8]}"}
    refused = await api.post(f"{V}/customers/{cid}/ledger", "sales_clerk", json=delivery)
    assert refused.status_code == 409 and "suspended" in refused.json()["detail"], refused.text
    back = await api.post(
        f"{V}/customers/{cid}/status", "marketing_manager", json={"status": "active", "reason": "恢复"}
    )
    assert back.status_code == 200, back.text
    again = await api.post(f"{V}/customers/{cid}/ledger", "sales_clerk", json=delivery)
    assert again.status_code == 201, again.text
    assert Decimal(again.json()["balance_after"]) == Decimal("30.00")


@pytest.mark.asyncio(loop_scope="session")
async def test_a_bidder_on_file_that_may_not_trade_neither_bids_nor_is_ranked_first(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §7 (五)-(六), 004 §4-§6: a terminated customer's bid is 409; a bidder suspended after its
    bid cannot be ranked first (and the award's customer creation checks it again)."""
    from tests.api.test_trade_api import BIDDING_SECONDS, ok, today, wait_for_stage

    pid = (await ok(await api.post(f"{V}/trade", "sales_clerk", json=trade.trade_application()), 201))["process_id"]
    await ok(await api.decide("marketing_reviewer", pid, "approve", "ok"))
    await ok(await api.decide("business_vp", pid, "approve", "ok"))
    decision = trade.leadership(today())
    await ok(await api.post(f"{V}/trade/{pid}/leadership-decision", "leadership_secretary", json=decision))
    deadline = datetime.now(UTC) + timedelta(seconds=BIDDING_SECONDS)
    await ok(await api.post(f"{V}/trade/{pid}/tender", "sales_clerk", json=trade.tender(deadline)))
    _, dissolved = await _customer(sessions, "terminated", "HQ")
    refused = await api.post(
        f"{V}/trade/{pid}/bids", "sales_clerk", json=trade.bid("已解散", "90.00", credit_code=dissolved)
    )
    assert refused.status_code == 409 and "terminated" in refused.json()["detail"], refused.text
    later_id, later = await _customer(sessions, "active", "HQ")
    bids = [trade.bid("甲石化", "100.00", credit_code=later), trade.bid("乙石化", "110.00")]
    bids.append(trade.bid("丙石化", "120.00"))
    for bid in bids:
        await ok(await api.post(f"{V}/trade/{pid}/bids", "sales_clerk", json=bid))
    async with sessions.begin() as session:
        customer = await session.get(Customer, later_id)
        assert customer is not None
        customer.status = "suspended"
    await wait_for_stage(api, pid, "evaluation")
    ranking = {"ranking": [b["bidder"]["credit_code"] for b in bids], "rationale": "价低者优先"}
    ranked = await api.post(f"{V}/trade/{pid}/evaluation", "sales_clerk", json=ranking)
    assert ranked.status_code == 409 and "suspended" in ranked.json()["detail"], ranked.text
    assert (await api.task_for("sales_clerk", pid))["step"] == "evaluation"  # still to be ranked
