"""A reviewer's morning in a real browser (issue 23): Debian's Chromium, driven by Playwright
(never `playwright install`: the browser is the system's), against the app served by uvicorn on
a free localhost port, with a real worker on the Temporal dev server and a database of its own.

Sign in, see the 待办 count, open the task, approve with a comment, see where the process went —
and the browser asked no host but the app for anything.

Chromium missing is a failure, not a skip (`.ci/run` and `make test` install it); a local run
without it may say `SKIP_BROWSER_TESTS=1`."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from scripts.seed_demo import seed
from tests.support import Api, running_api

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("SKIP_BROWSER_TESTS") == "1":
        pytest.skip("no chromium and SKIP_BROWSER_TESTS=1")
    pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (or SKIP_BROWSER_TESTS=1 for a local run)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app (its lifespan already entered by running_api) on a free localhost port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn stopped before it served"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def own_stack(temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str) -> AsyncIterator[Api]:
    """A database of this test alone: its reviewer's inbox holds exactly what the test filed."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        await seed(sessions)
        async with running_api(temporal_env.client, sessions, task_queue, url) as api:
            yield api
    finally:
        await engine.dispose()


async def test_a_reviewer_approves_from_the_workbench(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    from playwright.async_api import async_playwright

    executable = chromium()
    async with own_stack(temporal_env, tmp_path, task_queue) as api, served(api.app) as origin:
        filed = await api.submit()
        assert filed.status_code == 201, filed.text
        process_id = filed.json()["process_id"]

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 800})
                asked: list[str] = []
                page.on("request", lambda request: asked.append(request.url))
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
            finally:
                await browser.close()

        state = (await api.get(f"/api/v1/processes/{process_id}", "auditor")).json()
        assert state["current_step"] == "finance_recheck"
        history = (await api.get(f"/api/v1/processes/{process_id}/history", "auditor")).json()
        assert [(e["actor"], e["comment"]) for e in history if e["action"] == "decision"] == [
            ("marketing_reviewer", "资质齐全，同意")
        ]
        assert asked and all(url.startswith(origin) for url in asked), [u for u in asked if not u.startswith(origin)]
        assert f"{origin}/static/vendor/htmx/htmx.min.js" in asked
