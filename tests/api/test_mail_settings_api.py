"""E-mail notification settings through the API (issue 24 §4): a user sets their own address and
opt-outs, an administrator anyone's; the address is bounded and validated; every change is logged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import MailPreference, User
from tests.support import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

URL = "/api/v1/users/{}/mail"
TOUCHED = ("business_vp", "legal_reviewer", "auditor")  # the demo users whose settings these tests write


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def settings_removed_after(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """The settings these tests save are removed after each: the database lives for the whole run, and
    other tests give these users settings of their own (tests/mail_support.mail_preferences)."""
    yield
    async with sessions.begin() as session:
        users = select(User.id).where(User.username.in_(TOUCHED))
        await session.execute(delete(MailPreference).where(MailPreference.user_id.in_(users)))


async def test_a_user_sets_their_own_address_and_opt_outs(api: Api) -> None:
    unset = await api.get(URL.format("me"), "business_vp")
    assert unset.status_code == 200, unset.text
    assert unset.json()["email"] is None and unset.json()["task"] is True
    body = {"email": "vp.office@example.cn", "task": True, "reminder": False, "escalation": True, "decision": True}
    saved = await api.client.put(URL.format("me"), json=body, headers=await api.headers("business_vp"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["reminder"] is False
    read = (await api.get(URL.format("business_vp"), "business_vp")).json()
    assert (read["email"], read["reminder"], read["updated_by"]) == ("vp.office@example.cn", False, "business_vp")
    log = (await api.get("/api/v1/users/audit", "admin", params={"target": "business_vp"})).json()
    assert log[0]["action"] == "set_mail" and log[0]["after"]["email"] == "vp.office@example.cn"
    cleared = await api.client.put(URL.format("me"), json={"email": None}, headers=await api.headers("business_vp"))
    assert cleared.json()["email"] is None


async def test_an_administrator_sets_another_users_address(api: Api) -> None:
    body = {"email": "li.na@example.cn"}
    saved = await api.client.put(URL.format("legal_reviewer"), json=body, headers=await api.headers("admin"))
    assert saved.status_code == 200, saved.text
    assert (saved.json()["username"], saved.json()["updated_by"]) == ("legal_reviewer", "admin")
    unknown = await api.get(URL.format("no_such_user"), "admin")
    assert unknown.status_code == 404


async def test_another_user_is_refused_and_nothing_changes(api: Api) -> None:
    before = (await api.get(URL.format("legal_reviewer"), "admin")).json()
    refused = await api.client.put(
        URL.format("legal_reviewer"), json={"email": "thief@example.cn"}, headers=await api.headers("sales_clerk")
    )
    assert refused.status_code == 403
    assert (await api.get(URL.format("legal_reviewer"), "sales_clerk")).status_code == 403
    assert (await api.get(URL.format("legal_reviewer"), "admin")).json() == before


@pytest.mark.parametrize(
    "email",
    ["not-an-address", "a@b", "x@example.cn\r\nBcc: all@example.cn", "两个@example.cn", "a" * 250 + "@example.cn"],
)
async def test_an_address_that_is_not_one_is_refused(api: Api, email: str) -> None:
    refused = await api.client.put(URL.format("me"), json={"email": email}, headers=await api.headers("auditor"))
    assert refused.status_code == 422
    assert (await api.get(URL.format("me"), "auditor")).json()["updated_at"] is None  # nothing written
