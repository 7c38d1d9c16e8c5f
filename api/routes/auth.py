"""OAuth2 password flow: a username and password buy a JWT bearer token.

Guessing is slowed per username and per client address (api/login_guard.py: 429 with
Retry-After); an unknown username costs the same Argon2 work as a known one; outside demo mode
demo users and the demo password are refused even if a demo database is present.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.deps import CurrentActor, SessionDep, SettingsDep
from api.errors import Unauthorized
from api.login_guard import ADDRESS_MAX, USERNAME_MAX, clear_failures, record_failure, seconds_blocked, storable
from api.schemas import MeOut, TokenOut
from api.security import PasswordWork, create_token
from db.models import User
from settings import DEMO_PASSWORD, Settings

router = APIRouter(prefix="/auth", tags=["auth"])


def may_log_in_here(user: User, password: str, settings: Settings) -> bool:
    """Demo accounts and the well-known demo password work in demo mode only."""
    return user.is_active and (settings.demo_mode or (not user.is_demo and password != DEMO_PASSWORD))


@router.post("/token", response_model=TokenOut, responses={429: {"description": "too many failed logins"}})
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    username = storable(form.username, USERNAME_MAX)
    address = storable(request.client.host if request.client else "unknown", ADDRESS_MAX)
    now = datetime.now(UTC)
    wait = await seconds_blocked(session, username, address, now, settings)
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins for this user or address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    user = None
    if username == form.username:  # a name the database could not even store belongs to nobody
        user = await session.scalar(select(User).where(User.username == username))
    passwords: PasswordWork = request.app.state.passwords
    verified = await passwords.verify(form.password, user.password_hash if user else None)
    if user is None or not verified or not may_log_in_here(user, form.password, settings):
        await record_failure(session, username, address, now, settings)
        await session.commit()  # the failure counts although the answer is an error
        raise Unauthorized("wrong username or password")
    await clear_failures(session, username)
    return TokenOut(access_token=create_token(user.username, settings.jwt_secret, settings.jwt_minutes))


@router.get("/me", response_model=MeOut)
async def me(actor: CurrentActor) -> MeOut:
    return MeOut(username=actor.username, full_name=actor.full_name, roles=list(actor.roles), unit=actor.unit)
