"""Dependencies reached through `Annotated` aliases: settings, database session, Temporal, user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from time import monotonic
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import Forbidden, Unauthorized
from api.observe import note_actor
from api.security import token_claims
from db.models import User, UserRole
from domain.models import Actor
from domain.roles import Role
from settings import Settings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


_request_session: ContextVar[AsyncSession | None] = ContextVar("request_session", default=None)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commits on success, rolls back on error.

    Used with `scope="function"`: the commit runs once the endpoint has returned and before the
    response is sent, so a commit that fails is an error response, never a 200 for nothing stored."""
    async with request.app.state.sessions() as session:
        token = _request_session.set(session)
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise
        finally:
            _request_session.reset(token)


def request_session() -> AsyncSession | None:
    """The session of the request being served (None outside a request)."""
    return _request_session.get()


async def release_session() -> None:
    """Before waiting on Temporal: commit what the request wrote so far and give its database
    connection back to the pool. A request must never hold a connection while a workflow waits
    for a worker that needs one (and 20 approvers waiting must not hold 20 connections)."""
    session = _request_session.get()
    if session is None:
        return
    lock: asyncio.Lock = session.info.setdefault("release_lock", asyncio.Lock())
    async with lock:  # a bulk call sends its updates concurrently through one session
        if session.in_transaction():
            await session.commit()


async def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
TemporalDep = Annotated[Client, Depends(get_temporal)]


@dataclass(frozen=True)
class KnownUser:
    """An active user as a request needs them: the actor, and the moment before which their tokens
    are refused (set when their password is reset)."""

    actor: Actor
    tokens_valid_from: datetime | None = None

    def accepts(self, issued_at: datetime) -> bool:
        return self.tokens_valid_from is None or issued_at >= self.tokens_valid_from


class ActorCache:
    """Who a username is (roles, unit), remembered for a few seconds: a decision costs no user and
    role queries on the hot path, and a disabled user, or a token issued before a password reset,
    is refused within `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._known: dict[str, tuple[float, KnownUser | None]] = {}

    async def get(self, session: AsyncSession, username: str) -> KnownUser | None:
        now = monotonic()
        known = self._known.get(username)
        if known is not None and known[0] > now:
            return known[1]
        user = await load_user(session, username)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[username] = (now + self.seconds, user)
        return user

    def forget(self, username: str) -> None:
        """After an administrator changed the user: this process reads them afresh."""
        self._known.pop(username, None)


async def load_user(session: AsyncSession, username: str) -> KnownUser | None:
    """The active user with their roles, in one query (None: unknown or disabled)."""
    rows = (
        await session.execute(
            select(User.username, User.full_name, User.unit_code, User.tokens_valid_from, UserRole.role)
            .outerjoin(UserRole, UserRole.user_id == User.id)
            .where(User.username == username, User.is_active)
        )
    ).all()
    if not rows:
        return None
    username, full_name, unit, valid_from, _ = rows[0]
    roles = [Role(role) for *_, role in rows if role in Role.__members__]
    return KnownUser(Actor(username=username, full_name=full_name, roles=roles, unit=unit), valid_from)


async def load_actor(session: AsyncSession, username: str) -> Actor | None:
    """The active user with their roles (None: unknown or disabled)."""
    user = await load_user(session, username)
    return user.actor if user is not None else None


async def get_current_actor(
    token: Annotated[str, Depends(oauth2_scheme)], request: Request, session: SessionDep, settings: SettingsDep
) -> Actor:
    signed = token_claims(token, settings.jwt_secret)
    if signed is None:
        raise Unauthorized("invalid or expired token")
    username, issued_at = signed
    cache: ActorCache = request.app.state.actors
    user = await cache.get(session, username)
    if user is None:
        raise Unauthorized("unknown or inactive user")
    if not user.accepts(issued_at):
        raise Unauthorized("the password was reset since this token was issued: sign in again")
    note_actor(username)  # the request's log lines name its user
    return user.actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require_any_role(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency that lets through only holders of one of `roles`."""

    async def check(actor: CurrentActor) -> Actor:
        if not any(actor.has(role) for role in roles):
            wanted = ", ".join(role.value for role in roles)
            raise Forbidden(f"{actor.username} needs one of the roles: {wanted}")
        return actor

    return check
