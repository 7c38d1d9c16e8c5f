"""The browser tests' harness: Debian's Chromium (never a download), the app served by uvicorn on a
free localhost port over a stack of its own, and the sign-in every browser test starts with."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from scripts.seed_demo import seed
from tests.support import Api, running_api

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


async def sign_in(page: Any, origin: str, username: str) -> None:
    """Sign in through the page as a person does (the sign-in form; every demo user's password)."""
    await page.goto(f"{origin}/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill("demo")
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{origin}/")


@asynccontextmanager
async def chromium_page() -> AsyncIterator[tuple[Any, list[str]]]:
    """A page of Debian's Chromium at 1280×800, and every URL it asks for (none may leave the app)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            asked: list[str] = []
            page.on("request", lambda request: asked.append(request.url))
            yield page, asked
        finally:
            await browser.close()
