"""Signed-in by cookie, for the web pages only (issue 23).

A sign-in is a row of `web_sessions` (db/models/web_sessions.py); the cookie holds a random secret
whose SHA-256 is the row's id. Sign-out ends the row, so a copied cookie opens nothing afterwards;
so does a cookie older than `jwt_minutes`, one of a user disabled since, or one from before their
password was reset (as the API refuses their tokens: api/deps.py ActorCache, KnownUser). The
cookie is no bearer token and /api/v1 reads only the Authorization header, so the cookie never
authenticates an API call and the API needs no CSRF protection.

Cookies are HttpOnly, SameSite=Lax, path `/`; when `web_cookie_secure` is on (the default outside
demo mode) they are Secure and named with the `__Host-` prefix (no Domain: this host only), and in
demo mode over plain http they keep the plain names `cw_session`, `cw_csrf`.

CSRF: every browser gets a random nonce in an HttpOnly cookie, renewed at sign-in and sign-out;
every form carries HMAC(key, session id | nonce) — bound to this sign-in, so a token and nonce
taken from another browser are worth nothing here. Before sign-in (the /login form alone) the
token is bound to the nonce only. `require_csrf`, a dependency of every POST, refuses a request
without the right token with 403 before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ActorCache, SessionDep
from api.observe import note_actor
from api.visibility import Viewer, viewer_for
from db.models import User, WebSession
from settings import Settings

SESSION_COOKIE = "cw_session"
CSRF_COOKIE = "cw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/login"
PRE_SESSION = "pre-session"
SEEN_EVERY = timedelta(minutes=1)  # `last_seen_at` is written at most this often per session


class SignInNeeded(Exception):
    """No valid session: the page answers with the sign-in page."""


class CsrfRefused(Exception):
    """A POST without the form's token: 403, nothing done."""


def cookie_name(settings: Settings, name: str) -> str:
    """`__Host-<name>` for a Secure cookie (the browser then refuses it a Domain or another path)."""
    return f"__Host-{name}" if settings.web_cookie_secure else name


def _key(settings: Settings, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}|{settings.jwt_secret}".encode()).digest()


def _session_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_id_of(request: Request) -> str | None:
    """The `web_sessions` id this browser's cookie names (whether or not that session is valid)."""
    secret = request.cookies.get(cookie_name(request.app.state.settings, SESSION_COOKIE))
    return _session_id(secret) if secret else None


def csrf_binding(request: Request) -> str | None:
    """What a form's token is bound to: the session, or before sign-in (the /login form) the nonce alone."""
    return PRE_SESSION if request.url.path == LOGIN_PATH else session_id_of(request)


def csrf_token(settings: Settings, binding: str, nonce: str) -> str:
    return hmac.new(_key(settings, "web-csrf"), f"{binding}|{nonce}".encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def _cookie(response: Response, settings: Settings, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        cookie_name(settings, name),
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=bool(settings.web_cookie_secure),
        path="/",
    )


async def _end(session: AsyncSession, request: Request) -> None:
    """The session this browser's cookie names ends now (if it was still open)."""
    session_id = session_id_of(request)
    if session_id is not None:
        ended = update(WebSession).where(WebSession.id == session_id, WebSession.ended_at.is_(None))
        await session.execute(ended.values(ended_at=datetime.now(UTC)))


async def sign_in(
    session: AsyncSession, request: Request, response: Response, settings: Settings, username: str
) -> None:
    """A new session row and its cookie (the browser's earlier session, if any, ends), and a fresh
    CSRF nonce (a token seen before sign-in is worth nothing after)."""
    await _end(session, request)
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(WebSession(id=_session_id(secret), username=username, created_at=now, last_seen_at=now))
    await session.flush()
    _cookie(response, settings, SESSION_COOKIE, secret, settings.jwt_minutes * 60)
    _cookie(response, settings, CSRF_COOKIE, new_nonce())


async def sign_out(session: AsyncSession, request: Request, response: Response, settings: Settings) -> None:
    """The session ends server-side (a copy of the cookie is refused from now on), then in this browser."""
    await _end(session, request)
    response.delete_cookie(
        cookie_name(settings, SESSION_COOKIE),
        path="/",
        httponly=True,
        samesite="lax",
        secure=bool(settings.web_cookie_secure),
    )
    _cookie(response, settings, CSRF_COOKIE, new_nonce())


def nonce_of(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request.app.state.settings, CSRF_COOKIE))


def keep_nonce(request: Request, response: Response, settings: Settings, nonce: str) -> None:
    """A page that shows a form sets the nonce its token was made from, if the browser lacks it."""
    if nonce_of(request) != nonce:
        _cookie(response, settings, CSRF_COOKIE, nonce)


async def require_csrf(request: Request) -> None:
    settings: Settings = request.app.state.settings
    nonce, binding = nonce_of(request), csrf_binding(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not nonce or not binding or not sent or not hmac.compare_digest(sent, csrf_token(settings, binding, nonce)):
        raise CsrfRefused()


async def live_session(session: AsyncSession, request: Request) -> WebSession | None:
    """This browser's session if it is still open: not ended, not older than `jwt_minutes`."""
    session_id = session_id_of(request)
    row = await session.get(WebSession, session_id) if session_id else None
    settings: Settings = request.app.state.settings
    now = datetime.now(UTC)
    if row is None or row.ended_at is not None or row.created_at + timedelta(minutes=settings.jwt_minutes) < now:
        return None
    if now - row.last_seen_at > SEEN_EVERY:
        row.last_seen_at = now
    return row


async def current_viewer(request: Request, session: SessionDep) -> Viewer:
    """The signed-in user of this browser, as the API's visibility rules see them."""
    row = await live_session(session, request)
    if row is None:
        raise SignInNeeded()
    cache: ActorCache = request.app.state.actors
    user = await cache.get(session, row.username)
    if user is None or not user.accepts(row.created_at):
        raise SignInNeeded()
    note_actor(row.username)  # the request's log lines name its user
    return await viewer_for(session, user.actor)


WebViewer = Annotated[Viewer, Depends(current_viewer)]
Csrf = Depends(require_csrf)


async def language_of(request: Request) -> str | None:
    """The language of this browser's user (users.locale) for a page made outside a route (an error
    handler): None — the default — without a live session."""
    async with request.app.state.sessions() as session:
        row = await live_session(session, request)
        return await session.scalar(select(User.locale).where(User.username == row.username)) if row else None
