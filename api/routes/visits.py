"""P9 visits (000 §12, §15; 002 rule 7): a salesperson's monthly plan, the visit reports, and the
manager's view of plans, visits done against planned, and reports late."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from activities.process_store import unit_path
from api.customer_gate import ensure_customers_may
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, Invalid, NotFound
from api.gateway import send_update
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import customer_readable, visit_plan_readable
from db.models import Customer, Visit, VisitPlan
from domain.china_time import ChinaTime
from domain.customer_gate import CustomerOperation
from domain.models import Actor, ProcessView
from domain.roles import APPLICANT_ROLES
from domain.rulebook import enforces
from domain.visits import (
    MONTH_PATTERN,
    PlannedVisit,
    ReportRequest,
    VisitPlanIn,
    VisitPlanInput,
    VisitReportIn,
    visit_plan_workflow_id,
    visit_workflow_id,
)

router = APIRouter(tags=["visits"])
CHINA = ZoneInfo("Asia/Shanghai")
Salesperson = Depends(require_any_role(*APPLICANT_ROLES))


class VisitPlanStarted(ProcessStateOut):
    plan_id: int


@router.post("/visit-plans", status_code=status.HTTP_201_CREATED, response_model=VisitPlanStarted)
@idempotent
@enforces("002-7-visit-plan-for-next-month")
async def submit_visit_plan(
    body: VisitPlanIn, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Salesperson
) -> VisitPlanStarted:
    """Next month's visit plan (000 §12), for the marketing manager's approval before the month."""
    if body.month < datetime.now(CHINA).strftime("%Y-%m"):
        raise Invalid([f"month {body.month} has ended: a plan is for the coming month (000 §12)"])
    ids = list(dict.fromkeys(v.customer_id for v in body.visits))
    rows = await session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_(ids), customer_readable(actor))
    )
    names = dict(rows.tuples().all())
    unknown = [i for i in ids if i not in names]
    if unknown:
        raise Invalid([f"customer {i} not found" for i in unknown])
    await ensure_customers_may(session, CustomerOperation.visit_plan, ids)
    plan = VisitPlan(
        month=body.month,
        salesperson=actor.username,
        unit_code=actor.unit,
        workflow_id="",
        status="running",
        submitted_at=datetime.now(UTC),
    )
    session.add(plan)
    await session.flush()
    plan.workflow_id = visit_plan_workflow_id(plan.id, uuid.uuid4().hex[:12])
    visits = [
        Visit(plan_id=plan.id, customer_id=v.customer_id, planned_on=v.planned_on, purpose=v.purpose)
        for v in body.visits
    ]
    session.add_all(visits)
    await session.flush()
    view = await start_process(
        temporal,
        "VisitPlan",
        VisitPlanInput(
            plan_id=plan.id,
            month=body.month,
            salesperson=actor,
            unit_path=await unit_path(session, actor.unit),
            visits=[
                PlannedVisit(
                    visit_id=v.id,
                    customer_id=v.customer_id,
                    customer_name=names[v.customer_id],
                    planned_on=v.planned_on,
                )
                for v in visits
            ],
        ),
        workflow_id=plan.workflow_id,
        task_queue=request.app.state.task_queue,
        result_type=ProcessView,
    )
    return VisitPlanStarted(**ProcessStateOut.model_validate(view.model_dump()).model_dump(), plan_id=plan.id)


@router.post("/visits/{visit_id}/report", response_model=ProcessStateOut)
async def report_visit(
    visit_id: RowId, report: VisitReportIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ProcessStateOut:
    """The visit report (002 rule 7), due 2 working days after the visit; it closes the report task."""
    row = (
        await session.execute(
            select(Visit, VisitPlan.status, VisitPlan.workflow_id)
            .join(VisitPlan, VisitPlan.id == Visit.plan_id)
            .where(Visit.id == visit_id, visit_plan_readable(actor, VisitPlan.salesperson))
        )
    ).first()
    if row is None:
        raise NotFound(f"visit {visit_id} not found")
    if row.status != "approved":
        raise Conflict(f"the visit plan is {row.status}, not approved: nothing to report yet")
    handle = temporal.get_workflow_handle(visit_workflow_id(row.workflow_id, visit_id))
    view = await send_update(handle, "report", ReportRequest(report=report, actor=actor), result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())


class VisitOut(BaseModel):
    visit_id: int
    customer_id: int
    planned_on: date
    purpose: str
    report_due_at: ChinaTime | None
    visited_on: date | None
    reported_at: ChinaTime | None
    summary: str | None
    findings: str | None
    late: bool = Field(description="the report came after its due moment, or is still missing past it")


class VisitPlanOut(BaseModel):
    plan_id: int
    month: str
    salesperson: str
    status: str
    workflow_id: str
    decided_by: str | None
    planned: int
    done: int
    late: int
    visits: list[VisitOut]


def _late(visit: Visit, now: datetime) -> bool:
    if visit.report_due_at is None:
        return False
    return (visit.reported_at or now) > visit.report_due_at


@router.get("/visit-plans", response_model=list[VisitPlanOut])
@enforces("002-7-visits-counted-for-assessment")
async def list_visit_plans(
    session: SessionDep,
    actor: CurrentActor,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
    salesperson: Annotated[str | None, Query(max_length=80)] = None,
) -> list[VisitPlanOut]:
    """The manager's view (000 §12, 002 rule 7): each plan with its visits done against planned and
    its reports late. A salesperson sees their own plans; supervisors and oversight see all."""
    query = select(VisitPlan).where(visit_plan_readable(actor, VisitPlan.salesperson))
    if month:
        query = query.where(VisitPlan.month == month)
    if salesperson:
        query = query.where(VisitPlan.salesperson == salesperson)
    now = datetime.now(UTC)
    plans = []
    for plan in await session.scalars(query.order_by(VisitPlan.id).limit(500)):
        visits = [
            VisitOut(
                visit_id=v.id,
                customer_id=v.customer_id,
                planned_on=v.planned_on,
                purpose=v.purpose,
                report_due_at=v.report_due_at,
                visited_on=v.visited_on,
                reported_at=v.reported_at,
                summary=v.summary,
                findings=v.findings,
                late=_late(v, now),
            )
            for v in plan.visits
        ]
        plans.append(
            VisitPlanOut(
                plan_id=plan.id,
                month=plan.month,
                salesperson=plan.salesperson,
                status=plan.status,
                workflow_id=plan.workflow_id,
                decided_by=plan.decided_by,
                planned=len(visits),
                done=sum(v.reported_at is not None for v in visits),
                late=sum(v.late for v in visits),
                visits=visits,
            )
        )
    return plans
