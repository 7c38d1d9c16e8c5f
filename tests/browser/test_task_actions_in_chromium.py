"""An approver's task actions in a real browser (issue 23 "Approvers"): claim the role task, try to
reject without a reason and read the refusal beside the field, then approve — every request to the
app alone. The harness (Debian's Chromium, uvicorn, a database of the test's own) is the
workbench test's."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.browser.harness import chromium_page, own_stack, served, sign_in
from tests.web.approver_support import filed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def test_claim_then_a_reject_without_reason_is_refused_beside_the_field_then_approve(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        process_id = await filed(api)

        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "marketing_reviewer")
            await page.locator("#nav-bell").wait_for()  # the bell, loaded by htmx under the CSP
            await page.locator("a.open-task").first.click()
            await page.wait_for_url(f"{origin}/tasks/**")
            assert "郑州华豫石化贸易有限公司" in await page.locator("#customer-card").inner_text()

            await page.locator("#claim-task").click()
            await page.locator("#unclaim-task").wait_for()
            task = await api.task_for("marketing_reviewer", process_id)
            assert task["claimed_by"] == "marketing_reviewer"

            await page.get_by_role("radio", name="驳回").check()
            await page.get_by_label("意见说明").fill("")
            await page.locator("#submit-decision").click()
            error = page.locator("#decision-error")
            await error.wait_for()
            assert "请检查填写内容" in await error.inner_text()
            # beside the field: the comment box names the error as its description
            assert await page.locator("#comment").get_attribute("aria-describedby") == "decision-error"
            assert (await api.task_for("marketing_reviewer", process_id))["status"] == "open"

            await page.get_by_role("radio", name="同意").check()
            await page.get_by_label("意见说明").fill("资质齐全，同意")
            await page.locator("#submit-decision").click()
            await page.wait_for_url(f"{origin}/?after={process_id}")

        state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
        assert state["current_step"] == "finance_recheck"
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
