"""User and role administration through the real API (both databases): admin-only changes, each in
the admin audit log that auditors read; a disabled user's token stops working."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.models import AdminAudit, User
from tests.api.test_authorization_matrix import customer_file
from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")
USERS = "/api/v1/users"
PASSWORD = "a long enough password"


def new_user(**change: Any) -> dict[str, Any]:
    username = f"clerk_{uuid.uuid4().hex[:8]}"
    return {
        "username": username,
        "full_name": "新业务员",
        "password": PASSWORD,
        "unit": "MKT",
        "roles": ["sales_clerk"],
    } | change


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def bearer(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await login(client, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def audit_entries(api: Api, target: str, reader: str = "auditor") -> list[dict[str, Any]]:
    response = await api.get(f"{USERS}/audit", reader, params={"target": target})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_an_admin_creates_a_user_who_can_log_in(api: Api) -> None:
    body = new_user()
    created = await api.post(USERS, "admin", json=body)
    assert created.status_code == 201, created.text
    assert created.json() | {"created_at": None} == {
        "username": body["username"],
        "full_name": "新业务员",
        "unit": "MKT",
        "roles": ["sales_clerk"],
        "is_active": True,
        "is_demo": False,
        "created_at": None,
    }
    me = await api.client.get("/api/v1/auth/me", headers=await bearer(api.client, body["username"]))
    assert me.json()["roles"] == ["sales_clerk"] and me.json()["unit"] == "MKT"
    [entry] = await audit_entries(api, body["username"])
    assert (entry["actor"], entry["action"], entry["before"]) == ("admin", "create", None)
    assert entry["after"]["roles"] == ["sales_clerk"] and "password" not in str(entry)
    listed = (await api.get(USERS, "admin", params={"limit": 500})).json()
    assert body["username"] in [u["username"] for u in listed]


async def test_creation_is_checked_and_admin_only(api: Api) -> None:
    body = new_user()
    short = await api.post(USERS, "admin", json={**body, "password": "short"})
    assert short.status_code == 422 and "at least 12" in short.json()["detail"]
    assert (await api.post(USERS, "admin", json={**body, "unit": "NOWHERE"})).status_code == 422
    assert (await api.post(USERS, "admin", json={**body, "roles": ["emperor"]})).status_code == 422
    assert (await api.post(USERS, "admin", json={**body, "username": "has space"})).status_code == 422
    for user in ("sales_clerk", "auditor", "general_manager"):
        assert (await api.post(USERS, user, json=body)).status_code == 403
        assert (await api.get(USERS, user)).status_code == 403
    assert (await api.post(USERS, "admin", json=body)).status_code == 201
    duplicate = await api.post(USERS, "admin", json=body)
    assert duplicate.status_code == 409
    assert len(await audit_entries(api, body["username"])) == 1  # refused changes leave no entry


async def test_roles_unit_password_disable_enable_each_audited(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = new_user()
    name = body["username"]
    assert (await api.post(USERS, "admin", json=body)).status_code == 201
    headers = await bearer(api.client, name)

    roles = await api.client.put(
        f"{USERS}/{name}/roles",
        json={"roles": ["marketing_reviewer", "sales_clerk"]},
        headers=await api.headers("admin"),
    )
    assert roles.status_code == 200 and roles.json()["roles"] == ["marketing_reviewer", "sales_clerk"]
    me = (await api.client.get("/api/v1/auth/me", headers=headers)).json()
    assert sorted(me["roles"]) == ["marketing_reviewer", "sales_clerk"]  # the token's next request sees them
    unit = await api.client.put(f"{USERS}/{name}/unit", json={"unit": "DEPOT-ZZ"}, headers=await api.headers("admin"))
    assert unit.status_code == 200 and unit.json()["unit"] == "DEPOT-ZZ"
    assert (await api.client.get("/api/v1/auth/me", headers=headers)).json()["unit"] == "DEPOT-ZZ"
    bad_unit = await api.client.put(
        f"{USERS}/{name}/unit", json={"unit": "NOWHERE"}, headers=await api.headers("admin")
    )
    assert bad_unit.status_code == 422

    new_password = "another long password"
    too_short = await api.post(f"{USERS}/{name}/password", "admin", json={"password": "demo"})
    assert too_short.status_code == 422
    assert (await api.post(f"{USERS}/{name}/password", "admin", json={"password": new_password})).status_code == 200
    async with api.from_address("10.99.0.1") as elsewhere:
        assert (await login(elsewhere, name)).status_code == 401
    headers = await bearer(api.client, name, new_password)

    disabled = await api.post(f"{USERS}/{name}/disable", "admin")
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert (await api.client.get("/api/v1/auth/me", headers=headers)).status_code == 401  # at once on this process
    async with api.from_address("10.99.0.2") as elsewhere:
        assert (await login(elsewhere, name, new_password)).status_code == 401
    assert (await api.post(f"{USERS}/{name}/enable", "admin")).json()["is_active"] is True
    assert (await api.client.get("/api/v1/auth/me", headers=headers)).status_code == 200

    for reader in ("auditor", "admin"):
        entries = await audit_entries(api, name, reader)
        assert [e["action"] for e in entries] == [
            "enable",
            "disable",
            "reset_password",
            "set_unit",
            "set_roles",
            "create",
        ]
    by_action = {e["action"]: e for e in entries}
    assert by_action["set_roles"]["before"]["roles"] == ["sales_clerk"]
    assert by_action["set_roles"]["after"]["roles"] == ["marketing_reviewer", "sales_clerk"]
    assert (by_action["set_unit"]["before"]["unit"], by_action["set_unit"]["after"]["unit"]) == ("MKT", "DEPOT-ZZ")
    assert by_action["disable"]["after"]["is_active"] is False and by_action["disable"]["before"]["is_active"] is True
    assert all(e["actor"] == "admin" for e in entries) and "$argon2" not in str(entries)
    assert (await api.get(f"{USERS}/audit", "sales_clerk")).status_code == 403
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(AdminAudit).where(AdminAudit.target == name))
    assert stored == 6


async def test_a_password_reset_signs_out_every_token_of_the_old_password(api: Api) -> None:
    """Whoever held the old password (a leaked one, a departed colleague's) loses every session it
    opened, on this API process at once; a sign-in with the new password works."""
    body = new_user()
    name = body["username"]
    assert (await api.post(USERS, "admin", json=body)).status_code == 201
    old_sessions = [await bearer(api.client, name) for _ in range(2)]
    for headers in old_sessions:
        assert (await api.client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    new_password = "a brand new long password"
    assert (await api.post(f"{USERS}/{name}/password", "admin", json={"password": new_password})).status_code == 200
    for headers in old_sessions:
        refused = await api.client.get("/api/v1/auth/me", headers=headers)
        assert refused.status_code == 401 and "password was reset" in refused.text
        assert (await api.client.get("/api/v1/tasks", headers=headers)).status_code == 401
    fresh = await bearer(api.client, name, new_password)
    assert (await api.client.get("/api/v1/auth/me", headers=fresh)).status_code == 200
    other = await bearer(api.client, "sales_clerk", "demo")  # nobody else is signed out
    assert (await api.client.get("/api/v1/auth/me", headers=other)).status_code == 200


async def test_an_admin_cannot_lock_themself_out(api: Api) -> None:
    assert (await api.post(f"{USERS}/admin/disable", "admin")).status_code == 409
    drop = await api.client.put(f"{USERS}/admin/roles", json={"roles": ["auditor"]}, headers=await api.headers("admin"))
    assert drop.status_code == 409
    assert (await api.post(f"{USERS}/nobody_{uuid.uuid4().hex[:6]}/disable", "admin")).status_code == 404


async def file_of(sessions: async_sessionmaker[AsyncSession], **responsible: str) -> int:
    """A customer file of head office, looked after by whom `responsible` names (owner_person / created_by)."""
    async with sessions() as session, session.begin():
        customer = customer_file("交接测试石化", "MKT", **({"created_by": "general_manager"} | responsible))
        session.add(customer)
    return customer.id


@pytest.mark.rule("000-10-leaver-hands-over")
async def test_a_user_who_still_looks_after_customers_is_disabled_only_after_the_hand_over(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """000 §10 (四), 002 rule 4 §12 (issue 20 §12): a leaver's files are handed over before the
    leaver is disabled: 409 naming the article and how many files, nothing changed; after
    `POST /customers/hand-over` the disable goes through."""
    body = new_user()
    name = body["username"]
    assert (await api.post(USERS, "admin", json=body)).status_code == 201
    owned = await file_of(sessions, owner_person=name)
    created = await file_of(sessions, created_by=name)

    refused = await api.post(f"{USERS}/{name}/disable", "admin")
    assert refused.status_code == 409, refused.text
    assert "000 §10 (四)" in refused.text and "2 customer file(s)" in refused.text
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.username == name))
        assert user is not None and user.is_active
    assert [e["action"] for e in await audit_entries(api, name)] == ["create"]

    hand_over = {"from_user": name, "to_user": "sales_clerk", "reason": "调离"}
    moved = await api.post("/api/v1/customers/hand-over", "marketing_manager", json=hand_over)
    assert moved.status_code == 200, moved.text
    assert sorted(moved.json()["customer_ids"]) == [owned, created]
    disabled = await api.post(f"{USERS}/{name}/disable", "admin")
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False


async def test_another_api_process_refuses_a_disabled_user_within_the_actor_cache_time(
    api: Api,
    temporal_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    task_queue: str,
) -> None:
    """Replicas cache who a user is for ACTOR_CACHE_SECONDS; a disable reaches them within that time."""
    body = new_user()
    assert (await api.post(USERS, "admin", json=body)).status_code == 201
    async with running_api(
        temporal_env.client, sessions, f"{task_queue}-replica", database_url, actor_cache_seconds=1
    ) as replica:
        headers = await bearer(replica.client, body["username"])
        assert (await replica.client.get("/api/v1/auth/me", headers=headers)).status_code == 200
        assert (await api.post(f"{USERS}/{body['username']}/disable", "admin")).status_code == 200
        await asyncio.sleep(1.2)
        assert (await replica.client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_the_first_admin_of_a_production_database_comes_from_the_cli(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from scripts.create_admin import create_admin

    name = f"root_{uuid.uuid4().hex[:8]}"
    with pytest.raises(ValueError, match="at least 12"):
        await create_admin(sessions, name, "short", "HQ", 12)
    assert await create_admin(sessions, name, PASSWORD, "HQ", 12) == "created"
    admin_headers = await bearer(api.client, name)
    assert (await api.client.get(USERS, headers=admin_headers)).status_code == 200
    assert await create_admin(sessions, name, "a new long password", "HQ", 12) == "updated"
    assert [(e["actor"], e["action"]) for e in await audit_entries(api, name)] == [
        ("cli", "bootstrap_admin"),
        ("cli", "create"),
    ]
