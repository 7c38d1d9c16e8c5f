"""Notifications addressed to me, or to a role I hold about a process I may read (the embedded
channel of record; the rule is in api/visibility/)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.deps import CurrentActor, SessionDep
from api.visibility import notification_readable
from db.models import Notification
from domain.china_time import ChinaTime

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    process_id: str | None
    recipient_role: str | None
    recipient: str | None
    kind: str
    subject: str
    body: str
    channels: str
    created_at: ChinaTime


@router.get("", response_model=list[NotificationOut])
async def my_notifications(
    actor: CurrentActor,
    session: SessionDep,
    process_id: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Notification]:
    query = select(Notification).where(notification_readable(actor))
    if process_id:
        query = query.where(Notification.process_id == process_id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit)))
