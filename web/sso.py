"""Single sign-on by OpenID Connect (issue 24 §4a), beside the password sign-in: `/login/oidc` sends
the browser to the provider; `/login/oidc/callback` verifies its answer (api/services/oidc.py), finds
the local user (api/services/sso_identities.py, rule in domain/sso.py) and opens the same server-side
session the password sign-in opens (web/session.py). Off — both addresses 404 — while OIDC_ISSUER is unset.

A refusal is the sign-in page with the reason in words (never the provider's text), status 403, and
nothing written; every refusal and every sign-in is logged with the identity it concerned."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import SessionDep, SettingsDep
from api.errors import NotFound
from api.services.oidc import ProviderUnreachable, SsoRefused, begin, finish
from api.services.sso_identities import user_for_identity
from settings import Settings
from web.i18n import Messages
from web.render import render
from web.session import _cookie, cookie_name, sign_in

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

FLOW_COOKIE = "cw_oidc"  # the secret of the sign-in under way (api/services/oidc.py FlowSecrets)
FLOW_SECONDS = 10 * 60  # time to sign in at the provider
OFF = "single sign-on is not configured (OIDC_ISSUER)"


def _enabled(settings: Settings) -> None:
    if not settings.sso_enabled:
        raise NotFound(OFF)


def _sign_in_page(request: Request, status: int, key: str) -> Response:
    m = Messages(None)
    return render(request, "login.html", m, status, error=m.t(key))


@router.get("/login/oidc")
async def sso_start(request: Request, settings: SettingsDep) -> Response:
    _enabled(settings)
    try:
        url, secret = await begin(settings)
    except SsoRefused as refused:
        log.warning("single sign-on not started: %s", refused)
        return _sign_in_page(request, 403, f"sso.refused.{refused.reason}")
    except ProviderUnreachable as failed:
        log.warning("single sign-on not started, provider unreachable: %s", failed)
        return _sign_in_page(request, 503, "sso.unreachable")
    response = RedirectResponse(url, status_code=303)
    _cookie(response, settings, FLOW_COOKIE, secret, FLOW_SECONDS)
    return response


@router.get("/login/oidc/callback")
async def sso_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    iss: Annotated[str | None, Query(max_length=300)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """One use: the flow's cookie is dropped whatever the outcome."""
    _enabled(settings)
    answer = {"code": code, "state": state, "iss": iss, "error": error}
    params = {name: value for name, value in answer.items() if value is not None}
    response: Response
    try:
        claims = await finish(settings, request.cookies.get(cookie_name(settings, FLOW_COOKIE)), params)
        user = await user_for_identity(session, settings, claims)
    except SsoRefused as refused:
        log.warning("single sign-on refused: %s", refused)
        response = _sign_in_page(request, 403, f"sso.refused.{refused.reason}")
    except ProviderUnreachable as failed:
        log.warning("single sign-on failed, provider unreachable: %s", failed)
        response = _sign_in_page(request, 503, "sso.unreachable")
    else:
        log.info("single sign-on: %s as %s of %s", user.username, claims["sub"], settings.oidc_issuer)
        response = RedirectResponse("/", status_code=303)
        await sign_in(session, request, response, settings, user.username)
    secure = bool(settings.web_cookie_secure)
    response.delete_cookie(cookie_name(settings, FLOW_COOKIE), path="/", httponly=True, samesite="lax", secure=secure)
    return response
