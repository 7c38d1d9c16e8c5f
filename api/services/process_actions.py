"""What an applicant (or a supervisor) does to a whole process: withdraw it, urge its holders.
POST /api/v1/processes/{id}/withdraw and /urge and the applicant's case page (web/apply_cases.py)
call these; who may is the workflow's own check (its update validators), reached the one way the
API reaches workflows (api/gateway.py)."""

from __future__ import annotations

import uuid
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.gateway import get_process, handle_for, send_update
from api.visibility import Viewer
from domain.models import ProcessView, UrgeRequest, WithdrawRequest

T = TypeVar("T", bound=BaseModel)


async def withdraw_process(
    session: AsyncSession, temporal: Client, viewer: Viewer, process_id: str, reason: str
) -> ProcessView:
    """The applicant withdraws an open application; its open task is cancelled."""
    process = await get_process(session, viewer, process_id)
    return await send_update(
        handle_for(temporal, process),
        "withdraw",
        WithdrawRequest(actor=viewer.actor, reason=reason),
        result_type=ProcessView,
    )


async def urge_process(
    session: AsyncSession,
    temporal: Client,
    viewer: Viewer,
    process_id: str,
    comment: str | None,
    idempotency_key: str | None,
    result_type: type[T],
) -> T:
    """催办: nudge the current holders (a notification, recorded in the history). The applicant or a
    supervisor; at most once per the chain's interval (409 inside it)."""
    process = await get_process(session, viewer, process_id)
    return await send_update(
        handle_for(temporal, process),
        "urge",
        UrgeRequest(actor=viewer.actor, comment=comment),
        update_id=f"urge:{process_id}:{viewer.username}:{idempotency_key or uuid.uuid4().hex}",
        result_type=result_type,
    )
