"""Pages at a desk and on a phone, and by keyboard alone (issue 23 "Acceptance": 1280×800 and a phone
width, labels on every input, keyboard navigation), in Debian's Chromium: the workbench, a task page,
the onboarding form, the dashboard, the auditors' search and case, and the administrators' users,
units and calendar never scroll sideways at 1280×800 or at 390×844 nor squeeze the header's links
into a column, every visible input, select and textarea has an accessible name, and an approver
approves a task with Tab, Space and Enter only, the focused control visibly outlined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.browser.harness import chromium_page, own_stack, served, sign_in
from tests.web.approver_support import filed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})

# Visible controls without a <label>, aria-label or aria-labelledby (the browser's own `labels`).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.getClientRects().length > 0)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""

# How far the page scrolls sideways, and the elements that stick out beyond the viewport's width.
OVERFLOW = """() => ({
  extra: document.scrollingElement.scrollWidth - window.innerWidth,
  culprits: [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5).map(el => el.tagName + '#' + el.id + '.' + el.className)
})"""

# Header links and buttons squeezed into a column of a character or two a line (taller than two lines).
SQUEEZED = """() => [...document.querySelectorAll('header.bar a, header.bar button')]
  .filter(el => el.getClientRects().length > 0)
  .filter(el => el.getBoundingClientRect().height > 2.5 * parseFloat(getComputedStyle(el).lineHeight))
  .map(el => el.id || el.textContent.trim())"""

FOCUS_RING = """() => { const s = getComputedStyle(document.activeElement);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; }"""


async def check_page(page: Any, origin: str, path: str, tmp_path: Path) -> None:
    for size in SIZES:
        await page.set_viewport_size(size)
        answer = await page.goto(f"{origin}{path}")
        assert answer is not None and answer.status == 200, path
        overflow = await page.evaluate(OVERFLOW)
        assert overflow["extra"] <= 0, (path, size, overflow)
        assert await page.evaluate(UNLABELLED) == [], (path, size)
        assert await page.evaluate(SQUEEZED) == [], (path, size)
        name = path.strip("/").replace("/", "-") or "workbench"
        await page.screenshot(path=str(tmp_path / f"{name}-{size['width']}.png"), full_page=True)


async def focus_by_tab(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` holds the focus (as a keyboard user reaches it)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable by Tab")


async def test_pages_fit_a_desk_and_a_phone_with_every_input_labelled(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        process_id = await filed(api)
        task = await api.task_for("marketing_reviewer", process_id)

        async with chromium_page() as (page, asked):
            for username, paths in (
                ("marketing_reviewer", ("/", f"/tasks/{task['task_id']}")),
                ("sales_clerk", ("/apply/onboarding",)),
                ("marketing_manager", ("/dashboard",)),
                ("auditor", ("/audit", f"/audit/processes/{process_id}")),
                ("admin", ("/admin/users", "/admin/units", "/admin/calendar")),
            ):
                await page.set_viewport_size(SIZES[0])
                await page.context.clear_cookies()
                await sign_in(page, origin, username)
                for path in paths:
                    await check_page(page, origin, path, tmp_path)

        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]


async def test_an_approver_approves_by_keyboard_alone_on_a_phone(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        process_id = await filed(api)
        task = await api.task_for("marketing_reviewer", process_id)

        async with chromium_page() as (page, asked):
            await sign_in(page, origin, "marketing_reviewer")
            await page.set_viewport_size(SIZES[1])
            await page.goto(f"{origin}/tasks/{task['task_id']}")

            await focus_by_tab(page, "input[name=outcome]")  # the outcome group: 同意 is checked first
            assert await page.evaluate(FOCUS_RING), "the focused radio shows no focus style"
            assert await page.evaluate("() => document.activeElement.value") == "approve"
            await page.keyboard.press("Space")
            await focus_by_tab(page, "#comment")
            await page.keyboard.type("资质齐全，同意")
            await focus_by_tab(page, "#submit-decision")
            assert await page.evaluate(FOCUS_RING), "the focused button shows no focus style"
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{origin}/?after={process_id}")

        state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
        assert state["current_step"] == "finance_recheck"
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
