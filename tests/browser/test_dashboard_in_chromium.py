"""The managers' dashboard in a real browser (issue 23 "Managers"): Debian's Chromium draws the
charts with the vendored Chart.js, and asks no host but the app for anything. The harness is the
workbench's (tests/browser/test_workbench_in_chromium.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.browser.harness import chromium_page, own_stack, served, sign_in

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

FIGURES = ("open-cases", "overdue", "decision-times", "complaints", "grades", "risks")


async def test_a_manager_sees_the_dashboard_drawn(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        filed = await api.submit()  # one open onboarding: a bar to draw
        assert filed.status_code == 201, filed.text

        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "marketing_manager")

            await page.locator("#nav-dashboard").click()
            await page.wait_for_url(f"{origin}/dashboard")
            drawn = await page.evaluate(
                "keys => keys.map(key => { const chart = Chart.getChart('chart-' + key);"
                " return chart ? [chart.config.type, chart.canvas.width > 0] : null; })",
                list(FIGURES),
            )
            assert drawn == [["bar", True]] * 3 + [["doughnut", True], ["pie", True], ["pie", True]]
            cases = await page.locator("#table-open-cases tbody").inner_text()
            assert "配置客户资信审批" in cases, cases  # the onboarding, by its declared title
            await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})  # a phone
            await page.screenshot(path=str(tmp_path / "dashboard-phone.png"), full_page=True)

        assert f"{origin}/static/vendor/chartjs/chart.umd.js" in asked
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
