"""Refusals and malformed requests on the pages (issue 23 review): always a page or an htmx fragment in
the user's language naming what is wrong, never JSON or internal text — with Temporal unreachable
too. Under /api/ the answers stay JSON."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from db.models import Task, User
from scripts.temporal_dev import temporal_cli
from settings import Settings
from temporal_client import DATA_CONVERTER
from tests.inbox_support import add_user
from tests.support import Api
from tests.web.pages_support import Browser, open_browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"
HTMX = {"HX-Request": "true"}


async def open_task(api: Api, sessions: async_sessionmaker[AsyncSession]) -> Task:
    pid = (await api.submit()).json()["process_id"]
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.process_id == pid, Task.status == "open"))
    assert task is not None
    return task


def in_words(response: httpx.Response, status: int, *words: str) -> None:
    """An HTML answer of `status` saying `words`, with nothing of the API's JSON or of a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html"), response.text
    for word in words:
        assert word in response.text, response.text
    assert '{"error"' not in response.text and '"detail"' not in response.text and "Traceback" not in response.text


async def a_client_of_a_stopped_server() -> Client:
    """A real client whose Temporal server went away after it connected: its calls fail as in production."""
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), data_converter=DATA_CONVERTER, ui=False
    )
    client = server.client
    await server.shutdown()
    return client


async def test_temporal_unreachable_during_a_decision(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> None:
    """The same database, an app whose Temporal server stopped (nobody listens on its port): 503 in words."""
    task = await open_task(api, sessions)
    dead = await a_client_of_a_stopped_server()
    settings = Settings(app_env="demo", database_url=database_url, task_queue=task_queue)
    app = create_app(settings, temporal=dead, sessions=sessions)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=120) as http:
            browser = Browser(Api(http, api.worker, app))
            browsers.append(browser)
            await browser.sign_in("marketing_reviewer")
            await browser.get(f"/tasks/{task.task_id}")
            form = {"outcome": "approve", "comment": "资质齐全"}
            refused = await browser.post(f"/tasks/{task.task_id}/decision", form)
            in_words(refused, 503, "审批引擎暂时不可用", 'id="decision-error"')
            assert "workflow call failed" not in refused.text and "RPC" not in refused.text
            fragment = await browser.post(f"/tasks/{task.task_id}/decision", form, headers=HTMX)
            in_words(fragment, 503, "审批引擎暂时不可用")
            assert "<html" not in fragment.text
    async with sessions() as session:
        assert await session.scalar(select(Task.status).where(Task.task_id == task.task_id)) == "open"


async def test_a_malformed_decision_is_named_in_words(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    task = await open_task(api, sessions)
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    await reviewer.get(f"/tasks/{task.task_id}")
    url = f"/tasks/{task.task_id}/decision"
    in_words(await reviewer.post(url, {"outcome": "maybe"}), 422, "请检查填写内容", "审批意见")
    too_long = await reviewer.post(url, {"outcome": "reject", "comment": "很" * 2001})
    in_words(too_long, 422, "意见说明（最多 2000 字）")
    fragment = await reviewer.post(url, {"outcome": "maybe"}, headers=HTMX)
    in_words(fragment, 422, "审批意见")
    assert "<html" not in fragment.text and fragment.headers["HX-Retarget"] == "#form-error"
    long_id = await reviewer.get(f"/tasks/{'x' * 65}")
    in_words(long_id, 422, "任务编号")
    async with sessions() as session:
        assert await session.scalar(select(Task.status).where(Task.task_id == task.task_id)) == "open"


async def test_bad_queries_and_forms_are_pages_in_the_users_language(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "sales_clerk")
    browser = await signed_in(api, browsers, username)
    bad_tab = await browser.get("/?tab=nope")
    in_words(bad_tab, 422, "标签页")
    bad_cursor = await browser.get("/?cursor=bad")
    in_words(bad_cursor, 422, "请检查填写内容")
    unknown = await browser.get("/no-such-page")
    in_words(unknown, 404, "找不到该记录")

    async with sessions.begin() as session:
        await session.execute(update(User).where(User.username == username).values(locale="en"))
    english = await browser.get("/?tab=nope")
    in_words(english, 422, "Please check what you entered", "the tab")

    # The API keeps its JSON.
    api_answer = await api.get(f"{P}/tasks?limit=nope", username)
    assert api_answer.status_code == 422 and api_answer.json()["error"]


async def test_next_is_a_printable_path_of_this_site(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "sales_clerk")
    browser = await signed_in(api, browsers, username)
    for elsewhere in ("/\t/evil.com", "//evil.com", "/\\evil.com", "/\x00", "https://evil.com"):
        refused = await browser.post("/locale", {"locale": "en", "next": elsewhere}, headers=HTMX)
        in_words(refused, 422, "返回页面")
        assert "HX-Redirect" not in refused.headers
    async with sessions() as session:
        assert await session.scalar(select(User.locale).where(User.username == username)) is None
    kept = await browser.post("/locale", {"locale": "en", "next": "/?tab=mine"}, headers=HTMX)
    assert kept.headers["HX-Redirect"] == "/?tab=mine"


async def test_an_over_long_username_at_sign_in(api: Api, browsers: list[Browser]) -> None:
    browser = open_browser(api, browsers)
    await browser.get("/login")
    refused = await browser.post("/login", {"username": "u" * 81, "password": "demo"})
    in_words(refused, 422, "用户名（最多 80 字）")
    assert "cw_session" not in browser.http.cookies


async def test_a_decision_lost_to_a_colleague_on_a_task_no_longer_visible(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Refused (409: a colleague decided first) and the task then out of this user's sight (404): a page in
    words, not the API's JSON (web/pages.py decide)."""
    task = await open_task(api, sessions)
    colleague = await add_user(sessions, "marketing_reviewer")
    late = await signed_in(api, browsers, colleague)
    assert (await late.get(f"/tasks/{task.task_id}")).status_code == 200
    first = await api.post(f"{P}/tasks/{task.task_id}/decision", "marketing_reviewer", json={"outcome": "approve"})
    assert first.status_code == 200, first.text
    for headers in ({}, HTMX):
        refused = await late.post(f"/tasks/{task.task_id}/decision", {"outcome": "approve"}, headers=headers)
        in_words(refused, 404, "当前状态不允许此操作")
