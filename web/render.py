"""Templates and the context every page shares: the user's words (web/i18n.py), the CSRF token, and
the headers every page carries: no caching of a signed-in page, no framing, scripts of this site only."""

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
from web.session import csrf_binding, csrf_token, keep_nonce, new_nonce, nonce_of

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# htmx (web/static/vendor) is a script file of this site and needs no inline script or eval.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
}


async def messages_for(session: AsyncSession, username: str) -> Messages:
    """The user's chosen language (users.locale), Chinese when they chose none."""
    return Messages(await session.scalar(select(User.locale).where(User.username == username)))


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(request: Request, name: str, m: Messages, status: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    nonce = nonce_of(request) or new_nonce()
    binding = csrf_binding(request)
    values = {"m": m, "csrf": csrf_token(settings, binding, nonce) if binding else "", **context}
    response = templates.TemplateResponse(request, name, values, status_code=status, headers=PAGE_HEADERS)
    keep_nonce(request, response, settings, nonce)
    return response


def error_page(request: Request, m: Messages, status: int, message: str) -> HTMLResponse:
    """A refusal as a page in words; to htmx, the words alone, swapped into the page's alert area
    (`#form-error` in base.html) so the form stays where it was."""
    if not is_htmx(request):
        return render(request, "error.html", m, status, message=message)
    swap = {"HX-Retarget": "#form-error", "HX-Reswap": "innerHTML"}
    response = render(request, "_error.html", m, status, message=message)
    response.headers.update(swap)
    return response
