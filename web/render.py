"""Templates and the context every page shares: the user's words (web/i18n.py), the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from web.i18n import Messages
from web.session import csrf_token, keep_nonce, new_nonce, nonce_of

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


async def messages_for(session: AsyncSession, username: str) -> Messages:
    """The user's chosen language (users.locale), Chinese when they chose none."""
    return Messages(await session.scalar(select(User.locale).where(User.username == username)))


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(request: Request, name: str, m: Messages, status: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    nonce = nonce_of(request) or new_nonce()
    values = {"m": m, "csrf": csrf_token(settings, nonce), **context}
    response = templates.TemplateResponse(request, name, values, status_code=status)
    keep_nonce(request, response, settings, nonce)
    return response
