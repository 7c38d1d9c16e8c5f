"""E-mail notification settings (issue 24 §4): `me` (or one's own username) for everyone, any user
for administrators; 403 for anyone else (api/services/mail_settings.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentActor, SessionDep
from api.services.mail_settings import (
    MailSettingsIn,
    MailSettingsOut,
    mail_subject,
    read_mail_settings,
    set_mail_settings,
)

router = APIRouter(prefix="/users", tags=["user administration"])
Username = Annotated[str, Path(max_length=80, description="`me`, or (administrators) any username")]


@router.get("/{username}/mail", response_model=MailSettingsOut, summary="A user's e-mail notification settings")
async def get_mail_settings(username: Username, actor: CurrentActor, session: SessionDep) -> MailSettingsOut:
    return await read_mail_settings(session, await mail_subject(session, actor, username))


@router.put("/{username}/mail", response_model=MailSettingsOut, summary="Set a user's e-mail address and opt-outs")
async def put_mail_settings(
    username: Username, body: MailSettingsIn, actor: CurrentActor, session: SessionDep
) -> MailSettingsOut:
    """The address mails go to (none: no mail) and which kinds the user takes; logged in the user
    administration log (`set_mail`)."""
    return await set_mail_settings(session, actor, await mail_subject(session, actor, username), body)
