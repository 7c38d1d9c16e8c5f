"""The acceptance of issue 23 in a real browser: the sales clerk files an onboarding with its
documents from the form (000 §6), each approver of the chain approves it from their inbox in turn,
and the customer is created; the language switch shows the same form in English; a user of
another unit opening the case's task by its address gets the 404 page; the browser asked no host
but the app for anything. The harness is the workbench's (tests/browser/test_workbench_in_chromium.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.approvals import ONBOARDING_CHAIN
from tests.browser.harness import chromium_page, own_stack, served, sign_in
from tests.support import application, random_credit_code

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

APPROVERS = [step.role.value for step in ONBOARDING_CHAIN.steps if step.role is not None]  # demo user per role


async def test_an_onboarding_filed_in_the_browser_is_approved_from_each_inbox(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    code = random_credit_code()
    body = application(code)
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "sales_clerk")
            await page.locator("#nav-apply").click()
            await page.wait_for_url(f"{origin}/apply/onboarding")
            await page.locator("#switch-language").click()  # the same form, in English
            await page.wait_for_url(f"{origin}/apply/onboarding")
            assert "Onboarding application" in await page.locator("h1").inner_text()
            assert await page.get_by_label("Unified social credit code").count() == 1
            await page.locator("#switch-language").click()
            await page.wait_for_url(f"{origin}/apply/onboarding")
            assert "配置客户开户申请" in await page.locator("h1").inner_text()

            card = body["customer"]
            for field in ("name", "address", "legal_representative", "phone"):
                await page.locator(f"#{field}").fill(card[field])
            await page.get_by_label("统一社会信用代码").press_sequentially(code.lower())  # checked as typed
            await page.locator("#credit-code-check.ok").wait_for()
            for doc in body["documents"]:
                await page.locator(f"#{doc['type']}-number").fill(doc["number"])
                await page.locator(f"#{doc['type']}-issuer").fill(doc["issuer"])
                await page.locator(f"#{doc['type']}-valid_until").fill(doc["valid_until"])
            await page.screenshot(path=str(tmp_path / "apply.png"), full_page=True)
            await page.get_by_role("button", name="提交申请").click()
            await page.wait_for_url(f"{origin}/?tab=mine&after=**")
            process_id = page.url.rsplit("=", 1)[1]
            assert "审批中" in await page.locator("#notice").inner_text()

            task_urls = []
            for approver in APPROVERS:
                await page.locator("#sign-out").click()
                await page.wait_for_url(f"{origin}/login")
                await sign_in(page, origin, approver)
                await page.locator("a.open-task").first.click()
                await page.wait_for_url(f"{origin}/tasks/**")
                task_urls.append(page.url)
                assert card["name"] in await page.locator("h1").inner_text()
                await page.get_by_label("同意").check()
                await page.get_by_role("button", name="提交").click()
                await page.wait_for_url(f"{origin}/?after={process_id}")
            assert "已通过" in await page.locator("#notice").inner_text()

            await page.locator("#sign-out").click()
            await page.wait_for_url(f"{origin}/login")
            await sign_in(page, origin, "depot_manager_b")  # another unit (DEPOT-KF)
            opened = await page.goto(task_urls[0])
            assert opened is not None and opened.status == 404
            assert "找不到该记录" in await page.locator("main").inner_text()

        customers = (await api.get(f"/api/v1/customers?q={code}", "auditor")).json()
        assert [(c["credit_code"], c["onboarding_process_id"]) for c in customers] == [(code, process_id)]
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
        assert any(url.startswith(f"{origin}/apply/credit-code?credit_code=") for url in asked), asked
