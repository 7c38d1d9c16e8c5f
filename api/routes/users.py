"""Users as the engine needs them: looking one up as an actor, and out-of-office deputies.

While an out-of-office range runs, the engine gives the tasks it opens for that user to the
deputy, and the deputy's decisions are recorded "on behalf of" the user. A range ends by itself
at `ends_at`; cancelling it earlier sets `cancelled_at` (rows are never deleted: auditors see who
stood in for whom).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, SessionDep
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.params import RowId
from db.models import OutOfOffice, User
from domain.china_time import ChinaTime, china_iso
from domain.examples import examples
from domain.models import Actor
from domain.roles import Role
from domain.text import Moment, StoredText

router = APIRouter(prefix="/users", tags=["users"])

Username = Annotated[str, Path(max_length=80, description="`me`, or (administrators) any username")]


class OutOfOfficeIn(BaseModel):
    model_config = examples(
        {
            "deputy": "marketing_manager",
            "starts_at": "2030-06-10T09:00:00+08:00",
            "ends_at": "2030-06-14T17:30:00+08:00",
            "reason": "赴北京参加培训",
        }
    )

    deputy: StoredText = Field(min_length=1, max_length=80, description="username of the stand-in")
    starts_at: Moment
    ends_at: Moment
    reason: StoredText = Field(default="", max_length=500)


class OutOfOfficeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    deputy: str
    starts_at: ChinaTime
    ends_at: ChinaTime
    reason: str
    created_at: ChinaTime
    cancelled_at: ChinaTime | None


async def _subject(session: AsyncSession, actor: Actor, username: str) -> str:
    """`me` is the actor; anyone else only for administrators (404 for an unknown user)."""
    if username in ("me", actor.username):
        return actor.username
    if not actor.has(Role.admin):
        raise Forbidden("only administrators manage another user's out-of-office")
    if await session.scalar(select(User.id).where(User.username == username)) is None:
        raise NotFound(f"user {username} not found")
    return username


def _active(username: str, now: datetime) -> list[ColumnElement[bool]]:
    return [OutOfOffice.username == username, OutOfOffice.cancelled_at.is_(None), OutOfOffice.ends_at > now]


@router.put("/{username}/out-of-office", response_model=OutOfOfficeOut, status_code=status.HTTP_201_CREATED)
async def set_out_of_office(
    username: Username, body: OutOfOfficeIn, actor: CurrentActor, session: SessionDep, response: Response
) -> OutOfOffice:
    """Name a deputy for a date range. The same range again answers the existing entry (200); a
    range overlapping another one of the same user is refused (409: cancel that one first)."""
    subject = await _subject(session, actor, username)
    now = datetime.now(UTC)
    problems = []
    if body.ends_at <= body.starts_at:
        problems.append("ends_at must be after starts_at")
    if body.ends_at <= now:
        problems.append("ends_at is in the past")
    if body.deputy == subject:
        problems.append("the deputy must be someone else")
    deputy = await session.scalar(select(User).where(User.username == body.deputy))
    if deputy is None or not deputy.is_active:
        problems.append(f"unknown or inactive user {body.deputy}")
    if problems:
        raise Invalid(problems)
    overlapping = list(
        await session.scalars(
            select(OutOfOffice)
            .where(*_active(subject, now), OutOfOffice.starts_at < body.ends_at, OutOfOffice.ends_at > body.starts_at)
            .order_by(OutOfOffice.starts_at)
        )
    )
    for entry in overlapping:
        same = (entry.deputy, entry.starts_at, entry.ends_at, entry.reason) == (
            body.deputy,
            body.starts_at,
            body.ends_at,
            body.reason,
        )
        if same:
            response.status_code = status.HTTP_200_OK
            return entry
    if overlapping:
        first = overlapping[0]
        raise Conflict(
            f"overlaps out-of-office #{first.id} ({china_iso(first.starts_at)} to {china_iso(first.ends_at)}, "
            f"deputy {first.deputy}); cancel it first"
        )
    entry = OutOfOffice(
        username=subject,
        deputy=body.deputy,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        reason=body.reason,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


@router.get("/{username}/out-of-office", response_model=list[OutOfOfficeOut])
async def list_out_of_office(username: Username, actor: CurrentActor, session: SessionDep) -> list[OutOfOffice]:
    """The current and future ranges (not cancelled), soonest first."""
    subject = await _subject(session, actor, username)
    rows = await session.scalars(
        select(OutOfOffice).where(*_active(subject, datetime.now(UTC))).order_by(OutOfOffice.starts_at)
    )
    return list(rows)


@router.delete("/{username}/out-of-office/{entry_id}", response_model=OutOfOfficeOut)
async def cancel_out_of_office(
    username: Username, entry_id: RowId, actor: CurrentActor, session: SessionDep
) -> OutOfOffice:
    """Cancel a range (kept with `cancelled_at`); cancelling it again changes nothing. Tasks the
    deputy already received stay with the deputy."""
    subject = await _subject(session, actor, username)
    entry = await session.scalar(select(OutOfOffice).where(OutOfOffice.id == entry_id, OutOfOffice.username == subject))
    if entry is None:
        raise NotFound(f"out-of-office {entry_id} of {subject} not found")
    if entry.cancelled_at is None:
        entry.cancelled_at = datetime.now(UTC)
        await session.flush()
    return entry
