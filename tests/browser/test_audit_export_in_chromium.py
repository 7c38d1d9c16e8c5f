"""The auditor's Excel in a real browser (issue 23 "Acceptance": an auditor exports the history to
Excel and the file opens with openpyxl with one row per decision): in Debian's Chromium an auditor
filters the search down to one customer, downloads the filtered list as Excel (one row: that case),
opens the case and downloads its history as Excel, whose decision rows are the decisions taken, one
each, in order, with who, what and why. Every request went to the app alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from temporalio.testing import WorkflowEnvironment

from domain.approvals import ONBOARDING_CHAIN
from tests.browser.harness import chromium_page, own_stack, served, sign_in
from tests.support import application, random_credit_code

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

APPROVERS = [step.role.value for step in ONBOARDING_CHAIN.steps if step.role is not None][:2]  # demo user per role


async def download(page: Any, link: str, folder: Path) -> list[tuple[Any, ...]]:
    """Click `link`, save what the browser downloads, and read its first sheet with openpyxl."""
    async with page.expect_download() as started:
        await page.locator(link).click()
    saved = await started.value
    path = folder / saved.suggested_filename
    await saved.save_as(path)
    sheet = load_workbook(path, read_only=True).active
    assert sheet is not None
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def test_an_auditor_filters_and_downloads_the_history_as_excel(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    code = random_credit_code()
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        other = await api.submit()  # a case the filter must leave out
        filed = await api.submit(body=application(code))
        assert filed.status_code == 201 and other.status_code == 201, (filed.text, other.text)
        process_id = filed.json()["process_id"]
        decisions = [(approver, f"{approver} 审核意见：资料齐全") for approver in APPROVERS]
        for approver, comment in decisions:
            decided = await api.decide(approver, process_id, "approve", comment)
            assert decided.status_code == 200, decided.text

        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "auditor")
            await page.locator("#nav-audit").click()
            await page.wait_for_url(f"{origin}/audit")
            await page.locator("#f-customer").fill(code)
            await page.locator("#audit-search button[type=submit]").click()
            await page.wait_for_url(f"{origin}/audit?**")
            assert await page.locator(".audit-row").count() == 1

            listed = await download(page, "#audit-export-xlsx", tmp_path)
            assert len(listed) == 2 and listed[1][0] == process_id and listed[1][3] == code, listed

            await page.locator(f'.audit-row[data-process="{process_id}"] a').first.click()
            await page.wait_for_url(f"{origin}/audit/processes/{process_id}")
            history = await download(page, "#timeline-export-xlsx", tmp_path)

        header, rows = history[0], history[1:]
        who, what, outcome, why = (header.index(name) for name in ("办理人", "操作", "结果", "意见 / 理由"))
        decided = [row for row in rows if row[what] == "审批"]  # action.decision (web/messages/common.py)
        assert [(row[who], row[why]) for row in decided] == decisions, rows  # one row per decision, in order
        assert [row[outcome] for row in decided] == ["同意"] * len(decisions)
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
