"""The depot and station customer form (issue 23, "Applicants"; 000 §8) in a real browser: the depot
manager opens it from the header, reads it in English too, files a social customer with the
tax-bureau check and the 000 §8 (一) documents, and sees the case under 我发起的; another depot's
manager filing for this depot gets the refusal beside the unit and nothing starts; the browser
asked no host but the app for anything. The harness is tests/browser/harness.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.documents import DEPOT_SOCIAL_REQUIRED
from tests.browser.harness import chromium_page, own_stack, served, sign_in
from tests.support import random_credit_code
from tests.web.test_apply_unit_customer import depot_social

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]
TYPED = ("name", "address", "legal_representative", "phone")
TAXPAYER = ("checked_by", "checked_at", "source", "reference")


async def fill_depot_social(page: Any, form: dict[str, str]) -> None:
    """The form's inputs as a person types them (the checkboxes of the rows stay as offered: stamped)."""
    for field in (*TYPED, "credit_code", *(f"taxpayer_check-{name}" for name in TAXPAYER)):
        await page.locator(f"#{field}").fill(form[field])
    await page.locator("#taxpayer_check-general_taxpayer").select_option("true")
    for doc in DEPOT_SOCIAL_REQUIRED:
        for part in ("number", "valid_until"):
            await page.locator(f"#{doc.value}-{part}").fill(form[f"{doc.value}-{part}"])


async def test_a_depot_files_its_social_customer_in_the_browser(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    code = random_credit_code()
    form = depot_social(code)
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "depot_manager_b")  # DEPOT-KF: files for itself only (000 §5)
            await page.locator("#nav-unit-customer").click()
            await page.wait_for_url(f"{origin}/apply/unit-customer")
            await page.locator("#unit").fill("DEPOT-ZZ")
            await fill_depot_social(page, form)
            await page.get_by_role("button", name="提交申请").click()
            assert "DEPOT-ZZ" in await page.locator("#error-unit").inner_text()
            await page.locator("#sign-out").click()
            await page.wait_for_url(f"{origin}/login")

            await sign_in(page, origin, "depot_manager")
            await page.locator("#nav-unit-customer").click()
            await page.wait_for_url(f"{origin}/apply/unit-customer")
            await page.locator("#switch-language").click()  # the same form, in English
            await page.wait_for_url(f"{origin}/apply/unit-customer")
            assert await page.get_by_label("Checked at (China time)").count() == 1
            await page.locator("#switch-language").click()
            await page.wait_for_url(f"{origin}/apply/unit-customer")
            assert await page.locator("#unit").input_value() == "DEPOT-ZZ"  # the manager's own depot
            await fill_depot_social(page, form)
            await page.get_by_role("button", name="提交申请").click()
            await page.wait_for_url(f"{origin}/?tab=mine&after=**")
            process_id = page.url.rsplit("=", 1)[1]
            assert "审批中" in await page.locator("#notice").inner_text()

        state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
        assert (state["process_type"], state["applicant"]) == ("depot_customer", "depot_manager")
        started = (await api.get("/api/v1/processes", "auditor", params={"applicant": "depot_manager_b"})).json()
        assert all(p["process_type"] != "depot_customer" for p in started)  # the refused filing started nothing
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
