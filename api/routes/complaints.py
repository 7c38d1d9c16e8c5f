"""Complaints (000 §16): register, act on each stage, list, read, monthly statistics."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from temporalio.client import WorkflowHandle

from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Invalid, NotFound
from api.gateway import send_update
from api.history import process_history
from api.schemas import HistoryEntry
from api.starts import start_process
from db.models import Complaint, ComplaintStats, Customer
from domain.complaint_models import (
    ComplaintInput,
    ComplaintView,
    ExtensionRequest,
    InvestigateRequest,
    RemedyRequest,
    ReplyRequest,
    VerdictRequest,
)
from domain.complaints import Category, Channel, ComplaintRecord, InvestigationReport, Remedy, ReplyMethod, Severity
from domain.models import Actor
from domain.roles import Role

router = APIRouter(prefix="/complaints", tags=["complaints"])
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

# Anyone who meets customers may register a complaint; nobody may conceal one (000 §16).
CUSTOMER_FACING = (
    Role.sales_clerk,
    Role.marketing_reviewer,
    Role.marketing_manager,
    Role.depot_manager,
    Role.station_manager,
    Role.business_vp,
    Role.general_manager,
)
Registrar = Depends(require_any_role(*CUSTOMER_FACING))
StatsProducer = Annotated[Actor, Depends(require_any_role(Role.marketing_manager, Role.admin))]


class ComplaintIn(BaseModel):
    customer_id: int | None = None
    customer_name: str | None = Field(default=None, min_length=1, max_length=200)
    channel: Channel
    category: Category
    severity: Severity
    description: str = Field(min_length=1, max_length=5000)
    customer_request: str | None = Field(default=None, max_length=2000)
    contact: str | None = Field(default=None, max_length=200)
    received_at: datetime | None = None


class ComplaintOut(BaseModel):
    process_id: str
    customer_id: int | None
    customer_name: str
    channel: str
    category: str
    severity: str
    description: str
    status: str
    stage: str
    handler: str | None
    received_at: datetime
    due_at: datetime
    due_provisional: bool
    escalation_level: int
    overdue: bool
    extended: bool
    closed_at: datetime | None
    closed_on_time: bool | None
    details: dict[str, Any]


class ComplaintDetailOut(ComplaintOut):
    history: list[HistoryEntry]


class VerdictIn(BaseModel):
    remedy: Remedy
    verdict: str = Field(min_length=1, max_length=3000)


class RemedyIn(BaseModel):
    note: str = Field(min_length=1, max_length=3000)


class ReplyIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=3000)
    method: ReplyMethod
    reply: str = Field(min_length=1, max_length=3000)


class ExtensionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ComplaintView)
async def register(
    body: ComplaintIn, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Registrar
) -> ComplaintView:
    """Register a complaint; its deadline follows the working-day calendar (000 §16)."""
    now = datetime.now(UTC)
    received = body.received_at or now
    if received.tzinfo is None:
        raise Invalid("received_at needs a time zone, e.g. 2026-09-30T10:00:00+08:00")
    if received > now:
        raise Invalid("received_at lies in the future")
    name = body.customer_name
    if body.customer_id is not None:
        customer = await session.get(Customer, body.customer_id)
        if customer is None:
            raise NotFound(f"customer {body.customer_id} not found")
        name = customer.name
    if not name:
        raise Invalid("give customer_id or customer_name")
    record = ComplaintRecord(
        customer_id=body.customer_id,
        customer_name=name,
        channel=body.channel,
        category=body.category,
        severity=body.severity,
        description=body.description,
        customer_request=body.customer_request,
        received_at=received,
        contact=body.contact,
    )
    return await start_process(
        temporal,
        "Complaint",
        ComplaintInput(record=record, registered_by=actor, unit=actor.unit),
        workflow_id=f"complaint-{uuid.uuid4()}",
        task_queue=request.app.state.task_queue,
        result_type=ComplaintView,
    )


@router.get("", response_model=list[ComplaintOut])
async def list_complaints(
    session: SessionDep,
    actor: CurrentActor,
    overdue: bool | None = None,
    severity: Severity | None = None,
    customer: str | None = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(running|closed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Complaint]:
    query = select(Complaint)
    if overdue is not None:
        query = query.where(Complaint.overdue == overdue)
    if severity:
        query = query.where(Complaint.severity == severity.value)
    if customer:
        query = query.where(Complaint.customer_name.contains(customer))
    if month:
        query = query.where(Complaint.month == month)
    if status_:
        query = query.where(Complaint.status == status_)
    return list(await session.scalars(query.order_by(Complaint.received_at.desc()).limit(limit).offset(offset)))


@router.get("/stats/{month}")
async def monthly_stats(month: str, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    """The statistics the monthly schedule produced (002 rule 2 §27)."""
    stats = await session.get(ComplaintStats, month)
    if stats is None:
        raise NotFound(f"no statistics for {month} yet; they are produced early in the following month")
    return {"month": month, "generated_at": stats.generated_at, **stats.data}


@router.post("/stats/{month}")
async def produce_stats(
    month: str,
    request: Request,
    temporal: TemporalDep,
    actor: StatsProducer,
) -> dict[str, Any]:
    """Produce a month's statistics now, through the same workflow the schedule runs."""
    if not MONTH.fullmatch(month):
        raise Invalid("month must be YYYY-MM")
    result: dict[str, Any] = await temporal.execute_workflow(
        "ComplaintStats",
        {"month": month},
        id=f"complaint-stats-{month}-{uuid.uuid4().hex[:8]}",
        task_queue=request.app.state.task_queue,
        result_type=dict,
    )
    return result


async def _complaint(session: SessionDep, actor: Actor, process_id: str) -> Complaint:
    row = await session.get(Complaint, process_id)
    if row is None:
        raise NotFound(f"complaint {process_id} not found")
    return row


@router.get("/{process_id}", response_model=ComplaintDetailOut)
async def get_complaint(
    process_id: str, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintDetailOut:
    row = await _complaint(session, actor, process_id)
    handle = temporal.get_workflow_handle(row.workflow_id, run_id=row.process_id)
    history = await process_history(handle)
    return ComplaintDetailOut(**ComplaintOut.model_validate(row, from_attributes=True).model_dump(), history=history)


async def _handle(
    session: SessionDep, temporal: TemporalDep, actor: Actor, process_id: str
) -> WorkflowHandle[Any, Any]:
    row = await _complaint(session, actor, process_id)
    return temporal.get_workflow_handle(row.workflow_id, run_id=row.process_id)


@router.post("/{process_id}/investigation", response_model=ComplaintView)
async def investigate(
    process_id: str, report: InvestigationReport, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintView:
    """The handler's investigation report (002 rule 2 §17); product causes go to the technical dept."""
    handle = await _handle(session, temporal, actor, process_id)
    return await send_update(
        handle, "investigate", InvestigateRequest(actor=actor, report=report), result_type=ComplaintView
    )


@router.post("/{process_id}/verdict", response_model=ComplaintView)
async def verdict(
    process_id: str, body: VerdictIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintView:
    handle = await _handle(session, temporal, actor, process_id)
    request = VerdictRequest(actor=actor, remedy=body.remedy, verdict=body.verdict)
    return await send_update(handle, "verdict", request, result_type=ComplaintView)


@router.post("/{process_id}/remedy", response_model=ComplaintView)
async def remedy(
    process_id: str, body: RemedyIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintView:
    handle = await _handle(session, temporal, actor, process_id)
    return await send_update(handle, "remedy", RemedyRequest(actor=actor, note=body.note), result_type=ComplaintView)


@router.post("/{process_id}/reply", response_model=ComplaintView)
async def reply(
    process_id: str, body: ReplyIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintView:
    """Resolution and reply to the customer; the complaint closes only this way."""
    handle = await _handle(session, temporal, actor, process_id)
    request = ReplyRequest(actor=actor, resolution=body.resolution, method=body.method, reply=body.reply)
    return await send_update(handle, "reply", request, result_type=ComplaintView)


@router.post("/{process_id}/extension", response_model=ComplaintView)
async def request_extension(
    process_id: str, body: ExtensionIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintView:
    """A special case asks the leaders, level by level, for up to 7 working days (000 §16)."""
    handle = await _handle(session, temporal, actor, process_id)
    return await send_update(
        handle, "request_extension", ExtensionRequest(actor=actor, reason=body.reason), result_type=ComplaintView
    )
