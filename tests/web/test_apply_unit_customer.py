"""The depot and station customer form (issue 23, "Applicants"; 000 §8, §9) over the real app, a
real worker and the Temporal dev server, on SQLite and PostgreSQL: filed through the API's own
services, refusals beside their fields with nothing started, the wrong user refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process
from domain.documents import DEPOT_SOCIAL_REQUIRED, STATION_VAT_REQUIRED, DocumentType
from tests.support import Api, random_credit_code
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/unit-customer"


def papers(types: tuple[DocumentType, ...]) -> dict[str, str]:
    valid = (date.today() + timedelta(days=365)).isoformat()
    return {
        field: value
        for t in types
        for field, value in (
            (f"{t.value}-number", f"NO-{t.value[:8].upper()}-1"),
            (f"{t.value}-valid_until", valid),
            (f"{t.value}-stamped", "on"),
        )
    }


def checked(general_taxpayer: str = "true") -> dict[str, str]:
    """000 §8 (一): the tax-bureau check, its moment typed in China time as datetime-local gives it."""
    moment = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=2)
    return {
        "taxpayer_check-checked_by": "郑州油库营业室 张会计",
        "taxpayer_check-checked_at": moment.strftime("%Y-%m-%dT%H:%M"),
        "taxpayer_check-source": "国家税务总局 全国增值税一般纳税人资格查询",
        "taxpayer_check-reference": "查询回执 2026-1207-001",
        "taxpayer_check-general_taxpayer": general_taxpayer,
    }


def card(kind: str, unit: str, code: str) -> dict[str, str]:
    return {
        "kind": kind,
        "unit": unit,
        "name": "开封顺达物流有限公司",
        "credit_code": code,
        "address": "河南省开封市鼓楼区中山路 9 号",
        "legal_representative": "李明",
        "phone": "0371-23330000",
    }


def depot_social(code: str, unit: str = "DEPOT-ZZ") -> dict[str, str]:
    return card("depot_social", unit, code) | checked() | papers(DEPOT_SOCIAL_REQUIRED)


def station_vat(code: str) -> dict[str, str]:
    vat = {
        "vat_invoice-invoice_title": "郑州顺达物流有限公司",
        "vat_invoice-taxpayer_id": "91410100MA44TEST01",
        "vat_invoice-address_phone": "郑州市中原区建设路 8 号 0371-66660000",
        "vat_invoice-bank_account": "中国建设银行郑州建设路支行 41050100000000000001",
    }
    form = card("station_prepaid", "STATION-ZZ01", code) | {"prepaid": "on"} | vat
    return form | checked() | papers(STATION_VAT_REQUIRED)


async def processes_for(sessions: async_sessionmaker[AsyncSession], code: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Process).where(Process.workflow_id == f"unit-customer-{code}")
        return int(await session.scalar(query) or 0)


async def test_a_depot_and_a_station_file_their_customers_through_the_apis_services(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    depot = await signed_in(api, browsers, "depot_manager")
    assert 'id="nav-unit-customer"' in (await depot.get("/")).text
    page = await depot.get(FORM)
    assert page.status_code == 200 and 'for="taxpayer_check-checked_at"' in page.text and "油库社会客户" in page.text
    assert "加油站预付款客户" not in page.text  # a depot manager files no station's customer
    code = random_credit_code()
    filed = await depot.post(FORM, depot_social(code))
    assert filed.status_code == 303, filed.text
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
    started = (state["process_type"], state["applicant"], state["status"])
    assert started == ("depot_customer", "depot_manager", "running")
    again = await depot.post(FORM, depot_social(code))  # one application per credit code
    assert again.status_code == 409 and 'id="error-credit_code"' in again.text
    assert await processes_for(sessions, code) == 1

    station = await signed_in(api, browsers, "station_manager")
    code = random_credit_code()
    filed = await station.post(FORM, station_vat(code))
    assert filed.status_code == 303, filed.text
    assert await processes_for(sessions, code) == 1


async def test_refusals_stand_beside_their_fields_and_start_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    depot = await signed_in(api, browsers, "depot_manager")
    await depot.get(FORM)
    code = random_credit_code()
    invalid = await depot.post(FORM, depot_social(code) | {"phone": "1", "vat_invoice-invoice_title": "郑"})
    assert invalid.status_code == 422
    assert 'id="error-phone"' in invalid.text and 'id="error-vat_invoice-invoice_title"' in invalid.text
    assert 'value="李明"' in invalid.text  # the form as typed
    no_business = await depot.post(FORM, depot_social(code) | checked("false"))
    assert no_business.status_code == 422 and "000 §8 (一)" in no_business.text
    assert 'id="error-taxpayer_check-general_taxpayer"' in no_business.text
    without_tax_paper = {k: v for k, v in depot_social(code).items() if not k.startswith("tax_registration")}
    short = await depot.post(FORM, without_tax_paper)
    assert short.status_code == 422 and 'id="error-tax_registration"' in short.text
    not_a_depot = await depot.post(FORM, depot_social(code, unit="STATION-ZZ01"))
    assert not_a_depot.status_code == 422 and 'id="error-unit"' in not_a_depot.text
    assert await processes_for(sessions, code) == 0


async def test_the_wrong_user_is_refused_and_nothing_starts(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = random_credit_code()
    other_depot = await signed_in(api, browsers, "depot_manager_b")  # DEPOT-KF files for itself only (000 §5)
    refused = await other_depot.post(FORM, depot_social(code))
    assert refused.status_code == 403 and 'id="error-unit"' in refused.text
    station = await signed_in(api, browsers, "station_manager")  # a station files no depot customer
    assert (await station.post(FORM, depot_social(code))).status_code == 403
    auditor = await signed_in(api, browsers, "auditor")
    assert 'id="nav-unit-customer"' not in (await auditor.get("/")).text
    assert (await auditor.get(FORM)).status_code == 403
    assert (await auditor.post(FORM, depot_social(code))).status_code == 403
    depot = await signed_in(api, browsers, "depot_manager")
    assert (await depot.post(FORM, depot_social(code), csrf=False)).status_code == 403
    assert await processes_for(sessions, code) == 0
