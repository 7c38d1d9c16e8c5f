"""The printable approval form (审批单, web/approval_form.py) over the real app, a real worker and the
Temporal dev server, on SQLite and PostgreSQL: the PDF parses (pypdf), names every signer and opinion
the API's history records, and its QR code — lifted out of the file and decoded by zxing-cpp — opens
the case page; the reader's language; another unit's user gets the 404 page, no PDF."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.test_audit_trail import finished_onboarding
from tests.inbox_support import add_user
from tests.support import Api, application
from tests.web.pages_support import Browser, open_browser, signed_in
from web.approval_form import case_url

pytestmark = pytest.mark.asyncio(loop_scope="session")


def pdf_text(body: bytes) -> str:
    """All pages' text without white space: a table cell may wrap a name or an opinion anywhere."""
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def qr_codes(body: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(body))
    return [code.text for page in reader.pages for image in page.images for code in zxingcpp.read_barcodes(image.image)]


async def form_of(browser: Browser, process_id: str) -> bytes:
    response = await browser.get(f"/audit/processes/{process_id}/form.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.content.startswith(b"%PDF-")
    return response.content


async def test_the_form_names_every_signer_and_opinion_and_its_qr_opens_the_case(
    api: Api, browsers: list[Browser]
) -> None:
    case = await finished_onboarding(api)
    pid = case["process_id"]
    history = (await api.get(f"/api/v1/processes/{pid}/history", "auditor")).json()
    decisions = [entry for entry in history if entry["action"] == "decision"]
    assert len(decisions) == 6  # marketing, finance's return, then the four approvals

    auditor = await signed_in(api, browsers, "auditor")
    case_page = await auditor.get(f"/audit/processes/{pid}")
    assert f'href="/audit/processes/{pid}/form.pdf"' in case_page.text  # the case page links it
    body = await form_of(auditor, pid)
    text = pdf_text(body)

    assert "审批单" in text and pid in text and "配置客户资信审批" in text
    for entry in decisions:
        assert squeezed(entry["actor"]) in text
        assert squeezed(entry["comment"].removesuffix(" (returned to the applicant)")) in text
    assert "同意" in text and "退回" in text and "提交申请" in text and "重新提交" in text  # the applicant's lines
    assert "sales_clerk" in text and "客户急需" in text  # the urge is a person's act with its words
    assert "生成待办" not in text  # what the system did alone is not a signature

    expected_url = case_url(api.app.state.settings.web_base_url, pid)
    assert expected_url.endswith(f"/audit/processes/{pid}")
    assert qr_codes(body) == [expected_url]
    assert squeezed(expected_url) in text  # printed under the code as well


async def test_the_form_is_in_the_readers_language(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await api.submit(body=application(name="英文表单石化有限公司"))
    assert response.status_code == 201, response.text
    pid = response.json()["process_id"]
    username = await add_user(sessions, "auditor")
    reader = open_browser(api, browsers)
    await reader.sign_in(username)
    assert (await reader.post("/locale", {"locale": "en", "next": "/"})).status_code == 303
    text = pdf_text(await form_of(reader, pid))
    assert "Approvalform" in text and "Signatures" in text and "submitted" in text and "审批单" not in text
    assert "英文表单石化有限公司" in text  # the customer's name as filed


async def test_another_units_user_gets_the_404_page_not_the_form(api: Api, browsers: list[Browser]) -> None:
    response = await api.submit(body=application(name="他人审批单石化有限公司"))
    assert response.status_code == 201, response.text
    pid = response.json()["process_id"]
    stranger = await signed_in(api, browsers, "depot_manager_b")
    refused = await stranger.get(f"/audit/processes/{pid}/form.pdf")
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    assert "%PDF" not in refused.text and "他人审批单石化有限公司" not in refused.text
    unknown = await stranger.get("/audit/processes/no-such-process/form.pdf")
    assert unknown.status_code == 404
