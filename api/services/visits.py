"""Visit plans and reports (000 §12; 002 rule 7): POST /api/v1/visit-plans, POST
/api/v1/visits/{id}/report, GET /api/v1/visit-plans and the applicant's visit pages
(web/apply_visits.py) call these, so the month, the customers one may visit, the report's checks
and the manager's counts are one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.process_store import unit_path
from api.customer_gate import ensure_customers_may
from api.errors import Conflict, Invalid, NotFound
from api.gateway import send_update
from api.schemas import ProcessStateOut
from api.services.development import readable_customers, this_month
from api.starts import start_process
from api.visibility import visit_plan_readable
from db.models import Visit, VisitPlan
from domain.china_time import ChinaTime
from domain.customer_gate import CustomerOperation
from domain.models import Actor, ProcessView
from domain.visits import (
    PlannedVisit,
    ReportRequest,
    VisitPlanIn,
    VisitPlanInput,
    VisitReportIn,
    visit_plan_workflow_id,
    visit_workflow_id,
)


class VisitPlanStarted(ProcessStateOut):
    plan_id: int


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


async def start_visit_plan(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, body: VisitPlanIn
) -> VisitPlanStarted:
    """Next month's visit plan (000 §12), for the marketing manager's approval before the month."""
    if body.month < this_month():
        raise Invalid([f"month {body.month} has ended: a plan is for the coming month (000 §12)"])
    ids = list(dict.fromkeys(v.customer_id for v in body.visits))
    names = await readable_customers(session, actor, ids)
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
        task_queue=task_queue,
        result_type=ProcessView,
    )
    return VisitPlanStarted(**ProcessStateOut.model_validate(view.model_dump()).model_dump(), plan_id=plan.id)


async def visit_to_report(session: AsyncSession, actor: Actor, visit_id: int) -> tuple[Visit, str, str]:
    """The visit, its plan's status and workflow id: 404 unless the actor may read the plan."""
    row = (
        await session.execute(
            select(Visit, VisitPlan.status, VisitPlan.workflow_id)
            .join(VisitPlan, VisitPlan.id == Visit.plan_id)
            .where(Visit.id == visit_id, visit_plan_readable(actor, VisitPlan.salesperson))
        )
    ).first()
    if row is None:
        raise NotFound(f"visit {visit_id} not found")
    return row[0], row[1], row[2]


async def file_visit_report(
    session: AsyncSession, temporal: Client, actor: Actor, visit_id: int, report: VisitReportIn
) -> ProcessStateOut:
    """The visit report (002 rule 7), due 2 working days after the visit; it closes the report task."""
    _, status, workflow_id = await visit_to_report(session, actor, visit_id)
    if status != "approved":
        raise Conflict(f"the visit plan is {status}, not approved: nothing to report yet")
    handle = temporal.get_workflow_handle(visit_workflow_id(workflow_id, visit_id))
    view = await send_update(handle, "report", ReportRequest(report=report, actor=actor), result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())


def _late(visit: Visit, now: datetime) -> bool:
    if visit.report_due_at is None:
        return False
    return (visit.reported_at or now) > visit.report_due_at


async def visit_plans(
    session: AsyncSession, actor: Actor, month: str | None = None, salesperson: str | None = None
) -> list[VisitPlanOut]:
    """Each plan the actor may read with its visits done against planned and its reports late
    (000 §12, 002 rule 7): a salesperson's own, all for supervisors and oversight."""
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
