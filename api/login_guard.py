"""Failed logins, counted per username and per client address, refuse further tries for a while.

Counted in the `login_attempts` table, so every API process and replica shares one count (an
in-memory count would multiply the limit by the number of processes). Defaults: 5 failures per
username and 20 per address within 15 minutes answer 429 with `Retry-After`. A refused (429)
try is not counted and hashes nothing; a successful login clears its username's failures.

The address is the peer of the connection: behind a proxy, run uvicorn with `--proxy-headers`
and `--forwarded-allow-ips` so that it is the client's. A per-username limit lets anyone lock an
account out for one window: the price of stopping password guessing against it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LoginAttempt
from settings import Settings

USERNAME_MAX = 80  # users.username
ADDRESS_MAX = 64  # login_attempts.address


def storable(text: str, limit: int) -> str:
    """A form value as a key the database accepts (no NUL, no lone surrogate, cut to the column)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


async def seconds_blocked(session: AsyncSession, username: str, address: str, now: datetime, settings: Settings) -> int:
    """How long this username or address must wait before trying again (0: it may try now)."""
    window = timedelta(minutes=settings.login_window_minutes)
    wait = 0.0
    limits: tuple[tuple[ColumnElement[bool], int], ...] = (
        (LoginAttempt.username == username, settings.login_failures_per_username),
        (LoginAttempt.address == address, settings.login_failures_per_address),
    )
    for matches, limit in limits:
        # The `limit`-th most recent failure in the window: once it is out, fewer than `limit` remain.
        oldest_counted = await session.scalar(
            select(LoginAttempt.attempted_at)
            .where(matches, LoginAttempt.attempted_at > now - window)
            .order_by(LoginAttempt.attempted_at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        if oldest_counted is not None:
            wait = max(wait, (oldest_counted + window - now).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


async def record_failure(session: AsyncSession, username: str, address: str, now: datetime, settings: Settings) -> None:
    """Count a failure, and forget the ones no window looks at any more."""
    session.add(LoginAttempt(username=username, address=address, attempted_at=now))
    expired = now - timedelta(minutes=settings.login_window_minutes)
    await session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= expired))


async def clear_failures(session: AsyncSession, username: str) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
