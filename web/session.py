"""Signed-in by cookie, for the web pages only (issue 23).

The session cookie holds a JWT (api/security.py) signed with a key derived from `JWT_SECRET` for
this purpose alone: it is not a bearer token, and /api/v1 reads only the Authorization header, so
the cookie never authenticates an API call and the API needs no CSRF protection. It is HttpOnly,
SameSite=Lax and Secure when `web_cookie_secure` says so. A user disabled, or whose password was
reset, is refused as the API refuses their tokens (api/deps.py ActorCache, KnownUser).

CSRF: every browser gets a random nonce in an HttpOnly cookie, renewed at sign-in and sign-out;
every form carries HMAC(key, nonce), and `require_csrf` — the one check, a dependency of every
POST — refuses a request without it with 403 before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from api.deps import ActorCache, SessionDep
from api.security import create_token, token_claims
from api.visibility import Viewer, viewer_for
from settings import Settings

SESSION_COOKIE = "cw_session"
CSRF_COOKIE = "cw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SignInNeeded(Exception):
    """No valid session: the page answers with the sign-in page."""


class CsrfRefused(Exception):
    """A POST without the form's token: 403, nothing done."""


def _key(settings: Settings, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}|{settings.jwt_secret}".encode()).digest()


def _session_secret(settings: Settings) -> str:
    return _key(settings, "web-session").hex()


def csrf_token(settings: Settings, nonce: str) -> str:
    return hmac.new(_key(settings, "web-csrf"), nonce.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def _cookie(response: Response, settings: Settings, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=settings.web_cookie_secure, path="/"
    )


def sign_in(response: Response, settings: Settings, username: str) -> None:
    """The session cookie, and a fresh CSRF nonce (a token seen before sign-in is worth nothing after)."""
    token = create_token(username, _session_secret(settings), settings.jwt_minutes)
    _cookie(response, settings, SESSION_COOKIE, token, settings.jwt_minutes * 60)
    _cookie(response, settings, CSRF_COOKIE, new_nonce())


def sign_out(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.web_cookie_secure)
    _cookie(response, settings, CSRF_COOKIE, new_nonce())


def nonce_of(request: Request) -> str | None:
    return request.cookies.get(CSRF_COOKIE)


def keep_nonce(request: Request, response: Response, settings: Settings, nonce: str) -> None:
    """A page that shows a form sets the nonce its token was made from, if the browser lacks it."""
    if request.cookies.get(CSRF_COOKIE) != nonce:
        _cookie(response, settings, CSRF_COOKIE, nonce)


async def require_csrf(request: Request) -> None:
    settings: Settings = request.app.state.settings
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not nonce or not sent or not hmac.compare_digest(sent, csrf_token(settings, nonce)):
        raise CsrfRefused()


async def current_viewer(request: Request, session: SessionDep) -> Viewer:
    """The signed-in user of this browser, as the API's visibility rules see them."""
    settings: Settings = request.app.state.settings
    token = request.cookies.get(SESSION_COOKIE)
    signed = token_claims(token, _session_secret(settings)) if token else None
    if signed is None:
        raise SignInNeeded()
    username, issued_at = signed
    cache: ActorCache = request.app.state.actors
    user = await cache.get(session, username)
    if user is None or not user.accepts(issued_at):
        raise SignInNeeded()
    return await viewer_for(session, user.actor)


WebViewer = Annotated[Viewer, Depends(current_viewer)]
Csrf = Depends(require_csrf)
