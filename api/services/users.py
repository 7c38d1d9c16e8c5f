"""Users as the engine needs them: an active user looked up as an Actor (username, roles, unit).

A service, not a route helper: the users route, the task actions (a delegate, a transferee, an added
signer) and the task page all name people by username and need them as actors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Invalid
from db.models import User
from domain.models import Actor
from domain.roles import Role


def actor_of(user: User) -> Actor:
    return Actor(
        username=user.username,
        full_name=user.full_name,
        roles=[Role(r.role) for r in user.roles if r.role in Role.__members__],
        unit=user.unit_code,
    )


async def find_actor(session: AsyncSession, username: str) -> Actor:
    """An active user as an Actor (username, roles, unit); 422 for anyone else."""
    user = await session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise Invalid(f"unknown or inactive user {username}")
    return actor_of(user)
