"""The complaint form (issue 23, "Applicants"; 000 §16) over the real app, a real worker and the
Temporal dev server, on SQLite and PostgreSQL: registered through the API's own service, refusals
beside their fields with nothing started, a user who meets no customers refused."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Complaint
from tests.support import Api
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/complaint"


def complaint(customer: str) -> dict[str, str]:
    return {
        "customer_name": customer,
        "channel": "visit",
        "category": "product_quality",
        "severity": "ordinary",
        "description": "4 月 2 日提取的 92 号汽油密度偏低",
        "customer_request": "复检并说明原因",
        "contact": "张伟 13903710000",
    }


async def complaints_of(sessions: async_sessionmaker[AsyncSession], customer: str) -> list[Complaint]:
    async with sessions() as session:
        return list(await session.scalars(select(Complaint).where(Complaint.customer_name == customer)))


async def test_a_complaint_is_registered_through_the_apis_service(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert 'id="nav-complaint"' in (await clerk.get("/")).text
    page = await clerk.get(FORM)
    assert page.status_code == 200 and 'for="description"' in page.text and "产品质量" in page.text
    customer = f"郑州投诉测试 {uuid.uuid4().hex[:8]}"
    filed = await clerk.post(FORM, complaint(customer))
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    [row] = await complaints_of(sessions, customer)
    assert (row.process_id, row.severity, row.registered_by) == (process_id, "ordinary", "sales_clerk")


async def test_refusals_stand_beside_their_fields_and_register_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    clerk = await signed_in(api, browsers, "sales_clerk")
    await clerk.get(FORM)
    customer = f"郑州投诉测试 {uuid.uuid4().hex[:8]}"
    refused = await clerk.post(FORM, complaint(customer) | {"description": " ", "channel": "fax"})
    assert refused.status_code == 422
    assert 'id="error-description"' in refused.text and 'id="error-channel"' in refused.text
    assert f'value="{customer}"' in refused.text  # the form as typed
    too_long = await clerk.post(FORM, complaint(customer) | {"contact": "李" * 201})
    assert too_long.status_code == 422 and 'id="error-contact"' in too_long.text
    assert await complaints_of(sessions, customer) == []

    auditor = await signed_in(api, browsers, "auditor")  # meets no customers (000 §16's registrars)
    assert 'id="nav-complaint"' not in (await auditor.get("/")).text
    assert (await auditor.get(FORM)).status_code == 403
    assert (await auditor.post(FORM, complaint(customer))).status_code == 403
    assert (await clerk.post(FORM, complaint(customer), csrf=False)).status_code == 403
    assert await complaints_of(sessions, customer) == []
