"""User and role administration (issue 10 §4) as a service the API's routes (api/routes/user_admin.py)
and the administrators' pages (web/admin_users.py) both call: create a user, enable and disable them,
set their roles and unit, reset their password; every change is written to `admin_audit` (who, when,
what, the user before and after) in the same transaction as the change itself.

An administrator cannot disable themself or drop their own admin role: someone must stay able to
undo a mistake. A user who still looks after customer files is not disabled (000 §10 (四)).

Each refusal is a subclass of the API's error (same status, same words), so a page can show it
beside the field it concerns (`field`) while the API answers exactly as before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ActorCache
from api.errors import Conflict, Invalid, NotFound
from api.security import PasswordWork
from api.services.sso_identities import identities_of
from api.visibility import looked_after_by
from db.models import AdminAudit, Customer, OrgUnit, User, UserIdentity, UserRole
from domain.china_time import ChinaTime
from domain.customer_record import leaver_problem
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.text import StoredText

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,80}$"
PASSWORD_MAX = 256  # Argon2 hashes any length; a bound keeps a login's work bounded too
FULL_NAME_MAX, UNIT_MAX = 200, 40  # users.full_name, org_units.code


class UserOut(BaseModel):
    username: str
    full_name: str
    unit: str | None
    roles: list[Role]
    is_active: bool
    is_demo: bool
    created_at: ChinaTime


class UserIn(BaseModel):
    model_config = examples(
        {
            "username": "zhang_wei",
            "full_name": "张伟",
            "password": "Hy-2030-pass-word",
            "unit": "HQ",
            "roles": ["sales_clerk"],
        }
    )

    username: str = Field(pattern=USERNAME_PATTERN)
    full_name: StoredText = Field(default="", max_length=FULL_NAME_MAX)
    password: str = Field(max_length=PASSWORD_MAX, description="at least PASSWORD_MIN_LENGTH characters")
    unit: StoredText | None = Field(default=None, max_length=UNIT_MAX)
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))


class AdminAuditOut(BaseModel):
    id: int
    actor: str
    at: ChinaTime
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class UserFilter:
    """Which users a list shows (every one by default), a page of them in username order."""

    active: bool | None = None
    unit: str | None = None
    role: Role | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class UnitOut:
    code: str
    name: str
    kind: str
    parent: str | None
    users: int


class FieldRefusal:
    """Mixed into a refusal that concerns one input of the user form."""

    field = ""


class PasswordTooShort(FieldRefusal, Invalid):
    field = "password"


class UnknownUnit(FieldRefusal, Invalid):
    field = "unit"


class UserExists(FieldRefusal, Conflict):
    field = "username"


@dataclass(frozen=True)
class AdminDesk:
    """What every change needs: the session, the administrator acting, the password hasher, the
    cache of actors this process must forget a changed user from, and the password rule's minimum."""

    session: AsyncSession
    actor: Actor
    passwords: PasswordWork
    actors: ActorCache
    password_min_length: int


def admin_desk(request: Request, session: AsyncSession, actor: Actor) -> AdminDesk:
    """The desk of this app (api/main.py's lifespan: its password hasher, actor cache and settings)."""
    state = request.app.state
    return AdminDesk(session, actor, state.passwords, state.actors, state.settings.password_min_length)


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        full_name=user.full_name,
        unit=user.unit_code,
        roles=sorted(Role(r.role) for r in user.roles if r.role in Role.__members__),
        is_active=user.is_active,
        is_demo=user.is_demo,
        created_at=user.created_at,
    )


def _snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user: everything but the password hash."""
    return user_out(user).model_dump(mode="json", exclude={"created_at"})


async def _user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username} not found")
    return user


async def _check_unit(session: AsyncSession, unit: str | None) -> None:
    if unit is not None and await session.get(OrgUnit, unit) is None:
        raise UnknownUnit(f"unknown unit {unit}")


def _check_password(password: str, minimum: int) -> None:
    if len(password) < minimum:
        raise PasswordTooShort(f"the password needs at least {minimum} characters")


def _unique(roles: list[Role]) -> list[Role]:
    return sorted(set(roles))


def _audit(desk: AdminDesk, action: str, target: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """One line of `admin_audit`, in the change's own transaction: who, when, what, before and after."""
    entry = AdminAudit(actor=desk.actor.username, at=datetime.now(UTC), action=action, target=target)
    entry.before, entry.after = before, after
    desk.session.add(entry)


async def _finish(desk: AdminDesk, action: str, user: User, before: dict[str, Any] | None) -> UserOut:
    """The audit line, then this process stops trusting what it cached of the user at once (others
    within the cache's seconds)."""
    await desk.session.flush()
    _audit(desk, action, user.username, before, _snapshot(user))
    await desk.session.flush()
    desk.actors.forget(user.username)
    return user_out(user)


async def list_users(session: AsyncSession, which: UserFilter) -> list[UserOut]:
    query = select(User).order_by(User.username).limit(which.limit).offset(which.offset)
    if which.active is not None:
        query = query.where(User.is_active == which.active)
    if which.unit is not None:
        query = query.where(User.unit_code == which.unit)
    if which.role is not None:
        query = query.where(User.roles.any(UserRole.role == which.role.value))
    return [user_out(user) for user in await session.scalars(query)]


async def admin_log(session: AsyncSession, target: str | None, limit: int, offset: int = 0) -> list[AdminAuditOut]:
    """Newest first: every user and role change (of `target`, or of everyone), before and after."""
    query = select(AdminAudit).order_by(AdminAudit.id.desc()).limit(limit).offset(offset)
    if target is not None:
        query = query.where(AdminAudit.target == target)
    rows = await session.scalars(query)
    return [AdminAuditOut.model_validate(row, from_attributes=True) for row in rows]


async def get_user(session: AsyncSession, username: str) -> UserOut:
    return user_out(await _user(session, username))


async def list_units(session: AsyncSession) -> list[UnitOut]:
    """Every unit in code order with how many users it has (the API offers no unit changes)."""
    users = select(User.unit_code, func.count(User.id).label("n")).group_by(User.unit_code).subquery()
    rows = await session.execute(
        select(OrgUnit, func.coalesce(users.c.n, 0))
        .outerjoin(users, users.c.unit_code == OrgUnit.code)
        .order_by(OrgUnit.code)
    )
    return [UnitOut(unit.code, unit.name, unit.kind, unit.parent_code, count) for unit, count in rows.tuples()]


async def create_user(desk: AdminDesk, body: UserIn) -> UserOut:
    _check_password(body.password, desk.password_min_length)
    await _check_unit(desk.session, body.unit)
    if await desk.session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise UserExists(f"user {body.username} already exists")
    user = User(
        username=body.username,
        full_name=body.full_name,
        password_hash=await desk.passwords.hash(body.password),
        unit_code=body.unit,
        is_active=True,
        is_demo=False,
        created_at=datetime.now(UTC),
        roles=[UserRole(role=role.value) for role in _unique(body.roles)],
    )
    desk.session.add(user)
    return await _finish(desk, "create", user, before=None)


async def _require_handed_over(session: AsyncSession, username: str) -> None:
    """409 while the user still looks after customer files that are not destroyed (000 §10 (四))."""
    files = await session.scalar(
        select(func.count(Customer.id)).where(looked_after_by(username), Customer.destroyed_at.is_(None))
    )
    problem = leaver_problem(username, files or 0)
    if problem:
        raise Conflict(problem)


async def set_active(desk: AdminDesk, username: str, active: bool) -> UserOut:
    user = await _user(desk.session, username)
    if not active and user.username == desk.actor.username:
        raise Conflict("administrators cannot disable themselves")
    if not active:
        await _require_handed_over(desk.session, user.username)
    before = _snapshot(user)
    user.is_active = active
    return await _finish(desk, "enable" if active else "disable", user, before)


async def set_roles(desk: AdminDesk, username: str, roles: list[Role]) -> UserOut:
    user = await _user(desk.session, username)
    wanted_roles = _unique(roles)
    if user.username == desk.actor.username and Role.admin not in wanted_roles:
        raise Conflict("administrators cannot remove their own admin role")
    before = _snapshot(user)
    wanted = {role.value for role in wanted_roles}
    user.roles = [held for held in user.roles if held.role in wanted]
    held_now = {held.role for held in user.roles}
    user.roles.extend(UserRole(role=role) for role in sorted(wanted - held_now))
    return await _finish(desk, "set_roles", user, before)


async def set_unit(desk: AdminDesk, username: str, unit: str | None) -> UserOut:
    user = await _user(desk.session, username)
    await _check_unit(desk.session, unit)
    before = _snapshot(user)
    user.unit_code = unit
    return await _finish(desk, "set_unit", user, before)


async def reset_password(desk: AdminDesk, username: str, password: str) -> UserOut:
    """The new password is not logged; the audit entry records that it was reset, and by whom.
    Every token issued before the reset is refused from now on (this API process at once, the
    others within the actor cache's seconds): whoever held the old password is signed out."""
    _check_password(password, desk.password_min_length)
    user = await _user(desk.session, username)
    before = _snapshot(user)
    user.password_hash = await desk.passwords.hash(password)
    user.tokens_valid_from = datetime.now(UTC)
    return await _finish(desk, "reset_password", user, before)


# --- single sign-on identities (issue 24 §4a, docs/operations/single-sign-on.md) --------------------


class IdentityOut(BaseModel):
    issuer: str
    subject: str
    linked_at: ChinaTime
    last_sign_in_at: ChinaTime


def _identities_out(rows: list[UserIdentity]) -> list[IdentityOut]:
    return [IdentityOut.model_validate(row, from_attributes=True) for row in rows]


async def list_identities(session: AsyncSession, username: str) -> list[IdentityOut]:
    return _identities_out(await identities_of(session, (await _user(session, username)).id))


async def unlink_identities(desk: AdminDesk, username: str) -> list[IdentityOut]:
    """The provider identities linked to the user are unlinked (and answered); the next single sign-on
    links again by the username claim — e.g. once the provider gave a leaver's name to a newcomer.
    Sessions already open stay open: disable the user to end them."""
    user = await _user(desk.session, username)
    rows = await identities_of(desk.session, user.id)
    unlinked = _identities_out(rows)
    for row in rows:
        await desk.session.delete(row)
    if rows:
        before = {"identities": [identity.model_dump(mode="json") for identity in unlinked]}
        _audit(desk, "unlink_identities", user.username, before, {"identities": []})
    await desk.session.flush()
    return unlinked
