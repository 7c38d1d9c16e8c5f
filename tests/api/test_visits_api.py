"""Visit plans and reports through the real API (000 §12, 002 rule 7): the salesperson plans, the
marketing manager approves, the salesperson reports, the manager's view counts done against planned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.visits import CHINA
from tests.support import Api
from tests.workflows.test_grading import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


def this_month() -> tuple[str, date, date]:
    """The month in China, today, and the month's last day (a visit may be reported once made)."""
    today = datetime.now(CHINA).date()
    last = (today.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return today.strftime("%Y-%m"), today, last


@pytest.mark.rule(
    "002-7-visit-plan-for-next-month",
    "002-7-visit-plan-approved-by-supervisor",
    "002-7-report-after-the-visit",
    "002-7-visits-counted-for-assessment",
)
async def test_plan_approved_then_visits_reported_and_counted(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions, datetime.now(UTC))
    month, today, last = this_month()
    visits = [{"customer_id": customer.id, "planned_on": day.isoformat(), "purpose": "走访"} for day in (today, last)]
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
    first_visit, second_visit = sorted(v["visit_id"] for v in mine["visits"])
    report = {"visited_on": visits[0]["planned_on"], "summary": "客户需求稳定", "findings": "无"}
    early = await api.post(f"{P}/visits/{first_visit}/report", "sales_clerk", json=report)
    assert early.status_code == 409  # the plan is not approved yet

    approved = await api.decide("marketing_manager", plan["process_id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    # 002 rule 7: a visit dated after today has not happened: 422, and nothing is recorded.
    future = report | {"visited_on": (today + timedelta(days=1)).isoformat()}
    refused = await api.post(f"{P}/visits/{first_visit}/report", "sales_clerk", json=future)
    assert refused.status_code == 422 and "002 rule 7" in refused.text
    view = (await api.get(f"{P}/visit-plans", "marketing_manager", params={"month": month})).json()
    [mine] = [p for p in view if p["plan_id"] == plan["plan_id"]]
    assert mine["done"] == 0 and all(v["reported_at"] is None for v in mine["visits"])

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
    assert {v["visit_id"]: v["summary"] for v in mine["visits"]} == {first_visit: "客户需求稳定", second_visit: None}
    assert second_visit != first_visit
    others = (await api.get(f"{P}/visit-plans", "technical_dept", params={"month": month})).json()
    assert all(p["plan_id"] != plan["plan_id"] for p in others)
