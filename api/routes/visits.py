"""P9 visits (000 §12, §15; 002 rule 7): a salesperson's monthly plan, the visit reports, and the
manager's view of plans, visits done against planned, and reports late."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.services.visits import VisitPlanOut, VisitPlanStarted, file_visit_report, start_visit_plan, visit_plans
from domain.models import Actor
from domain.roles import APPLICANT_ROLES
from domain.rulebook import enforces
from domain.visits import MONTH_PATTERN, VisitPlanIn, VisitReportIn

router = APIRouter(tags=["visits"])
Salesperson = Depends(require_any_role(*APPLICANT_ROLES))


@router.post("/visit-plans", status_code=status.HTTP_201_CREATED, response_model=VisitPlanStarted)
@idempotent
@enforces("002-7-visit-plan-for-next-month")
async def submit_visit_plan(
    body: VisitPlanIn, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Salesperson
) -> VisitPlanStarted:
    """Next month's visit plan (000 §12), for the marketing manager's approval before the month."""
    return await start_visit_plan(session, temporal, request.app.state.task_queue, actor, body)


@router.post("/visits/{visit_id}/report", response_model=ProcessStateOut)
async def report_visit(
    visit_id: RowId, report: VisitReportIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ProcessStateOut:
    """The visit report (002 rule 7), due 2 working days after the visit; it closes the report task."""
    return await file_visit_report(session, temporal, actor, visit_id, report)


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
    return await visit_plans(session, actor, month, salesperson)
