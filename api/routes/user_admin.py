"""User and role administration (issue 10 §4): administrators create users, disable and enable
them, set their roles and unit and reset their passwords; every change is written to `admin_audit`
(who, when, what, the user before and after) in the same transaction as the change itself, and
administrators and auditors read that log (003 §7: supervision reads everything). Administrators
also see and unlink the single sign-on identities that open a user (issue 24 §4a).

A disabled user's token stops working within `ACTOR_CACHE_SECONDS` (at once on this API process).
An administrator cannot disable themself or drop their own admin role: someone must stay able to
undo a mistake.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ActorCache, SessionDep, SettingsDep, require_any_role
from api.errors import Conflict, Invalid, NotFound
from api.idempotency import idempotent
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

router = APIRouter(prefix="/users", tags=["user administration"])
Admin = Annotated[Actor, Depends(require_any_role(Role.admin))]
AuditReader = Annotated[Actor, Depends(require_any_role(Role.admin, Role.auditor))]
USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,80}$"
Target = Annotated[str, Path(pattern=USERNAME_PATTERN, description="the username to change")]
PASSWORD_MAX = 256  # Argon2 hashes any length; a bound keeps a login's work bounded too


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
    full_name: StoredText = Field(default="", max_length=200)
    password: str = Field(max_length=PASSWORD_MAX, description="at least PASSWORD_MIN_LENGTH characters")
    unit: StoredText | None = Field(default=None, max_length=40)
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))


class RolesIn(BaseModel):
    model_config = examples({"roles": ["marketing_reviewer", "sales_clerk"]})

    roles: list[Role] = Field(max_length=len(Role))


class UnitIn(BaseModel):
    model_config = examples({"unit": "DEPOT-ZZ"})

    unit: StoredText | None = Field(max_length=40)


class PasswordIn(BaseModel):
    model_config = examples({"password": "Hy-2030-new-pass"})

    password: str = Field(max_length=PASSWORD_MAX, description="at least PASSWORD_MIN_LENGTH characters")


class AdminAuditOut(BaseModel):
    id: int
    actor: str
    at: ChinaTime
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _out(user: User) -> UserOut:
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
    return _out(user).model_dump(mode="json", exclude={"created_at"})


def _audit(session: AsyncSession, actor: Actor, action: str, target: str, before: Any, after: Any) -> None:
    entry = AdminAudit(actor=actor.username, at=datetime.now(UTC), action=action, target=target)
    entry.before, entry.after = before, after
    session.add(entry)


async def _user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username} not found")
    return user


async def _check_unit(session: AsyncSession, unit: str | None) -> None:
    if unit is not None and await session.get(OrgUnit, unit) is None:
        raise Invalid(f"unknown unit {unit}")


def _check_password(password: str, minimum: int) -> None:
    if len(password) < minimum:
        raise Invalid(f"the password needs at least {minimum} characters")


def _unique(roles: list[Role]) -> list[Role]:
    return sorted(set(roles))


def _forget(request: Request, username: str) -> None:
    """This process stops trusting what it cached of the user at once; others within the TTL."""
    actors: ActorCache = request.app.state.actors
    actors.forget(username)


async def _finish(
    session: AsyncSession, request: Request, actor: Actor, action: str, user: User, before: dict[str, Any] | None
) -> UserOut:
    await session.flush()
    after = _snapshot(user)
    _audit(session, actor, action, user.username, before, after)
    await session.flush()
    _forget(request, user.username)
    return _out(user)


@router.get("", response_model=list[UserOut], summary="List users")
async def list_users(
    session: SessionDep,
    actor: Admin,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[UserOut]:
    query = select(User).order_by(User.username).limit(limit).offset(offset)
    if active is not None:
        query = query.where(User.is_active == active)
    return [_out(user) for user in await session.scalars(query)]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user")
@idempotent
async def create_user(
    body: UserIn, request: Request, session: SessionDep, settings: SettingsDep, actor: Admin
) -> UserOut:
    _check_password(body.password, settings.password_min_length)
    await _check_unit(session, body.unit)
    if await session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise Conflict(f"user {body.username} already exists")
    passwords: PasswordWork = request.app.state.passwords
    user = User(
        username=body.username,
        full_name=body.full_name,
        password_hash=await passwords.hash(body.password),
        unit_code=body.unit,
        is_active=True,
        is_demo=False,
        created_at=datetime.now(UTC),
        roles=[UserRole(role=role.value) for role in _unique(body.roles)],
    )
    session.add(user)
    return await _finish(session, request, actor, "create", user, before=None)


@router.get("/audit", response_model=list[AdminAuditOut], summary="The user administration log")
async def admin_audit(
    session: SessionDep,
    actor: AuditReader,
    target: Annotated[str | None, Query(pattern=USERNAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[AdminAuditOut]:
    """Newest first: every user and role change, with the user before and after."""
    query = select(AdminAudit).order_by(AdminAudit.id.desc()).limit(limit).offset(offset)
    if target is not None:
        query = query.where(AdminAudit.target == target)
    rows = await session.scalars(query)
    return [AdminAuditOut.model_validate(row, from_attributes=True) for row in rows]


async def _require_handed_over(session: AsyncSession, username: str) -> None:
    """409 while the user still looks after customer files that are not destroyed (000 §10 (四))."""
    files = await session.scalar(
        select(func.count(Customer.id)).where(looked_after_by(username), Customer.destroyed_at.is_(None))
    )
    problem = leaver_problem(username, files or 0)
    if problem:
        raise Conflict(problem)


async def _set_active(session: AsyncSession, request: Request, actor: Actor, username: str, active: bool) -> UserOut:
    user = await _user(session, username)
    if not active and user.username == actor.username:
        raise Conflict("administrators cannot disable themselves")
    if not active:
        await _require_handed_over(session, user.username)
    before = _snapshot(user)
    user.is_active = active
    return await _finish(session, request, actor, "enable" if active else "disable", user, before)


@router.post("/{username}/disable", response_model=UserOut, summary="Disable a user (their token stops working)")
async def disable_user(username: Target, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await _set_active(session, request, actor, username, False)


@router.post("/{username}/enable", response_model=UserOut, summary="Enable a disabled user")
async def enable_user(username: Target, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await _set_active(session, request, actor, username, True)


@router.put("/{username}/roles", response_model=UserOut, summary="Set a user's roles")
async def set_roles(username: Target, body: RolesIn, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    user = await _user(session, username)
    roles = _unique(body.roles)
    if user.username == actor.username and Role.admin not in roles:
        raise Conflict("administrators cannot remove their own admin role")
    before = _snapshot(user)
    wanted = {role.value for role in roles}
    user.roles = [held for held in user.roles if held.role in wanted]
    held_now = {held.role for held in user.roles}
    user.roles.extend(UserRole(role=role) for role in sorted(wanted - held_now))
    return await _finish(session, request, actor, "set_roles", user, before)


@router.put("/{username}/unit", response_model=UserOut, summary="Set a user's unit")
async def set_unit(username: Target, body: UnitIn, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    user = await _user(session, username)
    await _check_unit(session, body.unit)
    before = _snapshot(user)
    user.unit_code = body.unit
    return await _finish(session, request, actor, "set_unit", user, before)


@router.post("/{username}/password", response_model=UserOut, summary="Reset a user's password")
async def reset_password(
    username: Target, body: PasswordIn, request: Request, session: SessionDep, settings: SettingsDep, actor: Admin
) -> UserOut:
    """The new password is not logged; the audit entry records that it was reset, and by whom.
    Every token issued before the reset is refused from now on (this API process at once, the
    others within the actor cache's seconds): whoever held the old password is signed out."""
    _check_password(body.password, settings.password_min_length)
    user = await _user(session, username)
    before = _snapshot(user)
    passwords: PasswordWork = request.app.state.passwords
    user.password_hash = await passwords.hash(body.password)
    user.tokens_valid_from = datetime.now(UTC)
    return await _finish(session, request, actor, "reset_password", user, before)


# --- single sign-on identities (issue 24 §4a, docs/operations/single-sign-on.md) --------------------


class IdentityOut(BaseModel):
    issuer: str
    subject: str
    linked_at: ChinaTime
    last_sign_in_at: ChinaTime


def _identities_out(rows: list[UserIdentity]) -> list[IdentityOut]:
    return [IdentityOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/{username}/identities", response_model=list[IdentityOut], summary="A user's single sign-on identities")
async def list_identities(username: Target, session: SessionDep, actor: Admin) -> list[IdentityOut]:
    return _identities_out(await identities_of(session, (await _user(session, username)).id))


@router.delete("/{username}/identities", response_model=list[IdentityOut], summary="Unlink them")
async def unlink_identities(username: Target, session: SessionDep, actor: Admin) -> list[IdentityOut]:
    """The provider identities linked to the user are unlinked (and answered); the next single sign-on
    links again by the username claim — e.g. once the provider gave a leaver's name to a newcomer.
    Sessions already open stay open: disable the user to end them."""
    user = await _user(session, username)
    rows = await identities_of(session, user.id)
    unlinked = _identities_out(rows)
    for row in rows:
        await session.delete(row)
    if rows:
        before = {"identities": [identity.model_dump(mode="json") for identity in unlinked]}
        _audit(session, actor, "unlink_identities", user.username, before, {"identities": []})
    await session.flush()
    return unlinked
