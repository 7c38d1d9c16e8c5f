"""The file borrowing form (issue 23, "Applicants"; 002 rule 1, 004 §3) over the real app, a real
worker and the Temporal dev server, on SQLite and PostgreSQL: asked through the API's own service,
refusals beside their fields with nothing started, the wrong user (the file's own keeper, who needs
no loan) refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Borrowing
from domain.borrowing import CHINA
from tests.support import Api
from tests.web.pages_support import Browser, signed_in
from tests.workflows.test_borrowing import a_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/borrowing"


def day(days: int) -> str:
    return (datetime.now(CHINA).date() + timedelta(days=days)).isoformat()


def loan(customer_id: int, **more: str) -> dict[str, str]:
    return {"customer_id": str(customer_id), "purpose": "核对开票信息 (开封油库)", "return_by": day(5), **more}


async def loans_of(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Borrowing).where(Borrowing.customer_id == customer_id)
        return int(await session.scalar(query) or 0)


async def test_a_loan_is_asked_through_the_apis_service(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions, "DEPOT-ZZ")
    borrower = await signed_in(api, browsers, "depot_manager_b")  # another depot: reads it only on loan
    assert 'id="nav-borrowing"' in (await borrower.get("/")).text
    page = await borrower.get(FORM, params={"customer": customer.id})
    assert page.status_code == 200 and f'value="{customer.id}"' in page.text and 'for="return_by"' in page.text
    filed = await borrower.post(FORM, loan(customer.id))
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    assert (state["applicant"], state["current_step"]) == ("depot_manager_b", "department_leader")
    twice = await borrower.post(FORM, loan(customer.id))  # one open loan per file and borrower
    assert twice.status_code == 409 and 'id="error-customer_id"' in twice.text
    assert await loans_of(sessions, customer.id) == 1
    # The loan is closed again: both databases share one Temporal, and the workflow id is per file id.
    withdrawn = await api.post(
        f"/api/v1/processes/{process_id}/withdraw", "depot_manager_b", json={"reason": "测试结束"}
    )
    assert withdrawn.status_code == 200, withdrawn.text


async def test_refusals_stand_beside_their_fields_and_start_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions, "DEPOT-ZZ")
    borrower = await signed_in(api, browsers, "depot_manager_b")
    await borrower.get(FORM)
    invalid = await borrower.post(FORM, loan(customer.id, purpose=" ", **{"outsider-name": "周" * 81}))
    assert invalid.status_code == 422
    assert 'id="error-purpose"' in invalid.text and 'id="error-outsider-name"' in invalid.text
    past = await borrower.post(FORM, loan(customer.id, return_by=day(-1)))
    assert past.status_code == 422 and 'id="error-return_by"' in past.text
    assert 'value="核对开票信息' not in past.text and "核对开票信息 (开封油库)</textarea>" in past.text  # as typed
    outsider = {"outsider-name": "周敏", "outsider-organisation": "河南中审会计师事务所"}
    no_letter = await borrower.post(FORM, loan(customer.id, **outsider))
    assert no_letter.status_code == 422 and "002 rule 1" in no_letter.text
    assert 'id="error-outsider-introduction_letter"' in no_letter.text
    unknown = await borrower.post(FORM, loan(2**31 - 1))
    assert unknown.status_code == 404 and 'id="error-customer_id"' in unknown.text
    assert await loans_of(sessions, customer.id) == 0


async def test_the_wrong_user_is_refused_and_nothing_starts(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await a_customer(sessions, "DEPOT-ZZ")
    keeper = await signed_in(api, browsers, "depot_manager")  # keeps the file: no loan is needed (004 §3)
    refused = await keeper.post(FORM, loan(customer.id))
    assert refused.status_code == 409 and 'id="error-customer_id"' in refused.text and "004 §3" in refused.text
    assert (await keeper.post(FORM, loan(customer.id), csrf=False)).status_code == 403
    assert await loans_of(sessions, customer.id) == 0
