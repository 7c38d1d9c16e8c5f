"""The one password check: throttled per username and address, Argon2 off the event loop, demo
accounts only in demo mode. POST /api/v1/auth/token and the web sign-in page both call it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Unauthorized
from api.login_guard import ADDRESS_MAX, USERNAME_MAX, clear_failures, record_failure, seconds_blocked, storable
from api.security import PasswordWork
from db.models import User
from domain.sso import account_open
from settings import DEMO_PASSWORD, Settings

WRONG_PASSWORD = "wrong username or password"


def may_log_in_here(user: User, password: str, settings: Settings) -> bool:
    """Demo accounts and the well-known demo password work in demo mode only."""
    open_ = account_open(user.is_active, user.is_demo, settings.demo_mode)
    return open_ and (settings.demo_mode or password != DEMO_PASSWORD)


class TooManyFailures(HTTPException):
    """429 with Retry-After: this username or address failed too often in the window."""

    def __init__(self, wait: int) -> None:
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins for this user or address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
        self.wait = wait


async def authenticate(
    session: AsyncSession, settings: Settings, passwords: PasswordWork, username: str, password: str, client: str
) -> User:
    """The user these credentials open; `TooManyFailures` (429) or `Unauthorized` (401) otherwise.

    A failure is committed although the answer is an error: it must count."""
    name = storable(username, USERNAME_MAX)
    address = storable(client, ADDRESS_MAX)
    now = datetime.now(UTC)
    wait = await seconds_blocked(session, name, address, now, settings)
    if wait:
        raise TooManyFailures(wait)
    user = None
    if name == username:  # a name the database could not even store belongs to nobody
        user = await session.scalar(select(User).where(User.username == name))
    verified = await passwords.verify(password, user.password_hash if user else None)
    if user is None or not verified or not may_log_in_here(user, password, settings):
        await record_failure(session, name, address, now, settings)
        await session.commit()
        raise Unauthorized(WRONG_PASSWORD)
    await clear_failures(session, name)
    return user
