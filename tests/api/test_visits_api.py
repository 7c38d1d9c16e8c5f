"""Visit plans and reports through the real API (000 §12, 002 rule 7): the salesperson plans, the
marketing manager approves, the salesperson reports, the manager's view counts done against planned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support import Api
from tests.workflows.test_grading import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def next_month() -> tuple[str, date]:
    first = (datetime.now(UTC).date().replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m"), first


async def test_plan_approved_then_visits_reported_and_counted(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions, datetime.now(UTC))
    month, first = next_month()
    visits = [
        {"customer_id": customer.id, "planned_on": (first + timedelta(days=d)).isoformat(), "purpose": "走访"}
        for d in (3, 10)
    ]
    body = {"month": month, "visits": visits}
    assert (await api.post(f"{P}/visit-plans", "marketing_manager", json=body)).status_code == 403
    outside = {"month": month, "visits": [visits[0] | {"planned_on": "2020-01-01"}]}
    assert (await api.post(f"{P}/visit-plans", "sales_clerk", json=outside)).status_code == 422
    unknown = {"month": month, "visits": [visits[0] | {"customer_id": 2_000_000_000}]}
    assert (await api.post(f"{P}/visit-plans", "sales_clerk", json=unknown)).status_code == 422
    past = {"month": "2020-01", "visits": [visits[0] | {"planned_on": "2020-01-10"}]}
    assert (await api.post(f"{P}/visit-plans", "sales_clerk", json=past)).status_code == 422

    started = await api.post(f"{P}/visit-plans", "sales_clerk", json=body)
    assert started.status_code == 201, started.text
    plan = started.json()
    assert plan["current_step"] == "manager_approval"

    view = (await api.get(f"{P}/visit-plans", "marketing_manager", params={"month": month})).json()
    [mine] = [p for p in view if p["plan_id"] == plan["plan_id"]]
    assert (mine["status"], mine["planned"], mine["done"], mine["late"]) == ("running", 2, 0, 0)
    first_visit, second_visit = (v["visit_id"] for v in mine["visits"])
    report = {"visited_on": visits[0]["planned_on"], "summary": "客户需求稳定", "findings": "无"}
    early = await api.post(f"{P}/visits/{first_visit}/report", "sales_clerk", json=report)
    assert early.status_code == 409  # the plan is not approved yet

    approved = await api.decide("marketing_manager", plan["process_id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    assert (await api.post(f"{P}/visits/{first_visit}/report", "marketing_manager", json=report)).status_code == 403
    assert (await api.post(f"{P}/visits/{first_visit}/report", "technical_dept", json=report)).status_code == 404
    reported = await api.post(f"{P}/visits/{first_visit}/report", "sales_clerk", json=report)
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "approved"
    assert (await api.post(f"{P}/visits/{first_visit}/report", "sales_clerk", json=report)).status_code == 409

    view = (await api.get(f"{P}/visit-plans", "marketing_manager", params={"month": month})).json()
    [mine] = [p for p in view if p["plan_id"] == plan["plan_id"]]
    assert (mine["status"], mine["planned"], mine["done"], mine["late"]) == ("approved", 2, 1, 0)
    assert mine["decided_by"] == "marketing_manager"
    assert [v["summary"] for v in mine["visits"]] == ["客户需求稳定", None]
    assert second_visit != first_visit
    others = (await api.get(f"{P}/visit-plans", "technical_dept", params={"month": month})).json()
    assert all(p["plan_id"] != plan["plan_id"] for p in others)
