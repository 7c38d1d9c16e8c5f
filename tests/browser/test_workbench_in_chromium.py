"""A reviewer's morning in a real browser (issue 23): Debian's Chromium, driven by Playwright
(never `playwright install`: the browser is the system's), against the app served by uvicorn on
a free localhost port, with a real worker on the Temporal dev server and a database of its own.

Sign in, see the 待办 count, open the task, approve with a comment, see where the process went —
and the browser asked no host but the app for anything.

Chromium missing is a failure, not a skip (`.ci/run` and `make test` install it); a local run
without it may say `SKIP_BROWSER_TESTS=1`."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.browser.harness import chromium_page, own_stack, served
from tests.web.approver_support import filed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]


async def test_a_reviewer_approves_from_the_workbench(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        process_id = await filed(api)

        async with chromium_page() as (page, asked):
            # htmx must work under the pages' Content-Security-Policy (script-src 'self'): its
            # requests carry HX-Request, and the console reports no blocked script.
            by_htmx: list[str] = []
            page.on("request", lambda r: by_htmx.append(r.url) if r.headers.get("hx-request") == "true" else None)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))

            await page.goto(f"{origin}/")
            assert page.url == f"{origin}/login"
            await page.get_by_label("用户名").fill("marketing_reviewer")
            await page.get_by_label("密码").fill("demo")
            await page.get_by_role("button", name="登录").click()
            await page.wait_for_url(f"{origin}/")

            assert (await page.locator("#tab-todo .count").inner_text()).strip() == "1"
            await page.locator("a.open-task").first.click()
            await page.wait_for_url(f"{origin}/tasks/**")
            assert "郑州华豫石化贸易有限公司" in await page.locator("h1").inner_text()
            await page.screenshot(path=str(tmp_path / "task.png"), full_page=True)

            await page.get_by_label("同意").check()
            await page.get_by_label("意见说明").fill("资质齐全，同意")
            await page.get_by_role("button", name="提交").click()
            await page.wait_for_url(f"{origin}/?after={process_id}")
            notice = await page.locator("#notice").inner_text()
            assert "审批中" in notice and "财务资产部复核" in notice
            assert (await page.locator("#tab-todo .count").inner_text()).strip() == "0"
            await page.screenshot(path=str(tmp_path / "after-approval.png"))
            assert [url for url in by_htmx if url.endswith("/decision")], by_htmx
            assert not [text for text in console if "Content Security Policy" in text], console
            framed = await page.request.get(f"{origin}/")
            assert "script-src 'self'" in framed.headers["content-security-policy"]

        state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
        assert state["current_step"] == "finance_recheck"
        history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
        assert [(e["actor"], e["comment"]) for e in history if e["action"] == "decision"] == [
            ("marketing_reviewer", "资质齐全，同意")
        ]
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
        assert f"{origin}/static/vendor/htmx/htmx.min.js" in asked
