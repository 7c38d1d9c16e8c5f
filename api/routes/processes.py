"""Processes for auditors and participants: list (and my applications), detail, history from
the audit record, withdraw, urge."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from activities.rule_store import pinned_versions
from api.audit import best_history
from api.deps import SessionDep, TemporalDep, require_any_role
from api.gateway import handle_for, send_update
from api.params import Offset
from api.routes.tasks import TaskActionOut
from api.schemas import ProcessDetailOut, ProcessListOut, ProcessOut, ProcessStateOut, TaskOut
from api.services.process_actions import urge_process, withdraw_process
from api.services.processes import ProcessFilters, search_processes
from api.visibility import CurrentViewer, get_process
from db.models import Task
from domain.examples import examples
from domain.history import HistoryEntry
from domain.models import ProcessStatus
from domain.repair import RepairAction, RepairOutcome, RepairRequest
from domain.roles import Role
from domain.text import StoredText

router = APIRouter(prefix="/processes", tags=["processes"])


class WithdrawIn(BaseModel):
    model_config = examples({"reason": "客户决定暂缓合作, 撤回申请"})

    reason: StoredText = Field(min_length=1, max_length=2000)


class UrgeIn(BaseModel):
    model_config = examples({"comment": "客户下周开始提货, 请尽快审批"})

    comment: StoredText | None = Field(default=None, max_length=500)


@router.get("", response_model=list[ProcessListOut])
async def list_processes(
    viewer: CurrentViewer,
    session: SessionDep,
    mine: Annotated[bool, Query(description="only my own applications")] = False,
    process_type: str | None = None,
    status: ProcessStatus | None = None,
    customer: Annotated[str | None, Query(description="credit code or part of the customer's name")] = None,
    applicant: str | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[ProcessListOut]:
    """Processes I may read, newest first, each with its current holders and earliest due date."""
    filters = ProcessFilters(
        mine=mine,
        process_type=process_type,
        status=status,
        customer=customer,
        applicant=applicant,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        offset=offset,
    )
    return await search_processes(session, viewer, filters)


@router.get("/{process_id}", response_model=ProcessDetailOut)
async def get_process_detail(process_id: str, viewer: CurrentViewer, session: SessionDep) -> ProcessDetailOut:
    process = await get_process(session, viewer, process_id)
    tasks = await session.scalars(
        select(Task).where(Task.process_id == process_id, Task.status == "open").order_by(Task.created_at)
    )
    return ProcessDetailOut(
        **ProcessOut.model_validate(process).model_dump(),
        open_tasks=[TaskOut.model_validate(t) for t in tasks],
        rule_versions=await pinned_versions(session, process_id),
    )


@router.get("/{process_id}/history", response_model=list[HistoryEntry])
async def get_history(
    process_id: str, viewer: CurrentViewer, session: SessionDep, temporal: TemporalDep
) -> list[HistoryEntry]:
    """Every step, who decided, when, the outcome and the comment, in order: the audit record,
    which outlives Temporal's retention (`/audit/processes/{id}` shows Temporal's events beside it)."""
    process = await get_process(session, viewer, process_id)
    return await best_history(session, handle_for(temporal, process), process.process_id)


@router.post("/{process_id}/withdraw", response_model=ProcessStateOut)
async def withdraw(
    process_id: str, body: WithdrawIn, viewer: CurrentViewer, session: SessionDep, temporal: TemporalDep
) -> ProcessStateOut:
    """The applicant withdraws an open application; its open task is cancelled."""
    view = await withdraw_process(session, temporal, viewer, process_id, body.reason)
    return ProcessStateOut(process_id=view.process_id, status=view.status, current_step=view.current_step)


@router.post("/{process_id}/urge", response_model=TaskActionOut)
async def urge(
    process_id: str,
    body: UrgeIn,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> TaskActionOut:
    """催办: nudge the current holders (a notification, recorded in the history). The applicant or a
    supervisor; at most once per the chain's interval (409 inside it)."""
    return await urge_process(session, temporal, viewer, process_id, body.comment, idempotency_key, TaskActionOut)


class RepairIn(BaseModel):
    model_config = examples({"action": "resume", "reason": "已更正重复的客户编码, 重试写入"})

    action: RepairAction
    reason: StoredText = Field(min_length=1, max_length=500)


@router.post("/{process_id}/repair", response_model=RepairOutcome, dependencies=[Depends(require_any_role(Role.admin))])
async def repair(
    process_id: str,
    body: RepairIn,
    viewer: CurrentViewer,
    session: SessionDep,
    temporal: TemporalDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> RepairOutcome:
    """A process stopped because the database refused its data (status `failed`): `resume` retries
    the refused write once the data or the column is fixed; `abandon` ends the process as failed,
    so a clean application for the same customer can be filed. Administrators only."""
    process = await get_process(session, viewer, process_id)
    return await send_update(
        handle_for(temporal, process),
        "repair",
        RepairRequest(actor=viewer.actor, action=body.action, reason=body.reason),
        update_id=f"repair:{process_id}:{idempotency_key or uuid.uuid4().hex}",
        result_type=RepairOutcome,
    )
