"""Notifications addressed to me, or to a role I hold about a process I may read (the embedded
channel of record; the rule is in api/visibility/)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import CurrentActor, SessionDep
from api.services.notifications import readable
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
    return list(await session.scalars(readable(actor, process_id, kind).limit(limit)))
