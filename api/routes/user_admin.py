"""User and role administration (issue 10 §4): administrators create users, disable and enable
them, set their roles and unit and reset their passwords; every change is written to `admin_audit`
(who, when, what, the user before and after) in the same transaction as the change itself, and
administrators and auditors read that log (003 §7: supervision reads everything). Administrators
also see and unlink the single sign-on identities that open a user (issue 24 §4a).

The rules live in api/services/user_admin.py, which the administrators' pages call too.
A disabled user's token stops working within `ACTOR_CACHE_SECONDS` (at once on this API process).
An administrator cannot disable themself or drop their own admin role: someone must stay able to
undo a mistake.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, Field

from api.deps import SessionDep, require_any_role
from api.idempotency import idempotent
from api.services import user_admin
from api.services.user_admin import (
    PASSWORD_MAX,
    UNIT_MAX,
    USERNAME_PATTERN,
    AdminAuditOut,
    IdentityOut,
    UserFilter,
    UserIn,
    UserOut,
    admin_desk,
)
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.text import StoredText

router = APIRouter(prefix="/users", tags=["user administration"])
Admin = Annotated[Actor, Depends(require_any_role(Role.admin))]
AuditReader = Annotated[Actor, Depends(require_any_role(Role.admin, Role.auditor))]
Target = Annotated[str, Path(pattern=USERNAME_PATTERN, description="the username to change")]


class RolesIn(BaseModel):
    model_config = examples({"roles": ["marketing_reviewer", "sales_clerk"]})

    roles: list[Role] = Field(max_length=len(Role))


class UnitIn(BaseModel):
    model_config = examples({"unit": "DEPOT-ZZ"})

    unit: StoredText | None = Field(max_length=UNIT_MAX)


class PasswordIn(BaseModel):
    model_config = examples({"password": "Hy-2030-new-pass"})

    password: str = Field(max_length=PASSWORD_MAX, description="at least PASSWORD_MIN_LENGTH characters")


@router.get("", response_model=list[UserOut], summary="List users")
async def list_users(
    session: SessionDep,
    actor: Admin,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[UserOut]:
    return await user_admin.list_users(session, UserFilter(active=active, limit=limit, offset=offset))


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user")
@idempotent
async def create_user(body: UserIn, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await user_admin.create_user(admin_desk(request, session, actor), body)


@router.get("/audit", response_model=list[AdminAuditOut], summary="The user administration log")
async def admin_audit(
    session: SessionDep,
    actor: AuditReader,
    target: Annotated[str | None, Query(pattern=USERNAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[AdminAuditOut]:
    """Newest first: every user and role change, with the user before and after."""
    return await user_admin.admin_log(session, target, limit, offset)


@router.post("/{username}/disable", response_model=UserOut, summary="Disable a user (their token stops working)")
async def disable_user(username: Target, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await user_admin.set_active(admin_desk(request, session, actor), username, False)


@router.post("/{username}/enable", response_model=UserOut, summary="Enable a disabled user")
async def enable_user(username: Target, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await user_admin.set_active(admin_desk(request, session, actor), username, True)


@router.put("/{username}/roles", response_model=UserOut, summary="Set a user's roles")
async def set_roles(username: Target, body: RolesIn, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await user_admin.set_roles(admin_desk(request, session, actor), username, body.roles)


@router.put("/{username}/unit", response_model=UserOut, summary="Set a user's unit")
async def set_unit(username: Target, body: UnitIn, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    return await user_admin.set_unit(admin_desk(request, session, actor), username, body.unit)


@router.post("/{username}/password", response_model=UserOut, summary="Reset a user's password")
async def reset_password(
    username: Target, body: PasswordIn, request: Request, session: SessionDep, actor: Admin
) -> UserOut:
    """The new password is not logged; the audit entry records that it was reset, and by whom.
    Every token issued before the reset is refused from now on (this API process at once, the
    others within the actor cache's seconds): whoever held the old password is signed out."""
    return await user_admin.reset_password(admin_desk(request, session, actor), username, body.password)


@router.get("/{username}/identities", response_model=list[IdentityOut], summary="A user's single sign-on identities")
async def list_identities(username: Target, session: SessionDep, actor: Admin) -> list[IdentityOut]:
    return await user_admin.list_identities(session, username)


@router.delete("/{username}/identities", response_model=list[IdentityOut], summary="Unlink them")
async def unlink_identities(username: Target, request: Request, session: SessionDep, actor: Admin) -> list[IdentityOut]:
    """The provider identities linked to the user are unlinked (and answered); the next single sign-on
    links again by the username claim. Sessions already open stay open: disable the user to end them."""
    return await user_admin.unlink_identities(admin_desk(request, session, actor), username)
