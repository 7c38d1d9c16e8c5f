"""Complaints (000 §16): register, act on each stage, list, read, monthly statistics."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from temporalio.client import WorkflowHandle

from api.audit import best_history
from api.deps import CurrentActor, SessionDep, SettingsDep, TemporalDep, require_any_role
from api.errors import Forbidden, Invalid, NotFound
from api.gateway import send_update
from api.idempotency import idempotent
from api.params import Offset
from api.services.complaint_filing import CUSTOMER_FACING, ComplaintIn, register_complaint
from api.visibility import complaint_readable, require_open_step
from api.visibility import get_complaint as readable_complaint
from db.models import Complaint, ComplaintStats
from domain.china_time import ChinaTime, ChinaTimeDocument
from domain.complaint_models import (
    ComplaintView,
    ExtensionRequest,
    InvestigateRequest,
    RemedyRequest,
    ReplyRequest,
    VerdictRequest,
)
from domain.complaints import InvestigationReport, Remedy, ReplyMethod, Severity
from domain.examples import examples
from domain.history import HistoryEntry
from domain.models import Actor
from domain.roles import COMPLAINT_DESK, OVERSIGHT_ROLES, Role
from domain.text import StoredText

router = APIRouter(prefix="/complaints", tags=["complaints"])
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

Registrar = Depends(require_any_role(*CUSTOMER_FACING))
StatsProducer = Annotated[Actor, Depends(require_any_role(Role.marketing_manager, Role.admin))]
# The company-wide statistics (002 rule 2 §27) are for the complaint desk, the leaders above it and
# oversight — not for every depot or station, which read their own complaints.
StatsReader = Annotated[Actor, Depends(require_any_role(*COMPLAINT_DESK, Role.general_manager, *OVERSIGHT_ROLES))]


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
    received_at: ChinaTime
    due_at: ChinaTime
    due_provisional: bool
    escalation_level: int
    overdue: bool
    extended: bool
    closed_at: ChinaTime | None
    closed_on_time: bool | None
    details: ChinaTimeDocument


class ComplaintDetailOut(ComplaintOut):
    history: list[HistoryEntry]


class VerdictIn(BaseModel):
    model_config = examples({"remedy": "reproduction", "verdict": "经技术部鉴定为产品质量原因, 安排重新生产调换"})

    remedy: Remedy
    verdict: StoredText = Field(min_length=1, max_length=3000)


class RemedyIn(BaseModel):
    model_config = examples({"note": "已安排 20 吨合格 0 号柴油调换, 3 月 20 日送达"})

    note: StoredText = Field(min_length=1, max_length=3000)


class ReplyIn(BaseModel):
    model_config = examples(
        {
            "resolution": "调换问题油品并致歉",
            "method": "written",
            "reply": "贵司反映的油品质量问题已查实, 我司已调换全部问题油品, 深表歉意。",
        }
    )

    resolution: StoredText = Field(min_length=1, max_length=3000)
    method: ReplyMethod
    reply: StoredText = Field(min_length=1, max_length=3000)


class ExtensionIn(BaseModel):
    model_config = examples({"reason": "需第三方检测机构出具化验报告, 申请延期"})

    reason: StoredText = Field(min_length=1, max_length=2000)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ComplaintView)
@idempotent
async def register(
    body: ComplaintIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    actor: Actor = Registrar,
) -> ComplaintView:
    """Register a complaint; its deadline follows the working-day calendar (000 §16). `received_at`
    may be backdated by at most `COMPLAINT_BACKDATE_WORKING_DAYS` working days, never in the future."""
    return await register_complaint(session, temporal, settings, request.app.state.task_queue, actor, body)


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
    offset: Offset = 0,
) -> list[Complaint]:
    query = select(Complaint).where(complaint_readable(actor))
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
async def monthly_stats(month: str, session: SessionDep, actor: StatsReader) -> dict[str, Any]:
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
    """The complaint if `actor` may read it, else 404 (api/visibility/)."""
    return await readable_complaint(session, actor, process_id)


@router.get("/{process_id}", response_model=ComplaintDetailOut)
async def get_complaint(
    process_id: str, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintDetailOut:
    row = await _complaint(session, actor, process_id)
    handle = temporal.get_workflow_handle(row.workflow_id, run_id=row.process_id)
    history = await best_history(session, handle, row.process_id)
    return ComplaintDetailOut(**ComplaintOut.model_validate(row, from_attributes=True).model_dump(), history=history)


async def _handle(
    session: SessionDep, temporal: TemporalDep, actor: Actor, process_id: str, *, extension: bool = False
) -> WorkflowHandle[Any, Any]:
    """The complaint to act on: 404 for a non-reader; 403 for a reader who holds none of its open
    steps — or, for an extension, is neither its handler nor in marketing (000 §16)."""
    row = await _complaint(session, actor, process_id)
    if not extension:
        await require_open_step(session, actor, process_id)
    elif not actor.has(Role.marketing_reviewer) and row.handler != actor.username:
        raise Forbidden("only the complaint's handler or the marketing department requests an extension (000 §16)")
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


@router.post("/{process_id}/rush-production", response_model=ComplaintView)
async def rush_production(
    process_id: str, body: RemedyIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ComplaintView:
    """001: production runs marketing's re-production order as a rush order and reports it done."""
    handle = await _handle(session, temporal, actor, process_id)
    request = RemedyRequest(actor=actor, note=body.note)
    return await send_update(handle, "rush_production", request, result_type=ComplaintView)


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
    handle = await _handle(session, temporal, actor, process_id, extension=True)
    return await send_update(
        handle, "request_extension", ExtensionRequest(actor=actor, reason=body.reason), result_type=ComplaintView
    )
