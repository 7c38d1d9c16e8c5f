"""Out-of-office ranges (`/users/{me|username}/out-of-office`): set, list, cancel, validation, and
administrators acting for someone else. Real API over ASGI, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import OutOfOffice
from tests.inbox_support import add_user, api_without_temporal
from tests.support import Api

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest_asyncio.fixture(loop_scope="session")
async def web(sessions: async_sessionmaker[AsyncSession], database_url: str) -> AsyncIterator[Api]:
    async with api_without_temporal(sessions, database_url) as api:
        yield api


def absence(deputy: str, start: datetime = SOON, days: int = 5, reason: str = "年假") -> dict[str, Any]:
    return {
        "deputy": deputy,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=days)).isoformat(),
        "reason": reason,
    }


async def put(api: Api, user: str, body: dict[str, Any], who: str = "me") -> Any:
    return await api.client.put(f"/api/v1/users/{who}/out-of-office", json=body, headers=await api.headers(user))


async def delete(api: Api, user: str, entry_id: int, who: str = "me") -> Any:
    return await api.client.delete(f"/api/v1/users/{who}/out-of-office/{entry_id}", headers=await api.headers(user))


async def test_set_list_and_cancel(web: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    me = await add_user(sessions, "marketing_reviewer", unit="MKT")
    deputy = await add_user(sessions, "marketing_reviewer", unit="MKT")
    created = await put(web, me, absence(deputy))
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["username"] == me and entry["deputy"] == deputy and entry["cancelled_at"] is None
    assert datetime.fromisoformat(entry["starts_at"]) == SOON and entry["reason"] == "年假"
    again = await put(web, me, absence(deputy))  # the same range again: nothing new
    assert again.status_code == 200 and again.json()["id"] == entry["id"]

    later = await put(web, me, absence(deputy, SOON + timedelta(days=30), days=2, reason="出差"))
    assert later.status_code == 201, later.text
    listed = await web.get("/api/v1/users/me/out-of-office", me)
    assert [e["id"] for e in listed.json()] == [entry["id"], later.json()["id"]]  # soonest first

    cancelled = await delete(web, me, entry["id"])
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"] is not None
    assert (await delete(web, me, entry["id"])).json()["cancelled_at"] == cancelled.json()["cancelled_at"]
    assert [e["id"] for e in (await web.get("/api/v1/users/me/out-of-office", me)).json()] == [later.json()["id"]]
    async with sessions() as session:  # kept for the auditors, not deleted
        assert await session.scalar(select(OutOfOffice.cancelled_at).where(OutOfOffice.id == entry["id"]))
    # Once cancelled, the range may be set again.
    assert (await put(web, me, absence(deputy))).status_code == 201


async def test_a_range_that_ended_is_not_listed(web: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    me = await add_user(sessions, "finance_reviewer", unit="FIN")
    deputy = await add_user(sessions, "finance_reviewer", unit="FIN")
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        session.add(
            OutOfOffice(
                username=me,
                deputy=deputy,
                starts_at=now - timedelta(days=10),
                ends_at=now - timedelta(days=3),
                reason="past",
                created_at=now - timedelta(days=11),
            )
        )
    running = await put(web, me, absence(deputy, now - timedelta(days=1), days=3))  # started yesterday: fine
    assert running.status_code == 201, running.text
    listed = (await web.get("/api/v1/users/me/out-of-office", me)).json()
    assert [e["reason"] for e in listed] == ["年假"]


async def test_validation(web: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    me = await add_user(sessions, "business_vp")
    deputy = await add_user(sessions, "business_vp")
    gone = await add_user(sessions, "business_vp", active=False)

    async def refused(body: dict[str, Any], *expected: str) -> None:
        response = await put(web, me, body)
        assert response.status_code == 422, response.text
        for text in expected:
            assert text in str(response.json()["detail"]), response.text

    await refused(absence(me), "the deputy must be someone else")
    await refused(absence("nobody_at_all"), "unknown or inactive user nobody_at_all")
    await refused(absence(gone), f"unknown or inactive user {gone}")
    await refused(absence(deputy, days=0), "ends_at must be after starts_at")
    await refused(absence(deputy, days=-1), "ends_at must be after starts_at")
    await refused(absence(deputy, datetime.now(UTC) - timedelta(days=10), days=2), "ends_at is in the past")
    naive = absence(deputy) | {"starts_at": "2030-01-01T09:00:00", "ends_at": "2030-01-02T09:00:00"}
    await refused(naive)
    await refused(absence(deputy) | {"reason": "x" * 501})
    await refused({"deputy": deputy})
    # Overlapping another range of the same user: cancel that one first.
    assert (await put(web, me, absence(deputy))).status_code == 201
    overlap = await put(web, me, absence(deputy, SOON + timedelta(days=2), days=5))
    assert overlap.status_code == 409 and "cancel it first" in overlap.json()["detail"]
    touching = await put(web, me, absence(deputy, SOON + timedelta(days=5), days=1))  # starts as the other ends
    assert touching.status_code == 201, touching.text


async def test_only_administrators_act_for_someone_else(web: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    user = await add_user(sessions, "general_manager")
    deputy = await add_user(sessions, "business_vp")
    other = await add_user(sessions, "general_manager")
    assert (await put(web, other, absence(deputy), who=user)).status_code == 403
    assert (await web.get(f"/api/v1/users/{user}/out-of-office", other)).status_code == 403
    by_admin = await put(web, "admin", absence(deputy), who=user)
    assert by_admin.status_code == 201 and by_admin.json()["username"] == user
    assert (await web.get(f"/api/v1/users/{user}/out-of-office", "admin")).json()[0]["deputy"] == deputy
    # The user sees it as theirs, under `me` and under their own name.
    assert (await web.get("/api/v1/users/me/out-of-office", user)).json()[0]["id"] == by_admin.json()["id"]
    assert (await web.get(f"/api/v1/users/{user}/out-of-office", user)).status_code == 200
    assert (await delete(web, other, by_admin.json()["id"])).status_code == 404  # not other's entry
    assert (await delete(web, other, by_admin.json()["id"], who=user)).status_code == 403
    assert (await delete(web, "admin", by_admin.json()["id"], who=user)).status_code == 200
    assert (await web.get("/api/v1/users/nobody_at_all/out-of-office", "admin")).status_code == 404
    assert (await put(web, "admin", absence(deputy), who="nobody_at_all")).status_code == 404
