"""Login hardening through the real API: rate limits per username and address, the same work for
unknown users, bounded Argon2, and demo accounts refused outside demo mode (both databases)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.security import PasswordWork, hash_password
from db.models import LoginAttempt, User, UserRole
from settings import Settings
from tests.support import Api, running_api

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], database_url: str, task_queue: str
) -> AsyncIterator[Api]:
    """The app with the shipped login limits (the shared test app lifts them)."""
    defaults = Settings.model_fields
    limits = {name: defaults[name].default for name in ("login_failures_per_username", "login_failures_per_address")}
    assert limits == {"login_failures_per_username": 5, "login_failures_per_address": 20}
    async with running_api(temporal_env.client, sessions, task_queue, database_url, **limits) as running:
        yield running


TOKEN = "/api/v1/auth/token"
PASSWORD = "correct horse battery staple"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def address() -> str:
    """A client address of this test alone: no other test's failures count against it."""
    octets = uuid.uuid4().bytes[:3]
    return "10." + ".".join(str(b) for b in octets)


async def add_user(
    sessions: async_sessionmaker[AsyncSession], password: str = PASSWORD, *, demo: bool = False, active: bool = True
) -> str:
    username = unique("login")
    async with sessions.begin() as session:
        session.add(
            User(
                username=username,
                full_name="登录测试",
                password_hash=hash_password(password),
                unit_code="MKT",
                is_active=active,
                is_demo=demo,
                created_at=datetime.now(UTC),
                roles=[UserRole(role="sales_clerk")],
            )
        )
    return username


async def test_five_failures_per_username_then_429_until_the_window_passes(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions)
    async with api.from_address(address()) as client:
        for _ in range(5):
            wrong = await client.post(TOKEN, data={"username": username, "password": "wrong password"})
            assert wrong.status_code == 401, wrong.text
        blocked = await client.post(TOKEN, data={"username": username, "password": PASSWORD})
        assert blocked.status_code == 429, blocked.text
        assert blocked.json()["error"] == "too_many_requests"
        assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    async with api.from_address(address()) as elsewhere:  # the username is blocked from every address
        assert (await elsewhere.post(TOKEN, data={"username": username, "password": PASSWORD})).status_code == 429
    async with sessions.begin() as session:  # the window passes
        past = datetime.now(UTC) - timedelta(minutes=16)
        await session.execute(update(LoginAttempt).where(LoginAttempt.username == username).values(attempted_at=past))
    async with api.from_address(address()) as client:
        assert (await client.post(TOKEN, data={"username": username, "password": PASSWORD})).status_code == 200


async def test_a_success_clears_the_usernames_failures(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    username = await add_user(sessions)
    async with api.from_address(address()) as client:
        for _ in range(3):
            assert (await client.post(TOKEN, data={"username": username, "password": "nope"})).status_code == 401
        assert (await client.post(TOKEN, data={"username": username, "password": PASSWORD})).status_code == 200
        for _ in range(4):
            assert (await client.post(TOKEN, data={"username": username, "password": "nope"})).status_code == 401
        assert (await client.post(TOKEN, data={"username": username, "password": PASSWORD})).status_code == 200


async def test_twenty_failures_per_address_then_429_for_that_address_only(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    username = await add_user(sessions)
    guesser = address()
    async with api.from_address(guesser) as client:
        for i in range(20):  # a different username each time: no username reaches its own limit
            response = await client.post(TOKEN, data={"username": unique(f"guess{i}"), "password": "x"})
            assert response.status_code == 401, response.text
        blocked = await client.post(TOKEN, data={"username": username, "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    async with api.from_address(address()) as other:
        assert (await other.post(TOKEN, data={"username": username, "password": PASSWORD})).status_code == 200


async def test_unknown_and_unstorable_usernames_answer_401_after_the_same_work(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """An unknown username is verified against a dummy hash: the answer costs one Argon2
    computation, as a wrong password for a known user does (counted, not timed)."""
    work: PasswordWork = api.app.state.passwords
    known = await add_user(sessions)
    async with api.from_address(address()) as client:
        for name in (known, unique("nobody"), "nul\x00name", "x" * 500):
            before = work.done
            response = await client.post(TOKEN, data={"username": name, "password": "whatever"})
            assert response.status_code == 401, response.text
            assert response.json() == {"error": "unauthorized", "detail": "wrong username or password"}
            assert work.done - before == 1, name


async def test_parallel_logins_queue_for_a_bounded_number_of_hashing_slots(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    stored = hash_password("y")
    work = PasswordWork(slots=1)
    results = await asyncio.gather(*(work.verify("y", stored) for _ in range(4)))
    assert all(results)
    assert (work.done, work.peak) == (4, 1)  # one at a time, never four at once
    assert "$argon2id$v=19$m=65536,t=3,p=4$" in stored  # explicit costs, not a library default
    username = await add_user(sessions)
    shared: PasswordWork = api.app.state.passwords
    async with api.from_address(address()) as client:
        answers = await asyncio.gather(
            *(client.post(TOKEN, data={"username": username, "password": PASSWORD}) for _ in range(12))
        )
    assert [a.status_code for a in answers] == [200] * 12
    assert shared.peak <= Settings.model_fields["password_hashing_slots"].default


async def test_outside_demo_mode_demo_users_and_the_demo_password_are_refused(
    temporal_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    task_queue: str,
    api: Api,
) -> None:
    demo_user = await add_user(sessions, "demo", demo=True)
    demo_password_user = await add_user(sessions, "demo")
    real_user = await add_user(sessions)
    async with api.from_address(address()) as demo_client:  # demo mode: the demo account works
        assert (await demo_client.post(TOKEN, data={"username": demo_user, "password": "demo"})).status_code == 200
    async with (
        running_api(
            temporal_env.client,
            sessions,
            f"{task_queue}-production",
            database_url,
            app_env="production",
            jwt_secret="p" * 40,
        ) as production,
        production.from_address(address()) as client,
    ):
        for username in (demo_user, demo_password_user, "sales_clerk"):
            refused = await client.post(TOKEN, data={"username": username, "password": "demo"})
            assert refused.status_code == 401, (username, refused.text)
        accepted = await client.post(TOKEN, data={"username": real_user, "password": PASSWORD})
        assert accepted.status_code == 200
        token = accepted.json()["access_token"]
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == real_user


async def test_an_inactive_user_cannot_log_in(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    username = await add_user(sessions, active=False)
    async with api.from_address(address()) as client:
        assert (await client.post(TOKEN, data={"username": username, "password": PASSWORD})).status_code == 401
