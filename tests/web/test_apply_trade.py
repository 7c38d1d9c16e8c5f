"""The external-trade partner application (issue 23, "Applicants"; 000 §7 (四)) over the real app, a
real worker and the Temporal dev server, on SQLite and PostgreSQL: filed through the API's own
service, refusals beside their fields with nothing started, the wrong user refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process
from domain.trade import required_documents
from domain.trade_models import Product
from tests.support import Api, random_credit_code
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/trade"


def partner(code: str, *products: str, drop: tuple[str, ...] = ()) -> dict[str, str]:
    valid = (date.today() + timedelta(days=365)).isoformat()
    form = {
        "name": "中石化河南石油分公司",
        "credit_code": code,
        "address": "河南省郑州市郑东新区商务外环路 8 号",
        "legal_representative": "李国强",
        "phone": "0371-68880000",
        "business_scope": "成品油批发; 危险化学品经营",
        "ownership": "state_owned",
        "direction": "purchase",
        "purpose": "2026 年四季度外采 92# 汽油 5000 吨",
    }
    form |= {f"product-{p}": "on" for p in products}
    for doc in required_documents(Product(p) for p in products):
        if doc.value not in drop:
            key = doc.value
            form |= {f"{key}-number": f"NO-{key[:8].upper()}-7", f"{key}-valid_until": valid, f"{key}-stamped": "on"}
    return form


async def deals_of(sessions: async_sessionmaker[AsyncSession], code: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Process).where(Process.workflow_id.like(f"trade-{code}-%"))
        return int(await session.scalar(query) or 0)


async def test_a_partner_application_starts_the_deal_through_the_apis_service(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert 'id="nav-trade"' in (await clerk.get("/")).text
    page = await clerk.get(FORM)
    assert page.status_code == 200 and 'for="product-naphtha"' in page.text and "国有控股企业" in page.text
    code = random_credit_code()
    filed = await clerk.post(FORM, partner(code, "refined_oil", "fuel_oil") | {"co_handlers": "marketing_reviewer"})
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    assert (state["process_type"], state["applicant"], state["status"]) == ("external_trade", "sales_clerk", "running")
    assert await deals_of(sessions, code) == 1


async def test_refusals_stand_beside_their_fields_and_start_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    clerk = await signed_in(api, browsers, "sales_clerk")
    await clerk.get(FORM)
    code = random_credit_code()
    no_product = await clerk.post(FORM, partner(code) | {"ownership": "public", "co_handlers": "x" * 81})
    assert no_product.status_code == 422
    for field in ("products", "ownership", "co_handlers"):
        assert f'id="error-{field}"' in no_product.text
    assert 'value="李国强"' in no_product.text  # the form as typed
    no_approval = await clerk.post(FORM, partner(code, "fuel_oil", drop=("fuel_oil_approval",)))
    assert no_approval.status_code == 422 and 'id="error-fuel_oil_approval"' in no_approval.text
    naphtha = await clerk.post(FORM, partner(code, "naphtha") | {"business_scope": "危险化学品经营（不含石脑油）"})
    assert naphtha.status_code == 422 and 'id="error-business_scope"' in naphtha.text and "000 §7" in naphtha.text
    not_marketing = await clerk.post(FORM, partner(code, "refined_oil") | {"co_handlers": "legal_reviewer"})
    assert not_marketing.status_code == 422 and 'id="error-co_handlers"' in not_marketing.text
    assert await deals_of(sessions, code) == 0


async def test_the_wrong_user_is_refused_and_nothing_starts(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = random_credit_code()
    finance = await signed_in(api, browsers, "finance_reviewer")  # not marketing (000 §7 (一))
    assert 'id="nav-trade"' not in (await finance.get("/")).text
    assert (await finance.get(FORM)).status_code == 403
    assert (await finance.post(FORM, partner(code, "refined_oil"))).status_code == 403
    clerk = await signed_in(api, browsers, "sales_clerk")
    assert (await clerk.post(FORM, partner(code, "refined_oil"), csrf=False)).status_code == 403
    assert await deals_of(sessions, code) == 0
