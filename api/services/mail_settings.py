"""A user's e-mail notification settings (issue 24 §4, issue 23 "Admins: notification settings"):
the address and the kinds of mail they take (domain/mail.py MailKind). One service for the API
(`/api/v1/users/{username}/mail`) and the settings page (web/notification_settings.py).

Reading chosen for who may: a user reads and sets their own; an administrator anyone's (as the
out-of-office entries). Anyone else is refused (403) before the user is looked up, so a username
cannot be probed; an administrator naming an unknown user gets 404. Every change is a line of the
user administration log (`admin_audit`, action `set_mail`): who changed whose settings, before and
after.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Forbidden, NotFound
from db.models import AdminAudit, MailPreference, User
from domain.china_time import ChinaTime
from domain.examples import examples
from domain.mail import EMAIL_MAX, EMAIL_PATTERN, MailKind
from domain.models import Actor
from domain.roles import Role

KINDS = [kind.value for kind in MailKind]


class MailSettingsIn(BaseModel):
    model_config = examples(
        {"email": "zhang.wei@example.cn", "task": True, "reminder": True, "escalation": True, "decision": False}
    )

    email: str | None = Field(default=None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN, description="none: no mail")
    task: bool = True  # a task waiting for the user
    reminder: bool = True  # reminders and urging (催办)
    escalation: bool = True  # overdue steps escalated to the user (督办)
    decision: bool = True  # a decision on the user's own application


class MailSettingsOut(MailSettingsIn):
    username: str
    updated_at: ChinaTime | None = None
    updated_by: str | None = None


def may_manage(actor: Actor, username: str) -> bool:
    return username == actor.username or actor.has(Role.admin)


async def mail_subject(session: AsyncSession, actor: Actor, username: str) -> User:
    """The user whose settings are read or set: `me` or oneself, anyone for administrators."""
    wanted = actor.username if username == "me" else username
    if not may_manage(actor, wanted):
        raise Forbidden("only administrators manage another user's mail settings")
    user = await session.scalar(select(User).where(User.username == wanted))
    if user is None:
        raise NotFound(f"user {wanted} not found")
    return user


def _out(user: User, row: MailPreference | None) -> MailSettingsOut:
    if row is None:
        return MailSettingsOut(username=user.username)
    chosen = {kind: getattr(row, kind) for kind in KINDS}
    return MailSettingsOut(
        username=user.username, email=row.email, updated_at=row.updated_at, updated_by=row.updated_by, **chosen
    )


async def read_mail_settings(session: AsyncSession, user: User) -> MailSettingsOut:
    return _out(user, await session.get(MailPreference, user.id))


def _logged(settings: MailSettingsOut) -> dict[str, Any]:
    return settings.model_dump(mode="json", exclude={"updated_at", "updated_by"})


async def set_mail_settings(session: AsyncSession, actor: Actor, user: User, body: MailSettingsIn) -> MailSettingsOut:
    row = await session.get(MailPreference, user.id)
    before = _logged(_out(user, row))
    now = datetime.now(UTC)
    if row is None:
        row = MailPreference(user_id=user.id)
        session.add(row)
    for field, value in body.model_dump().items():
        setattr(row, field, value)
    row.updated_at, row.updated_by = now, actor.username
    await session.flush()
    after = _out(user, row)
    entry = AdminAudit(actor=actor.username, at=now, action="set_mail", target=user.username)
    entry.before, entry.after = before, _logged(after)
    session.add(entry)
    await session.flush()
    return after


async def mail_settings_of_everyone(session: AsyncSession, actor: Actor, limit: int = 500) -> list[MailSettingsOut]:
    """Administrators: every user who has mail settings, by username (the settings page's list)."""
    if not actor.has(Role.admin):
        raise Forbidden("only administrators read other users' mail settings")
    rows = await session.execute(
        select(User, MailPreference)
        .join(MailPreference, MailPreference.user_id == User.id)
        .order_by(User.username)
        .limit(limit)
    )
    return [_out(user, row) for user, row in rows.tuples().all()]
