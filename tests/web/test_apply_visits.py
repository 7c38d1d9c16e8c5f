"""The visit plan and visit report forms (issue 23, "Applicants"; 000 §12, 002 rule 7) over the real
app, a real worker and the Temporal dev server, on SQLite and PostgreSQL: filed through the API's
own services, refusals beside their fields with nothing kept, the wrong user refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Visit, VisitPlan
from domain.visits import CHINA
from tests.support import Api
from tests.web.pages_support import Browser, signed_in
from tests.workflows.test_grading import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/visit-plan"


def this_month() -> tuple[str, date, date]:
    today = datetime.now(CHINA).date()
    last = (today.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return today.strftime("%Y-%m"), today, last


def plan(month: str, *visits: tuple[int, date]) -> dict[str, str]:
    form = {"month": month}
    for n, (customer_id, day) in enumerate(visits):
        row = f"visit-{n + 2}"  # rows need not be the first ones
        form |= {f"{row}-customer_id": str(customer_id), f"{row}-planned_on": day.isoformat(), f"{row}-purpose": "走访"}
    return form


async def plans_for(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> int:
    async with sessions() as session:
        query = select(func.count(func.distinct(Visit.plan_id))).where(Visit.customer_id == customer_id)
        return int(await session.scalar(query) or 0)


async def approved_visit(api: Api, clerk: Browser, sessions: async_sessionmaker[AsyncSession], customer_id: int) -> int:
    """This month's plan of the signed-in sales clerk, filed from the web (a visit to the customer today
    and one on the month's last day) and approved by the marketing manager: the id of its first
    visit, now to be reported (002 rule 7)."""
    month, today, last = this_month()
    await clerk.get(FORM)
    filed = await clerk.post(FORM, plan(month, (customer_id, today), (customer_id, last)))
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    async with sessions() as session:
        row = await session.scalar(
            select(VisitPlan).where(VisitPlan.salesperson == "sales_clerk").order_by(VisitPlan.id.desc())
        )
        assert row is not None and row.month == month and len(row.visits) == 2
        first = min(v.id for v in row.visits)
    assert (await api.decide("marketing_manager", process_id, "approve")).status_code == 200
    return first


async def test_a_plan_is_filed_approved_and_its_visit_reported_from_the_web(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions, datetime.now(UTC))
    _, today, _ = this_month()
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert 'id="nav-visit-plan"' in (await clerk.get("/")).text
    page = await clerk.get(FORM, params={"rows": 7})
    assert page.status_code == 200 and 'for="visit-6-purpose"' in page.text and 'for="visit-7-purpose"' not in page.text
    first = await approved_visit(api, clerk, sessions, customer.id)

    listed = await clerk.get(FORM)
    assert f'href="/apply/visits/{first}/report"' in listed.text
    report_page = f"/apply/visits/{first}/report"
    assert (await clerk.get(report_page)).status_code == 200
    future = await clerk.post(
        report_page, {"visited_on": (today + timedelta(days=1)).isoformat(), "summary": "需求稳定"}
    )
    assert future.status_code == 422 and 'id="error-visited_on"' in future.text and "002 rule 7" in future.text
    reported = await clerk.post(
        report_page, {"visited_on": today.isoformat(), "summary": "客户需求稳定", "findings": "无"}
    )
    assert reported.status_code == 303, reported.text
    async with sessions() as session:
        visit = await session.get(Visit, first)
        assert visit is not None and visit.summary == "客户需求稳定" and visit.reported_at is not None
    again = await clerk.post(report_page, {"visited_on": today.isoformat(), "summary": "再报"})
    assert again.status_code == 409 and 'id="error-form"' in again.text


async def test_plan_refusals_stand_beside_their_fields_and_keep_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions, datetime.now(UTC))
    month, today, _ = this_month()
    clerk = await signed_in(api, browsers, "sales_clerk")
    await clerk.get(FORM)
    invalid = await clerk.post(FORM, plan(month, (customer.id, today)) | {"visit-2-purpose": "走" * 501})
    assert invalid.status_code == 422 and 'id="error-visit-2-purpose"' in invalid.text
    ended = await clerk.post(FORM, plan("2020-01", (customer.id, date(2020, 1, 10))))
    assert ended.status_code == 422 and 'id="error-month"' in ended.text and "000 §12" in ended.text
    unknown = await clerk.post(FORM, plan(month, (customer.id, today), (2_000_000_000, today)))
    assert unknown.status_code == 422 and 'id="error-visit-3-customer_id"' in unknown.text
    assert 'value="2000000000"' in unknown.text  # the form as typed
    assert await plans_for(sessions, customer.id) == 0


async def test_the_wrong_user_is_refused_and_nothing_is_kept(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions, datetime.now(UTC))
    month, today, _ = this_month()
    manager = await signed_in(api, browsers, "marketing_manager")  # approves plans, files none
    assert 'id="nav-visit-plan"' not in (await manager.get("/")).text
    assert (await manager.get(FORM)).status_code == 403
    assert (await manager.post(FORM, plan(month, (customer.id, today)))).status_code == 403
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert (await clerk.post(FORM, plan(month, (customer.id, today)), csrf=False)).status_code == 403
    assert await plans_for(sessions, customer.id) == 0

    filed = await clerk.post(FORM, plan(month, (customer.id, today)))
    assert filed.status_code == 303, filed.text
    async with sessions() as session:
        visit_id = await session.scalar(select(Visit.id).where(Visit.customer_id == customer.id))
    outsider = await signed_in(api, browsers, "technical_dept")  # reads no salesperson's plan
    assert (await outsider.get(f"/apply/visits/{visit_id}/report")).status_code == 404
    report = {"visited_on": today.isoformat(), "summary": "不是我的拜访"}
    assert (await outsider.post(f"/apply/visits/{visit_id}/report", report)).status_code == 404
