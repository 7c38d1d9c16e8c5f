"""The bell (issue 23 "Everyone"): the unread count in every page's header, the latest
notifications with the unread ones marked, and marking them read — over api/services/notifications.py,
which reads only what api/visibility lets the user read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.services.notifications import latest, mark_read, unread_count
from web.forms import CsrfField
from web.pages import go
from web.render import messages_for, render
from web.session import Csrf, WebViewer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


class MarkReadForm(BaseModel):
    """One notification (notifications.id), or every unread one when absent."""

    notification_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    csrf_token: str = CsrfField


@router.get("/notifications/bell")
async def bell(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    """The header's bell with the unread count (loaded by htmx into every page)."""
    m = await messages_for(session, viewer.username)
    return render(request, "_bell.html", m, unread=await unread_count(session, viewer))


@router.get("/notifications")
async def notifications(request: Request, viewer: WebViewer, session: SessionDep) -> Response:
    m = await messages_for(session, viewer.username)
    lines, unread = await latest(session, viewer), await unread_count(session, viewer)
    return render(request, "notifications.html", m, viewer=viewer, lines=lines, unread=unread)


@router.post("/notifications/read", dependencies=[Csrf])
async def read(
    request: Request, form: Annotated[MarkReadForm, Form()], viewer: WebViewer, session: SessionDep
) -> Response:
    ids = None if form.notification_id is None else [form.notification_id]
    await mark_read(session, viewer, ids)
    return go(request, "/notifications")
