"""The first administrator of a production database (no demo users there to start from).

    ADMIN_PASSWORD=... python -m scripts.create_admin <username> [--unit HQ]

Creates the user with the admin role, or, if the username exists, enables it, adds the admin role
and sets the password. Written to the admin audit log as actor `cli`. Every later user is created
through the API (`POST /api/v1/users`). Without ADMIN_PASSWORD the password is asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.security import hash_password
from db.models import AdminAudit, OrgUnit, User, UserRole
from db.session import make_engine, make_sessionmaker
from domain.roles import Role
from settings import get_settings

ACTOR = "cli"


def _snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "unit": user.unit_code,
        "roles": sorted(r.role for r in user.roles),
        "is_active": user.is_active,
        "is_demo": user.is_demo,
    }


async def create_admin(
    sessions: async_sessionmaker[AsyncSession], username: str, password: str, unit: str | None, min_length: int
) -> str:
    """'created' or 'updated'; raises ValueError for a short password or an unknown unit."""
    if len(password) < min_length:
        raise ValueError(f"the password needs at least {min_length} characters")
    hashed = hash_password(password)
    async with sessions.begin() as session:
        if unit is not None and await session.get(OrgUnit, unit) is None:
            raise ValueError(f"unknown unit {unit}")
        user = await session.scalar(select(User).where(User.username == username))
        before = None if user is None else _snapshot(user)
        if user is None:
            user = User(
                username=username,
                full_name="系统管理员",
                password_hash=hashed,
                unit_code=unit,
                is_active=True,
                is_demo=False,
                created_at=datetime.now(UTC),
                roles=[UserRole(role=Role.admin.value)],
            )
            session.add(user)
        else:
            user.password_hash, user.is_active, user.is_demo = hashed, True, False
            if Role.admin.value not in {r.role for r in user.roles}:
                user.roles.append(UserRole(role=Role.admin.value))
        await session.flush()
        action = "create" if before is None else "bootstrap_admin"
        session.add(
            AdminAudit(
                actor=ACTOR, at=datetime.now(UTC), action=action, target=username, before=before, after=_snapshot(user)
            )
        )
    return "created" if before is None else "updated"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("username")
    parser.add_argument("--unit", default="HQ", help="the admin's unit (default HQ; '' for none)")
    args = parser.parse_args()
    settings = get_settings()
    password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    engine = make_engine(settings.database_url)
    try:
        result = await create_admin(
            make_sessionmaker(engine), args.username, password, args.unit or None, settings.password_min_length
        )
    except ValueError as exc:
        sys.exit(str(exc))
    finally:
        await engine.dispose()
    print(f"administrator {args.username} {result}")


if __name__ == "__main__":
    asyncio.run(main())
