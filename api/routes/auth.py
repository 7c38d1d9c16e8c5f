"""OAuth2 password flow: a username and password buy a JWT bearer token.

Guessing is slowed per username and per client address (api/login_guard.py: 429 with
Retry-After); an unknown username costs the same Argon2 work as a known one; outside demo mode
demo users and the demo password are refused even if a demo database is present.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import CurrentActor, SessionDep, SettingsDep
from api.schemas import MeOut, TokenOut
from api.security import create_token
from api.services.sign_in import authenticate

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, responses={429: {"description": "too many failed logins"}})
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    client = request.client.host if request.client else "unknown"
    user = await authenticate(session, settings, request.app.state.passwords, form.username, form.password, client)
    return TokenOut(access_token=create_token(user.username, settings.jwt_secret, settings.jwt_minutes))


@router.get("/me", response_model=MeOut)
async def me(actor: CurrentActor) -> MeOut:
    return MeOut(username=actor.username, full_name=actor.full_name, roles=list(actor.roles), unit=actor.unit)
