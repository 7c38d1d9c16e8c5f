"""The applicant's onboarding form (issue 23, "Applicants"; 000 §6) over the real app, a real worker
and the Temporal dev server, on SQLite and PostgreSQL: the checklist of the list in force today,
the credit code checked as typed, a filing through the API's own service, refusals beside their
fields with nothing started, and the wrong user refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Process, Task
from domain.documents import DOCUMENT_TITLES, ONBOARDING_REQUIRED
from tests.api.test_onboarding_documents_rule import NEW, longer_list_in_force
from tests.support import Api, application, random_credit_code
from tests.web.pages_support import Browser, open_browser

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM = "/apply/onboarding"


def form_of(body: dict[str, Any]) -> dict[str, str]:
    """The API body of tests/support.py as the form's fields, each document's copy stamped."""
    card = body["customer"]
    names = ("name", "credit_code", "kind", "address", "legal_representative", "phone")
    fields = {name: str(card[name]) for name in names}
    for doc in body["documents"]:
        key = doc["type"]
        fields |= {f"{key}-number": doc["number"], f"{key}-issuer": doc["issuer"], f"{key}-stamped": "on"}
        fields[f"{key}-valid_until"] = doc["valid_until"]
    return fields


async def processes_of(sessions: async_sessionmaker[AsyncSession], credit_code: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Process).where(Process.subject_key == credit_code)
        count = await session.scalar(query)
        return int(count or 0)


async def clerk(api: Api, browsers: list[Browser]) -> Browser:
    browser = open_browser(api, browsers)
    await browser.sign_in("sales_clerk")
    return browser


async def test_the_form_shows_todays_checklist_and_files_through_the_apis_service(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    browser = await clerk(api, browsers)
    workbench = await browser.get("/")
    assert 'id="nav-apply"' in workbench.text
    page = await browser.get(FORM)
    assert page.status_code == 200 and "配置客户开户申请" in page.text
    for doc_type in ONBOARDING_REQUIRED:  # the seeded list (version 1) is in force today
        assert f'id="doc-{doc_type.value}"' in page.text and DOCUMENT_TITLES[doc_type] in page.text
    assert 'for="credit_code"' in page.text and 'hx-get="/apply/credit-code"' in page.text

    code = random_credit_code()
    filed = await browser.post(FORM, form_of(application(code)))
    assert filed.status_code == 303, filed.text
    assert filed.headers["location"].startswith("/?tab=mine&after=")
    process_id = filed.headers["location"].rsplit("=", 1)[1]
    async with sessions() as session:
        process = await session.get(Process, process_id)
        assert process is not None and (process.applicant, process.subject_key) == ("sales_clerk", code)
        task = await session.scalar(select(Task).where(Task.process_id == process_id, Task.status == "open"))
        assert task is not None and task.step == "marketing_review"
    mine = await browser.get(filed.headers["location"])
    assert "已提交" in mine.text and "郑州华豫石化贸易有限公司" in mine.text


async def test_the_credit_code_is_checked_as_it_is_typed(api: Api, browsers: list[Browser]) -> None:
    browser = await clerk(api, browsers)
    code = random_credit_code()
    valid = await browser.get("/apply/credit-code", params={"credit_code": f" {code.lower()} "})
    assert valid.status_code == 200 and "校验通过" in valid.text and 'class="ok"' in valid.text
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    refused = await browser.get("/apply/credit-code", params={"credit_code": wrong})
    assert "有误" in refused.text and "check character does not match" in refused.text
    short = await browser.get("/apply/credit-code", params={"credit_code": "9141"})
    assert "must be 18 characters, got 4" in short.text
    too_long = await browser.get("/apply/credit-code", params={"credit_code": "9" * 41})
    assert too_long.status_code == 422 and "统一社会信用代码" in too_long.text and '"detail"' not in too_long.text


async def test_refusals_stand_beside_their_fields_and_start_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    browser = await clerk(api, browsers)
    code = random_credit_code()
    bad_code = {**form_of(application(code)), "credit_code": code[:17] + ("0" if code[17] != "0" else "1")}
    invalid = await browser.post(FORM, bad_code)
    assert invalid.status_code == 422
    assert 'id="error-credit_code"' in invalid.text and "check character does not match" in invalid.text
    assert 'value="郑州华豫石化贸易有限公司"' in invalid.text  # the form as typed

    expired = (date.today() - timedelta(days=1)).isoformat()
    lacking = form_of(application(code, drop=("legal_rep_id",))) | {"business_license-valid_until": expired}
    refused = await browser.post(FORM, lacking)
    assert refused.status_code == 422
    assert 'id="error-business_license"' in refused.text and "expired document" in refused.text
    assert 'id="error-legal_rep_id"' in refused.text and "000 §6 (onboarding_documents v" in refused.text
    assert await processes_of(sessions, code) == 0

    filed = await browser.post(FORM, form_of(application(code)))
    assert filed.status_code == 303
    again = await browser.post(FORM, form_of(application(code)))
    assert again.status_code == 409 and 'id="error-credit_code"' in again.text and code in again.text
    assert await processes_of(sessions, code) == 1


async def test_only_an_applicant_files_and_only_with_the_forms_token(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    reviewer = open_browser(api, browsers)
    await reviewer.sign_in("marketing_reviewer")
    assert 'id="nav-apply"' not in (await reviewer.get("/")).text
    assert (await reviewer.get(FORM)).status_code == 403
    code = random_credit_code()
    refused = await reviewer.post(FORM, form_of(application(code)))
    assert refused.status_code == 403 and '"detail"' not in refused.text
    clerk_browser = await clerk(api, browsers)
    forged = await clerk_browser.post(FORM, form_of(application(code)), csrf=False)
    assert forged.status_code == 403
    assert await processes_of(sessions, code) == 0


async def test_a_new_form_asks_for_the_list_in_force_today_a_correction_for_the_pinned_one(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Rules are versioned (000 §6, 新老划断): a list approved today changes the new form at once; a
    case filed before it is corrected against the list it pinned."""
    earlier = await api.submit()
    assert earlier.status_code == 201, earlier.text
    process_id = earlier.json()["process_id"]
    assert (await api.decide("marketing_reviewer", process_id, "return", "补充开票信息")).status_code == 200
    browser = await clerk(api, browsers)
    new_row = f'id="doc-{NEW.value}"'
    async with longer_list_in_force(api, sessions) as version:
        page = await browser.get(FORM)
        assert new_row in page.text and f"第 {version} 版" in page.text
        code = random_credit_code()
        refused = await browser.post(FORM, form_of(application(code)))
        assert refused.status_code == 422 and f'id="error-{NEW.value}"' in refused.text
        assert f"onboarding_documents v{version}" in refused.text
        assert await processes_of(sessions, code) == 0
        correction = await browser.get(f"/apply/onboarding/{process_id}/resubmit")
        assert correction.status_code == 200 and new_row not in correction.text
    assert new_row not in (await browser.get(FORM)).text
