"""The administrators' pages for users, roles and units (issue 23, administrators): `/admin/users`
lists users a page at a time (filtered by unit, role and state) with a form to create one;
`/admin/users/{username}` changes one user's roles and unit, deactivates or reactivates them and resets
their password, above the latest lines of the administration log about them; `/admin/units` lists
the units.

Every change is the API's own (api/services/user_admin.py, which /api/v1/users calls): the same
password rule, the same refusals, the same line in the administration log. A refusal that concerns
one input is shown beside it. The API offers no change of units, so the units page only reads.

Only administrators reach these pages (everyone else: a 403 page), as only they reach /api/v1/users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, BeforeValidator, Field

from api.deps import SessionDep
from api.errors import AppError
from api.services import user_admin
from api.services.user_admin import (
    FULL_NAME_MAX,
    PASSWORD_MAX,
    UNIT_MAX,
    USERNAME_PATTERN,
    AdminAuditOut,
    FieldRefusal,
    UserFilter,
    UserIn,
    UserOut,
    admin_desk,
)
from api.visibility import Viewer
from domain.roles import Role
from domain.text import StoredText
from web.forms import CsrfField
from web.i18n import MESSAGES, Messages
from web.pages import refusal_words
from web.render import messages_for, render, templates
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/admin", include_in_schema=False, default_response_class=HTMLResponse)

PAGE_SIZE = 50
LOG_LINES = 20  # the latest changes of a user shown on their page (all: GET /api/v1/users/audit)
Username = Annotated[str, Path(pattern=USERNAME_PATTERN)]


def administers_users(viewer: Viewer) -> bool:
    return viewer.actor.has(Role.admin)


templates.env.globals["administers_users"] = administers_users  # the header's link (base.html)


def _empty_is_none(value: object) -> object:
    """A select's "all" or "(none)" option sends an empty value."""
    return None if value == "" else value


class UserQuery(BaseModel):
    unit: Annotated[StoredText | None, BeforeValidator(_empty_is_none)] = Field(default=None, max_length=UNIT_MAX)
    role: Annotated[Role | None, BeforeValidator(_empty_is_none)] = None
    active: Annotated[bool | None, BeforeValidator(_empty_is_none)] = None
    page: int = Field(default=1, ge=1, le=100_000)


class NewUserForm(BaseModel):
    """As POST /api/v1/users's body (UserIn)."""

    username: str = Field(pattern=USERNAME_PATTERN)
    full_name: StoredText = Field(default="", max_length=FULL_NAME_MAX)
    password: str = Field(max_length=PASSWORD_MAX)
    unit: Annotated[StoredText | None, BeforeValidator(_empty_is_none)] = Field(default=None, max_length=UNIT_MAX)
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    csrf_token: str = CsrfField


class RolesForm(BaseModel):
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    csrf_token: str = CsrfField


class UnitForm(BaseModel):
    unit: Annotated[StoredText | None, BeforeValidator(_empty_is_none)] = Field(default=None, max_length=UNIT_MAX)
    csrf_token: str = CsrfField


class ActiveForm(BaseModel):
    active: bool
    csrf_token: str = CsrfField


class PasswordForm(BaseModel):
    password: str = Field(max_length=PASSWORD_MAX)
    csrf_token: str = CsrfField


def _refusal(m: Messages, refused: AppError) -> dict[str, Any]:
    """The refusal's words beside the input it concerns (`errors`), or above the form (`error`)."""
    words = refusal_words(m, refused)
    if isinstance(refused, FieldRefusal):
        return {"errors": {refused.field: words}}
    return {"error": words}


async def _forbidden(request: Request, session: SessionDep, viewer: Viewer) -> Response | None:
    if administers_users(viewer):
        return None
    m = await messages_for(session, viewer.username)
    return render(request, "error.html", m, 403, viewer=viewer, message=m.t("users.forbidden"))


async def _list_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    m: Messages,
    which: UserQuery,
    status: int = 200,
    **shown: Any,
) -> Response:
    """The list page in the words `m` the caller read once for its request."""
    offset = (which.page - 1) * PAGE_SIZE
    found = await user_admin.list_users(
        session, UserFilter(which.active, which.unit, which.role, limit=PAGE_SIZE + 1, offset=offset)
    )
    chosen = which.model_dump(mode="json", exclude={"page"}, exclude_none=True)
    filters = {name: str(value).lower() if isinstance(value, bool) else value for name, value in chosen.items()}
    return render(
        request,
        "admin_users.html",
        m,
        status,
        viewer=viewer,
        users=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        which=which,
        filters=filters,
        units=await user_admin.list_units(session),
        roles=list(Role),
        password_min=request.app.state.settings.password_min_length,
        **shown,
    )


@dataclass(frozen=True)
class LogLine:
    at: str
    actor: str
    action: str
    words: str


def _logged(m: Messages, line: AdminAuditOut) -> LogLine:
    """One line of the administration log in the reader's words (an action of no entry by its key)."""
    key = f"users.action.{line.action}"
    return LogLine(m.when(line.at), line.actor, line.action, m.t(key) if key in MESSAGES else line.action)


async def _user_page(
    request: Request, session: SessionDep, viewer: Viewer, m: Messages, user: UserOut, status: int = 200, **shown: Any
) -> Response:
    """A user's page in the words `m` the caller read once for its request."""
    return render(
        request,
        "admin_user.html",
        m,
        status,
        viewer=viewer,
        user=user,
        log=[_logged(m, line) for line in await user_admin.admin_log(session, user.username, LOG_LINES)],
        units=await user_admin.list_units(session),
        roles=list(Role),
        password_min=request.app.state.settings.password_min_length,
        **shown,
    )


@router.get("/users")
async def users_page(
    request: Request, viewer: WebViewer, session: SessionDep, which: Annotated[UserQuery, Query()]
) -> Response:
    if refused := await _forbidden(request, session, viewer):
        return refused
    return await _list_page(request, session, viewer, await messages_for(session, viewer.username), which)


@router.post("/users", dependencies=[Csrf])
async def create_user(
    request: Request, form: Annotated[NewUserForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    if refused := await _forbidden(request, session, viewer):
        return refused
    body = UserIn.model_validate(form.model_dump(exclude={"csrf_token"}))
    try:
        await user_admin.create_user(admin_desk(request, session, viewer.actor), body)
    except AppError as refusal:
        m = await messages_for(session, viewer.username)
        typed = form.model_dump(exclude={"password", "csrf_token"})
        shown = {"typed": typed, **_refusal(m, refusal)}
        return await _list_page(request, session, viewer, m, UserQuery(), refusal.status_code, **shown)
    return RedirectResponse(f"/admin/users/{body.username}?done=create", status_code=303)


@router.get("/users/{username}")
async def user_page(
    username: Username,
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if refused := await _forbidden(request, session, viewer):
        return refused
    user = await user_admin.get_user(session, username)
    m = await messages_for(session, viewer.username)
    notice_key = f"users.done.{done}"
    notice = m.t(notice_key) if done and notice_key in MESSAGES else None
    return await _user_page(request, session, viewer, m, user, notice=notice)


async def _change(
    request: Request, session: SessionDep, viewer: Viewer, username: str, action: str, change: Any
) -> Response:
    """Run one service change; on a refusal the user's page again, the words beside the input."""
    if refused := await _forbidden(request, session, viewer):
        return refused
    try:
        await change(admin_desk(request, session, viewer.actor))
    except AppError as refusal:
        user = await user_admin.get_user(session, username)  # an unknown user: the 404 page
        m = await messages_for(session, viewer.username)
        return await _user_page(request, session, viewer, m, user, refusal.status_code, **_refusal(m, refusal))
    return RedirectResponse(f"/admin/users/{username}?done={action}", status_code=303)


@router.post("/users/{username}/roles", dependencies=[Csrf])
async def set_roles(
    username: Username, request: Request, form: Annotated[RolesForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    return await _change(
        request, session, viewer, username, "set_roles", lambda desk: user_admin.set_roles(desk, username, form.roles)
    )


@router.post("/users/{username}/unit", dependencies=[Csrf])
async def set_unit(
    username: Username, request: Request, form: Annotated[UnitForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    return await _change(
        request, session, viewer, username, "set_unit", lambda desk: user_admin.set_unit(desk, username, form.unit)
    )


@router.post("/users/{username}/active", dependencies=[Csrf])
async def set_active(
    username: Username, request: Request, form: Annotated[ActiveForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    action = "enable" if form.active else "disable"
    return await _change(
        request, session, viewer, username, action, lambda desk: user_admin.set_active(desk, username, form.active)
    )


@router.post("/users/{username}/password", dependencies=[Csrf])
async def reset_password(
    username: Username, request: Request, form: Annotated[PasswordForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    return await _change(
        request,
        session,
        viewer,
        username,
        "reset_password",
        lambda desk: user_admin.reset_password(desk, username, form.password),
    )


@router.get("/units")
async def units_page(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    if refused := await _forbidden(request, session, viewer):
        return refused
    m = await messages_for(session, viewer.username)
    units = await user_admin.list_units(session)
    return render(request, "admin_units.html", m, viewer=viewer, units=units)
