"""Processes for auditors and participants: list, detail, history from Temporal, withdraw."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from api.deps import CurrentActor, SessionDep, TemporalDep
from api.gateway import get_process, handle_for, send_update, visible_processes
from api.history import process_history
from api.schemas import HistoryEntry, ProcessDetailOut, ProcessOut, ProcessStateOut, TaskOut
from db.models import Process, Task
from domain.models import ProcessStatus, ProcessView, WithdrawRequest

router = APIRouter(prefix="/processes", tags=["processes"])


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.get("", response_model=list[ProcessOut])
async def list_processes(
    actor: CurrentActor,
    session: SessionDep,
    process_type: str | None = None,
    status: ProcessStatus | None = None,
    customer: Annotated[str | None, Query(description="credit code or part of the customer's name")] = None,
    applicant: str | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Process]:
    query = visible_processes(actor, select(Process))
    if process_type:
        query = query.where(Process.process_type == process_type)
    if status:
        query = query.where(Process.status == status.value)
    if customer:
        query = query.where(or_(Process.subject_key == customer.upper(), Process.subject.contains(customer)))
    if applicant:
        query = query.where(Process.applicant == applicant)
    if started_from:
        query = query.where(Process.started_at >= started_from)
    if started_to:
        query = query.where(Process.started_at <= started_to)
    rows = await session.scalars(query.order_by(Process.started_at.desc()).limit(limit).offset(offset))
    return list(rows)


@router.get("/{process_id}", response_model=ProcessDetailOut)
async def get_process_detail(process_id: str, actor: CurrentActor, session: SessionDep) -> ProcessDetailOut:
    process = await get_process(session, actor, process_id)
    tasks = await session.scalars(
        select(Task).where(Task.process_id == process_id, Task.status == "open").order_by(Task.created_at)
    )
    return ProcessDetailOut(
        **ProcessOut.model_validate(process).model_dump(),
        open_tasks=[TaskOut.model_validate(t) for t in tasks],
    )


@router.get("/{process_id}/history", response_model=list[HistoryEntry])
async def get_history(
    process_id: str, actor: CurrentActor, session: SessionDep, temporal: TemporalDep
) -> list[HistoryEntry]:
    """Every step, who decided, when, the outcome and the comment, in order (from Temporal's history)."""
    process = await get_process(session, actor, process_id)
    return await process_history(handle_for(temporal, process))


@router.post("/{process_id}/withdraw", response_model=ProcessStateOut)
async def withdraw(
    process_id: str, body: WithdrawIn, actor: CurrentActor, session: SessionDep, temporal: TemporalDep
) -> ProcessStateOut:
    """The applicant withdraws an open application; its open task is cancelled."""
    process = await get_process(session, actor, process_id)
    view = await send_update(
        handle_for(temporal, process),
        "withdraw",
        WithdrawRequest(actor=actor, reason=body.reason),
        result_type=ProcessView,
    )
    return ProcessStateOut(process_id=view.process_id, status=view.status, current_step=view.current_step)
