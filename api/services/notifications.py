"""Notifications addressed to a user (by name, or to a role they hold about a process they may
read: api/visibility's `notification_readable`), and which of them the user has read — what
GET /api/v1/notifications lists and what the web workbench's bell counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Exists, Select, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.visibility import Who, notification_readable
from api.visibility.viewer import actor_of
from db.models import Notification, NotificationRead

BELL_PAGE = 50
MARK_CHUNK = 500


def readable(who: Who, process_id: str | None = None, kind: str | None = None) -> Select[Notification]:
    """The notifications `who` may read, newest first, optionally of one process or kind."""
    query = select(Notification).where(notification_readable(who))
    if process_id:
        query = query.where(Notification.process_id == process_id)
    if kind:
        query = query.where(Notification.kind == kind)
    return query.order_by(Notification.id.desc())


def _read_by(username: str) -> Exists:
    return exists().where(NotificationRead.notification_id == Notification.id, NotificationRead.username == username)


async def unread_count(session: AsyncSession, who: Who) -> int:
    username = actor_of(who).username
    query = select(func.count()).select_from(Notification).where(notification_readable(who), ~_read_by(username))
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True)
class Line:
    note: Notification
    read: bool


async def latest(session: AsyncSession, who: Who, limit: int = BELL_PAGE) -> list[Line]:
    """The newest notifications, each with whether this user has read it."""
    username = actor_of(who).username
    rows = await session.execute(readable(who).add_columns(_read_by(username).label("read")).limit(limit))
    return [Line(note, bool(read)) for note, read in rows.tuples()]


async def mark_read(session: AsyncSession, who: Who, ids: Sequence[int] | None = None) -> int:
    """Mark as read the given notifications (all readable unread ones when None) — only those the
    user may read; marking one twice changes nothing. Returns how many were marked."""
    username = actor_of(who).username
    query = select(Notification.id).where(notification_readable(who), ~_read_by(username))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    marked = list(await session.scalars(query))
    if marked:
        now = datetime.now(UTC)
        rows = [{"notification_id": i, "username": username, "read_at": now} for i in marked]
        # a double click, or two tabs at once: the second mark of a notification changes nothing
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(
            NotificationRead
        )
        for start in range(0, len(rows), MARK_CHUNK):  # bound the statement's parameters
            await session.execute(insert.values(rows[start : start + MARK_CHUNK]).on_conflict_do_nothing())
    return len(marked)
