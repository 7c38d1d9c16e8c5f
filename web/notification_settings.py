"""Notification settings (issue 23 "Admins: notification settings", issue 24 §4): `/settings/notifications`
shows a user's e-mail address and the kinds of mail they take, and saves them (POST, CSRF) through
the same service as PUT /api/v1/users/{username}/mail (api/services/mail_settings.py: who may, the
bounds of the address, the log line). Everyone manages their own; an administrator opens anyone's
with `?user=` and sees the list of users who have mail settings. Anyone else naming another user
gets the 403 page, before the user is looked up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from api.deps import SessionDep
from api.services.mail_settings import (
    KINDS,
    MailSettingsIn,
    MailSettingsOut,
    mail_settings_of_everyone,
    mail_subject,
    read_mail_settings,
    set_mail_settings,
)
from api.visibility import Viewer
from domain.mail import EMAIL_MAX
from domain.roles import Role
from domain.text import StoredText, Username
from web.forms import CsrfField
from web.i18n import Messages
from web.pages import go
from web.render import messages_for, render
from web.session import Csrf, WebViewer

router = APIRouter(prefix="/settings/notifications", include_in_schema=False, default_response_class=HTMLResponse)
PAGE = "/settings/notifications"


class MailSettingsForm(BaseModel):
    """As PUT /api/v1/users/{username}/mail: an unticked box is not sent, so it reads as false."""

    username: Username
    email: StoredText = Field(default="", max_length=EMAIL_MAX)  # mail_preferences.email; empty: no mail
    task: bool = False
    reminder: bool = False
    escalation: bool = False
    decision: bool = False
    csrf_token: str = CsrfField

    def kinds(self) -> dict[str, bool]:
        return self.model_dump(include=set(KINDS))

    def settings(self) -> MailSettingsIn:
        """The API's body; an address the API would refuse raises ValidationError."""
        return MailSettingsIn(email=self.email.strip() or None, **self.kinds())


async def _page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    m: Messages,
    shown: MailSettingsOut,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    admin = viewer.actor.has(Role.admin)
    return render(
        request,
        "notification_settings.html",
        m,
        status,
        viewer=viewer,
        shown=shown,
        kinds=KINDS,
        own=shown.username == viewer.username,
        others=await mail_settings_of_everyone(session, viewer.actor) if admin else None,
        error=error,
        notice=notice,
    )


@router.get("")
async def settings_page(
    request: Request,
    viewer: WebViewer,
    session: SessionDep,
    user: Annotated[str | None, Query(max_length=80)] = None,
    saved: Annotated[bool, Query()] = False,
) -> Response:
    m = await messages_for(session, viewer.username)
    subject = await mail_subject(session, viewer.actor, user or viewer.username)  # 403 / 404 pages
    shown = await read_mail_settings(session, subject)
    return await _page(request, session, viewer, m, shown, notice=m.t("mail.saved") if saved else None)


@router.post("", dependencies=[Csrf])
async def save_settings(
    request: Request, form: Annotated[MailSettingsForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    m = await messages_for(session, viewer.username)
    subject = await mail_subject(session, viewer.actor, form.username)  # before anything is read or written
    try:
        wanted = form.settings()
    except ValidationError:
        # shown back as typed (not validated: it is what was refused), so it can be corrected
        typed: dict[str, Any] = {"username": subject.username, "email": form.email, **form.kinds()}
        unsaved = MailSettingsOut.model_construct(**typed)
        return await _page(request, session, viewer, m, unsaved, 422, error=m.t("mail.invalid_email"))
    await set_mail_settings(session, viewer.actor, subject, wanted)
    query = "" if subject.username == viewer.username else f"user={subject.username}&"
    return go(request, f"{PAGE}?{query}saved=true")
