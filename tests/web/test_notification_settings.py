"""The notification settings page (web/notification_settings.py) over the real app, on SQLite and
PostgreSQL: a user sets their address and opt-outs through the form (CSRF) — the same row and log
line as PUT /api/v1/users/{username}/mail —, an administrator opens and edits another user's and
sees the list, a wrong address is said in words and saves nothing, and another user is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AdminAudit
from tests.inbox_support import add_user
from tests.support import Api
from tests.web.pages_support import Browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
PAGE = "/settings/notifications"


async def logged(sessions: async_sessionmaker[AsyncSession], target: str) -> int:
    async with sessions() as session:
        count = select(func.count()).select_from(AdminAudit).where(AdminAudit.target == target)
        return await session.scalar(count) or 0


async def test_a_user_sets_their_address_and_opts_out_of_a_kind(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "finance_reviewer")
    user = await signed_in(api, browsers, username)
    assert 'id="nav-mail"' in (await user.get("/")).text  # the header leads everyone here
    page = await user.get(PAGE)
    assert page.status_code == 200 and "电子邮箱" in page.text and 'name="csrf_token"' in page.text
    assert 'id="mail-others"' not in page.text  # the list is for administrators
    form = {"username": username, "email": "cw.finance@example.cn", "task": "true", "decision": "true"}
    saved = await user.post(PAGE, form)
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?saved=true"
    again = await user.get(saved.headers["location"])
    assert 'value="cw.finance@example.cn"' in again.text and "已保存" in again.text
    assert 'id="mail-task" name="task" value="true" checked' in again.text
    assert 'id="mail-reminder" name="reminder" value="true">' in again.text  # unticked: opted out
    answered = (await api.get(f"/api/v1/users/{username}/mail", "admin")).json()
    assert (answered["email"], answered["task"], answered["reminder"], answered["escalation"]) == (
        "cw.finance@example.cn",
        True,
        False,
        False,
    )
    assert await logged(sessions, username) == 1  # the API's log line, once


async def test_an_administrator_edits_another_users_settings_in_english(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "business_vp")
    admin = await signed_in(api, browsers, await add_user(sessions, "admin"))
    assert (await admin.post("/locale", {"locale": "en", "next": PAGE})).status_code == 303
    page = await admin.get(PAGE, params={"user": username})
    assert page.status_code == 200 and f"Notification settings of {username}" in page.text
    saved = await admin.post(PAGE, {"username": username, "email": "vp.deputy@example.cn", "escalation": "true"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?user={username}&saved=true"
    listed = await admin.get(PAGE)
    assert 'id="mail-others"' in listed.text and f'data-user="{username}"' in listed.text
    assert "vp.deputy@example.cn" in listed.text and "E-mail address" in listed.text
    assert (await admin.get(PAGE, params={"user": "no_such_user"})).status_code == 404


async def test_a_wrong_address_is_said_in_words_and_nothing_is_saved(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions, "legal_reviewer")
    user = await signed_in(api, browsers, username)
    await user.get(PAGE)
    refused = await user.post(PAGE, {"username": username, "email": "not an address", "task": "true"})
    assert refused.status_code == 422 and "邮箱地址格式不正确" in refused.text and "<html" in refused.text
    too_long = await user.post(PAGE, {"username": username, "email": "a" * 300 + "@example.cn"})
    assert too_long.status_code == 422 and "<html" in too_long.text  # bounded like the column, a page
    assert await logged(sessions, username) == 0
    assert (await api.get(f"/api/v1/users/{username}/mail", "admin")).json()["updated_at"] is None


async def test_another_user_is_refused_and_nothing_changes(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    victim, name = await add_user(sessions, "marketing_reviewer"), await add_user(sessions, "marketing_reviewer")
    other = await signed_in(api, browsers, name)
    assert (await other.get(PAGE, params={"user": victim})).status_code == 403
    await other.get(PAGE)
    refused = await other.post(PAGE, {"username": victim, "email": "thief@example.cn", "task": "true"})
    assert refused.status_code == 403 and "<html" in refused.text
    no_token = await other.post(PAGE, {"username": name, "email": "me@example.cn"}, csrf=False)
    assert no_token.status_code == 403
    assert await logged(sessions, victim) == 0 and await logged(sessions, name) == 0
