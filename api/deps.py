"""Dependencies reached through `Annotated` aliases: settings, database session, Temporal, user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import Forbidden, Unauthorized
from api.security import token_subject
from db.models import User
from domain.models import Actor
from domain.roles import Role
from settings import Settings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Request-scoped session: commits on success, rolls back on error."""
    async with request.app.state.sessions() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


async def get_current_actor(
    token: Annotated[str, Depends(oauth2_scheme)], session: SessionDep, settings: SettingsDep
) -> Actor:
    username = token_subject(token, settings.jwt_secret)
    if username is None:
        raise Unauthorized("invalid or expired token")
    user = await session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise Unauthorized("unknown or inactive user")
    return Actor(
        username=user.username,
        full_name=user.full_name,
        roles=[Role(r.role) for r in user.roles if r.role in Role.__members__],
        unit=user.unit_code,
    )


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require_any_role(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency that lets through only holders of one of `roles`."""

    async def check(actor: CurrentActor) -> Actor:
        if not any(actor.has(role) for role in roles):
            wanted = ", ".join(role.value for role in roles)
            raise Forbidden(f"{actor.username} needs one of the roles: {wanted}")
        return actor

    return check
