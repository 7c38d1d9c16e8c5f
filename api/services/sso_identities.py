"""The local user a verified single sign-on opens (issue 24 §4a), by the rule of domain/sso.py:
a linked (issuer, subject) opens its user; a first sign-in links the user its username claim names,
unless that user holds a privileged role."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.services.oidc import SsoRefused
from db.models import User, UserIdentity
from domain.sso import Refusal, account_open, first_sign_in_username, may_link_at_first_sign_in
from settings import Settings

SUBJECT_MAX = 255  # user_identities.subject (OIDC Core §2)


async def _linked(session: AsyncSession, issuer: str, subject: str) -> tuple[UserIdentity, User] | None:
    found = await session.execute(
        select(UserIdentity, User)
        .join(User, User.id == UserIdentity.user_id)
        .where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    )
    row = found.first()
    return (row[0], row[1]) if row else None


async def _claimed_user(session: AsyncSession, settings: Settings, claims: Mapping[str, object]) -> User:
    """The user an unlinked identity's username claim names, if no other identity of this provider holds them."""
    username = first_sign_in_username(claims, settings.oidc_username_claim)
    user = await session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        raise SsoRefused(Refusal.UNKNOWN, f"no local user for claim {settings.oidc_username_claim}={username!r}")
    other = await session.scalar(
        select(UserIdentity.subject).where(UserIdentity.issuer == settings.oidc_issuer, UserIdentity.user_id == user.id)
    )
    if other is not None:
        raise SsoRefused(Refusal.TAKEN, f"{user.username} is linked to another subject of this provider")
    if not may_link_at_first_sign_in(role.role for role in user.roles):
        raise SsoRefused(Refusal.PRIVILEGED, f"{user.username} holds a privileged role: not linked by a claim")
    return user


async def user_for_identity(session: AsyncSession, settings: Settings, claims: Mapping[str, object]) -> User:
    """The local user these verified claims open, the link made or its sign-in time updated (flushed, not
    committed); `SsoRefused` — and nothing written — for an unknown identity, a privileged user's first
    sign-in or a closed account. Call it first in a transaction: a first link that loses a race to the
    same identity's other sign-in rolls the session back (and opens the user that sign-in linked)."""
    issuer, subject = str(settings.oidc_issuer), str(claims["sub"])
    if len(subject) > SUBJECT_MAX:
        raise SsoRefused(Refusal.PROVIDER, "subject longer than OIDC Core §2 allows")
    now = datetime.now(UTC)
    linked = await _linked(session, issuer, subject)
    user = linked[1] if linked else await _claimed_user(session, settings, claims)
    if not account_open(user.is_active, user.is_demo, settings.demo_mode):
        raise SsoRefused(Refusal.CLOSED, f"{user.username} may not sign in")
    if linked:
        linked[0].last_sign_in_at = now
        await session.flush()
        return user
    user_id, username = user.id, user.username  # the rollback below expires `user`
    session.add(UserIdentity(issuer=issuer, subject=subject, user_id=user_id, linked_at=now, last_sign_in_at=now))
    try:
        await session.flush()
    except IntegrityError:
        # The same identity's other first sign-in (another tab, a double click) linked it a moment ago.
        # Nothing but this link was written in the transaction (the callback starts with it), so it is
        # rolled back whole; the link the other made opens its user, any other conflict is refused.
        await session.rollback()
        made = await _linked(session, issuer, subject)
        if made is None or made[1].id != user_id:
            raise SsoRefused(Refusal.TAKEN, f"{username} was linked by a concurrent sign-in") from None
        return made[1]
    return user


async def identities_of(session: AsyncSession, user_id: int) -> list[UserIdentity]:
    """The provider identities that open this user, oldest link first."""
    found = await session.scalars(
        select(UserIdentity).where(UserIdentity.user_id == user_id).order_by(UserIdentity.linked_at, UserIdentity.id)
    )
    return list(found)
