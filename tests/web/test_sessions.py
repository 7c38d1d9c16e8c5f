"""The web session after review (issue 23): sign-out ends it server-side, the CSRF token is bound to
the session, a cookie is no bearer token nor a bearer token a cookie, a password reset or a disabled
user ends it, and signed-in pages are neither cached nor framed."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Task, User, WebSession
from tests.inbox_support import add_user
from tests.support import Api
from tests.web.pages_support import Browser, open_browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
P = "/api/v1"


async def with_cookies(api: Api, cookies: dict[str, str]) -> httpx.Response:
    """The workbench asked for by a browser that only holds these cookies (e.g. copied ones)."""
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", cookies=cookies) as other:
        return await other.get("/")


async def test_a_copied_cookie_opens_nothing_after_sign_out(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    browser = await signed_in(api, browsers, "marketing_reviewer")
    copied = {"cw_session": browser.http.cookies["cw_session"]}
    assert (await with_cookies(api, copied)).status_code == 200  # the copy works while signed in

    assert (await browser.post("/logout", {})).status_code == 303
    replayed = await with_cookies(api, copied)
    assert replayed.status_code == 303 and replayed.headers["location"] == "/login"
    async with sessions() as session:
        row = await session.get(WebSession, hashlib.sha256(copied["cw_session"].encode()).hexdigest())
    assert row is not None and row.username == "marketing_reviewer" and row.ended_at is not None


async def test_a_csrf_pair_from_another_browser_is_refused_and_changes_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    submitted = await api.submit()
    pid = submitted.json()["process_id"]
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.process_id == pid, Task.status == "open"))
    assert task is not None
    reviewer = await signed_in(api, browsers, "marketing_reviewer")
    for username in ("sales_clerk", "marketing_reviewer"):  # another user's browser, and another of the same user
        other = await signed_in(api, browsers, username)
        reviewer.http.cookies.set("cw_csrf", other.http.cookies["cw_csrf"])
        form = {"outcome": "approve", "csrf_token": other.csrf}
        refused = await reviewer.post(f"/tasks/{task.task_id}/decision", form, csrf=False)
        assert refused.status_code == 403 and "表单已失效" in refused.text
    process = (await api.get(f"{P}/processes/{pid}", "auditor")).json()
    assert process["current_step"] == "marketing_review"
    history = (await api.get(f"{P}/processes/{pid}/history", "auditor")).json()
    assert not [e for e in history if e["action"] == "decision"]


async def test_the_token_of_the_sign_in_page_is_refused_after_sign_in(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "sales_clerk")
    browser = open_browser(api, browsers)
    await browser.get("/login")
    before, nonce_before = browser.csrf, browser.http.cookies["cw_csrf"]
    assert (await browser.post("/login", {"username": username, "password": "demo"})).status_code == 303
    assert browser.http.cookies["cw_csrf"] != nonce_before  # renewed at sign-in
    stale = await browser.post("/locale", {"locale": "en", "csrf_token": before}, csrf=False)
    assert stale.status_code == 403
    browser.http.cookies.set("cw_csrf", nonce_before)  # nor with the nonce it was made from
    assert (await browser.post("/locale", {"locale": "en", "csrf_token": before}, csrf=False)).status_code == 403
    async with sessions() as session:
        assert await session.scalar(select(User.locale).where(User.username == username)) is None


async def test_a_bearer_token_is_no_cookie_and_the_cookie_no_bearer_token(api: Api, browsers: list[Browser]) -> None:
    bearer = (await api.headers("marketing_reviewer"))["Authorization"].removeprefix("Bearer ")
    as_cookie = await with_cookies(api, {"cw_session": bearer})
    assert as_cookie.status_code == 303 and as_cookie.headers["location"] == "/login"

    browser = await signed_in(api, browsers, "marketing_reviewer")
    cookie = browser.http.cookies["cw_session"]
    as_bearer = await api.client.get(f"{P}/auth/me", headers={"Authorization": f"Bearer {cookie}"})
    assert as_bearer.status_code == 401


async def test_a_password_reset_or_a_disabled_user_ends_the_session(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    reset_user = await add_user(sessions, "sales_clerk")
    disabled_user = await add_user(sessions, "sales_clerk")
    reset_browser = await signed_in(api, browsers, reset_user)
    disabled_browser = await signed_in(api, browsers, disabled_user)
    assert (await reset_browser.http.get("/")).status_code == 200
    assert (await disabled_browser.http.get("/")).status_code == 200

    password = {"password": "a new long passphrase 7"}
    assert (await api.post(f"{P}/users/{reset_user}/password", "admin", json=password)).status_code == 200
    assert (await api.post(f"{P}/users/{disabled_user}/disable", "admin")).status_code == 200
    for browser in (reset_browser, disabled_browser):
        refused = await browser.http.get("/")
        assert refused.status_code == 303 and refused.headers["location"] == "/login"


async def test_signed_in_pages_are_not_cached_nor_framed(api: Api, browsers: list[Browser]) -> None:
    browser = await signed_in(api, browsers, "marketing_reviewer")
    for url in ("/", "/?tab=done", "/login"):
        page = await browser.get(url)
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy


async def test_a_new_sign_in_ends_the_browsers_earlier_session(api: Api, browsers: list[Browser]) -> None:
    browser = await signed_in(api, browsers, "marketing_reviewer")
    earlier = {"cw_session": browser.http.cookies["cw_session"]}
    await browser.sign_in("sales_clerk")
    assert browser.http.cookies["cw_session"] != earlier["cw_session"]
    assert (await with_cookies(api, earlier)).status_code == 303
