"""OAuth2 password flow: a username and password buy a JWT bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.deps import CurrentActor, SessionDep, SettingsDep
from api.errors import Unauthorized
from api.schemas import MeOut, TokenOut
from api.security import create_token, verify_password
from db.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> TokenOut:
    user = await session.scalar(select(User).where(User.username == form.username))
    if user is None or not user.is_active or not verify_password(form.password, user.password_hash):
        raise Unauthorized("wrong username or password")
    return TokenOut(access_token=create_token(user.username, settings.jwt_secret, settings.jwt_minutes))


@router.get("/me", response_model=MeOut)
async def me(actor: CurrentActor) -> MeOut:
    return MeOut(username=actor.username, full_name=actor.full_name, roles=list(actor.roles), unit=actor.unit)
