"""The administrators' pages for users, roles and units (web/admin_users.py) over the real app, on
SQLite and PostgreSQL: a paged, filtered list; a user created, given roles and a unit, deactivated,
reactivated and given a new password through the forms (CSRF) — each the API's change with the API's
line in the administration log; the API's password rule refused beside the field; everyone else and
a form without its token refused, with nothing changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import AdminAudit, OrgUnit, User
from tests.inbox_support import add_user, uid
from tests.support import Api
from tests.web.pages_support import Browser, open_browser, signed_in

pytestmark = pytest.mark.asyncio(loop_scope="session")
PASSWORD = "a long enough password"


async def new_unit(sessions: async_sessionmaker[AsyncSession]) -> str:
    code = uid("U")[:40]
    async with sessions.begin() as session:
        session.add(OrgUnit(code=code, name=f"测试单位 {code}", kind="depot", parent_code="HQ"))
    return code


async def audit_actions(sessions: async_sessionmaker[AsyncSession], target: str) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(AdminAudit.actor, AdminAudit.action).where(AdminAudit.target == target).order_by(AdminAudit.id)
        )
        return [(actor, action) for actor, action in rows.tuples()]


def listed(page: str) -> list[str]:
    return re.findall(r'class="user-row" data-user="([^"]+)"', page)


async def test_the_list_is_paged_and_filtered_by_unit_role_and_state(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    unit = await new_unit(sessions)
    clerks = sorted([await add_user(sessions, "sales_clerk", unit=unit) for _ in range(50)])
    manager = await add_user(sessions, "depot_manager", unit=unit)
    gone = await add_user(sessions, "sales_clerk", unit=unit, active=False)
    admin = await signed_in(api, browsers, "admin")
    assert 'id="nav-users"' in (await admin.get("/")).text  # the header leads administrators here

    first = await admin.get("/admin/users", params={"unit": unit, "role": "", "active": ""})
    assert first.status_code == 200, first.text
    assert len(listed(first.text)) == 50 and 'id="users-next"' in first.text and 'id="users-previous"' not in first.text
    second = await admin.get("/admin/users", params={"unit": unit, "page": "2"})
    assert listed(second.text) == sorted([*clerks, manager, gone])[50:]
    assert 'id="users-previous"' in second.text and 'id="users-next"' not in second.text

    managers = await admin.get("/admin/users", params={"unit": unit, "role": "depot_manager"})
    assert listed(managers.text) == [manager]
    inactive = await admin.get("/admin/users", params={"unit": unit, "active": "false"})
    assert listed(inactive.text) == [gone] and 'data-active="false"' in inactive.text
    active = await admin.get("/admin/users", params={"unit": unit, "active": "true", "role": "sales_clerk"})
    assert listed(active.text) == clerks
    assert f"unit={unit}&amp;active=true&amp;role=sales_clerk&amp;page=2" not in active.text  # 50 fit on one page
    assert (await admin.get("/admin/users", params={"role": "pope"})).status_code == 422


async def test_an_administrator_creates_and_changes_a_user_through_the_forms(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    unit, other_unit = await new_unit(sessions), await new_unit(sessions)
    username = uid("web_clerk_")
    admin = await signed_in(api, browsers, "admin")
    await admin.get("/admin/users")
    created = await admin.post(
        "/admin/users",
        {"username": username, "full_name": "王小明", "password": PASSWORD, "unit": unit, "roles": "sales_clerk"},
    )
    assert created.status_code == 303 and created.headers["location"] == f"/admin/users/{username}?done=create"
    page = await admin.get(created.headers["location"])
    assert 'id="notice"' in page.text and "已创建用户" in page.text and "王小明" in page.text
    newcomer = open_browser(api, browsers)
    await newcomer.sign_in(username, PASSWORD)  # the API's user: signs in with the password given

    roles = await admin.post(f"/admin/users/{username}/roles", {"roles": ["sales_clerk", "marketing_reviewer"]})  # type: ignore[dict-item]
    assert roles.status_code == 303
    moved = await admin.post(f"/admin/users/{username}/unit", {"unit": other_unit})
    assert moved.status_code == 303
    answered = await api.get("/api/v1/users", "admin", params={"limit": 500})
    (as_api_sees,) = [user for user in answered.json() if user["username"] == username]
    assert as_api_sees["roles"] == ["marketing_reviewer", "sales_clerk"] and as_api_sees["unit"] == other_unit

    await admin.get(f"/admin/users/{username}")
    assert (await admin.post(f"/admin/users/{username}/active", {"active": "false"})).status_code == 303
    assert 'data-active="false"' in (await admin.get(f"/admin/users/{username}")).text
    refused = open_browser(api, browsers)
    await refused.get("/login")
    assert (await refused.post("/login", {"username": username, "password": PASSWORD})).status_code == 401
    assert (await admin.post(f"/admin/users/{username}/active", {"active": "true"})).status_code == 303

    reset = await admin.post(f"/admin/users/{username}/password", {"password": "another long password"})
    assert reset.status_code == 303
    signed_out = await newcomer.get("/")  # signed in with the old password: out, as the API's tokens
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    await open_browser(api, browsers).sign_in(username, "another long password")
    logged = re.findall(r'class="log-row" data-action="(\w+)"', (await admin.get(f"/admin/users/{username}")).text)
    assert logged == ["reset_password", "enable", "disable", "set_unit", "set_roles", "create"]  # newest first
    assert await audit_actions(sessions, username) == [
        ("admin", "create"),
        ("admin", "set_roles"),
        ("admin", "set_unit"),
        ("admin", "disable"),
        ("admin", "enable"),
        ("admin", "reset_password"),
    ]


async def test_the_api_password_rule_is_shown_beside_the_field_and_changes_nothing(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = uid("short_")
    admin = await signed_in(api, browsers, "admin")
    await admin.get("/admin/users")
    short = await admin.post("/admin/users", {"username": username, "full_name": "李四", "password": "short"})
    assert short.status_code == 422
    beside = re.search(r'id="password-error"[^>]*>([^<]+)<', short.text)
    assert beside and "at least 12 characters" in beside[1]
    assert f'value="{username}"' in short.text and 'value="short"' not in short.text  # typed, but no password echoed
    unknown_unit = await admin.post("/admin/users", {"username": username, "password": PASSWORD, "unit": "NOWHERE"})
    assert unknown_unit.status_code == 422 and 'id="unit-error"' in unknown_unit.text
    taken = await admin.post("/admin/users", {"username": "admin", "password": PASSWORD})
    assert taken.status_code == 409 and 'id="username-error"' in taken.text
    async with sessions() as session:
        assert await session.scalar(select(User.id).where(User.username == username)) is None
    assert await audit_actions(sessions, username) == []

    target = await add_user(sessions, "sales_clerk")
    admin_lines = await audit_actions(sessions, "admin")
    await admin.get(f"/admin/users/{target}")
    too_short = await admin.post(f"/admin/users/{target}/password", {"password": "short"})
    assert too_short.status_code == 422 and 'id="password-error"' in too_short.text
    myself = await admin.post("/admin/users/admin/active", {"active": "false"})
    assert myself.status_code == 409 and 'id="user-error"' in myself.text and "themselves" in myself.text
    assert await audit_actions(sessions, target) == [] and await audit_actions(sessions, "admin") == admin_lines
    assert (await admin.get("/admin/users/nobody_here")).status_code == 404


async def test_only_administrators_reach_the_pages(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    target = await add_user(sessions, "sales_clerk")
    for role in ("auditor", "depot_manager"):
        other = await signed_in(api, browsers, await add_user(sessions, role))
        assert 'id="nav-users"' not in (await other.get("/")).text
        for url in ("/admin/users", f"/admin/users/{target}", "/admin/units"):
            page = await other.get(url)
            assert page.status_code == 403 and "仅系统管理员" in page.text, url
        username = uid("sneak_")
        created = await other.post("/admin/users", {"username": username, "password": PASSWORD, "roles": "admin"})
        assert created.status_code == 403
        made_admin = await other.post(f"/admin/users/{target}/roles", {"roles": "admin"})
        assert made_admin.status_code == 403

    admin = await signed_in(api, browsers, "admin")
    await admin.get("/admin/users")
    no_token = await admin.post(f"/admin/users/{target}/active", {"active": "false"}, csrf=False)
    assert no_token.status_code == 403
    assert await audit_actions(sessions, target) == []
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.username.like("sneak_%"))) == 0
        user = await session.scalar(select(User).where(User.username == target))
        assert user is not None and user.is_active


async def test_units_are_listed_read_only_in_either_language(
    api: Api, browsers: list[Browser], sessions: async_sessionmaker[AsyncSession]
) -> None:
    unit = await new_unit(sessions)
    await add_user(sessions, "sales_clerk", unit=unit)
    admin = open_browser(api, browsers)
    await admin.sign_in(await add_user(sessions, "admin"))
    page = await admin.get("/admin/units")
    assert page.status_code == 200
    row = re.search(rf'data-unit="{unit}">.*?</tr>', page.text, re.S)
    assert row and f"测试单位 {unit}" in row[0] and "<td>1</td>" in row[0]
    assert "<form" not in page.text.split('id="units"')[1]  # nothing to change: the API offers no unit changes
    assert (await admin.post("/locale", {"locale": "en", "next": "/admin/users"})).status_code == 303
    english = await admin.get("/admin/users")
    assert "New user" in english.text and "Deactivate" not in english.text and "Units" in english.text
