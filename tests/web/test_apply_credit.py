"""The credit application form (issue 23, "Applicants"; 000 §13) over the real app, a real worker
and the Temporal dev server, on SQLite and PostgreSQL: filed through the API's own service,
refusals beside their fields (or naming 000 §13) with nothing started, the wrong user refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process
from domain.credit_application import APPLICATION_PROCESS
from tests.support import Api
from tests.web.pages_support import Browser, signed_in
from tests.workflows.test_credit_application import new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/credit"


def credit(customer_id: int) -> dict[str, str]:
    return {
        "customer_id": str(customer_id),
        "limit": "300000.00",
        "term_days": "30",
        "collateral": "房产抵押",
        "reason": "合作三年, 按月结算, 无逾期记录",
        "organisation_nature": "private",
        "registration-title": "营业执照",
        "registration-number": "91410100MA00000000",
        "registration-issued_on": "2020-05-01",
        "financial_statement-title": "年度资产负债表",
        "financial_statement-period": "2025",
    }


async def applications_for(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Process)
        query = query.where(Process.process_type == APPLICATION_PROCESS, Process.customer_id == customer_id)
        return int(await session.scalar(query) or 0)


async def test_a_credit_application_is_filed_through_the_apis_service(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert 'id="nav-credit"' in (await clerk.get("/")).text
    page = await clerk.get(FORM, params={"customer": customer.customer_id})
    assert page.status_code == 200 and f'value="{customer.customer_id}"' in page.text and "财务报表" in page.text
    filed = await clerk.post(FORM, credit(customer.customer_id))
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    assert (state["process_type"], state["applicant"], state["status"]) == (
        APPLICATION_PROCESS,
        "sales_clerk",
        "running",
    )
    again = await clerk.post(FORM, credit(customer.customer_id))  # one open application per customer
    assert again.status_code == 409 and 'id="error-form"' in again.text
    assert await applications_for(sessions, customer.customer_id) == 1


async def test_refusals_stand_beside_their_fields_and_start_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await new_customer(sessions)
    clerk = await signed_in(api, browsers, "sales_clerk")
    await clerk.get(FORM)
    invalid = await clerk.post(FORM, credit(customer.customer_id) | {"limit": "-5", "term_days": "400"})
    assert invalid.status_code == 422
    assert 'id="error-limit"' in invalid.text and 'id="error-term_days"' in invalid.text
    assert 'value="房产抵押"' in invalid.text  # the form as typed
    without_papers = {k: v for k, v in credit(customer.customer_id).items() if not k.startswith("financial")}
    refused = await clerk.post(FORM, without_papers)
    assert refused.status_code == 422 and "000 §13" in refused.text and 'id="error-form"' in refused.text
    assert await applications_for(sessions, customer.customer_id) == 0

    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    assert 'id="nav-credit"' not in (await reviewer.get("/")).text
    assert (await reviewer.get(FORM)).status_code == 403
    assert (await reviewer.post(FORM, credit(customer.customer_id))).status_code == 403
    assert (await clerk.post(FORM, credit(customer.customer_id), csrf=False)).status_code == 403
    assert await applications_for(sessions, customer.customer_id) == 0
