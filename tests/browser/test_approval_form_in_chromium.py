"""The approval form in a real browser (issue 23 acceptance: "the PDF form opens and names every
signer"): an auditor in Debian's Chromium follows the case page's link, and the PDF the browser's own
session receives names the applicant and every approver with their opinions. The harness is the
workbench's (tests/browser/test_workbench_in_chromium.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from temporalio.testing import WorkflowEnvironment

from tests.browser.harness import chromium_page, own_stack, served, sign_in
from tests.web.approver_support import filed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

APPROVALS = (("marketing_reviewer", "资料齐全，同意"), ("finance_reviewer", "开户许可证核对无误"))


async def test_an_auditor_opens_the_approval_form_from_the_case_page(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        process_id = await filed(api)
        for user, opinion in APPROVALS:
            assert (await api.decide(user, process_id, "approve", opinion)).status_code == 200

        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "auditor")

            await page.goto(f"{origin}/audit/processes/{process_id}")
            link = page.locator("#approval-form-pdf")
            assert (await link.inner_text()).strip() == "打印审批单 (PDF)"
            href = await link.get_attribute("href")
            assert href == f"/audit/processes/{process_id}/form.pdf"
            form = await page.request.get(f"{origin}{href}")  # the browser's own session (cookie)
            assert form.ok and form.headers["content-type"] == "application/pdf"
            body = await form.body()

        reader = PdfReader(io.BytesIO(body))
        text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
        assert "审批单" in text and "sales_clerk" in text and "提交申请" in text
        for user, opinion in APPROVALS:
            assert user in text and opinion in text
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
