"""P5 credit (000 §13; 001 信用管理措施 §3): file an application for periodic settlement, resubmit a
returned one, and read a customer's history of credit decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from activities.credit_policy import policy_in_force, policy_version
from activities.rule_store import pinned_version
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, Invalid
from api.gateway import get_process, handle_for, send_update
from api.idempotency import idempotent
from api.params import Offset, RowId
from api.schemas import ProcessStateOut
from api.services.credit_filing import file_credit_application, resubmit_filed_application
from api.visibility import get_customer
from db.models import CreditDecision, Customer
from domain.china_time import CHINA, ChinaTime
from domain.credit_application import (
    APPLICATION_PROCESS,
    AnalysisRequest,
    CreditAnalysisIn,
    CreditApplicationIn,
    analysis_grade_problem,
    grade_on_file,
    granting_ceiling,
)
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.models import Actor, ProcessView
from domain.roles import APPLICANT_ROLES, Role
from domain.rule_change import RuleKind

router = APIRouter(tags=["credit"])
Applicant = Depends(require_any_role(*APPLICANT_ROLES))


@router.post("/credit-applications", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def submit_credit_application(
    body: CreditApplicationIn, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Applicant
) -> ProcessStateOut:
    """The sales desk applies for periodic settlement for a customer it may read (000 §13): marketing
    and finance review jointly, both leaders approve, the GM too above the grade's ceiling (001 §3)."""
    view = await file_credit_application(session, temporal, request.app.state.task_queue, actor, body)
    return ProcessStateOut.model_validate(view.model_dump())


@router.post("/credit-applications/{process_id}/resubmit", response_model=ProcessStateOut)
async def resubmit_credit_application(
    process_id: str,
    body: CreditApplicationIn,
    session: SessionDep,
    temporal: TemporalDep,
    actor: CurrentActor,
    comment: Annotated[str | None, Query(max_length=2000, description="what was corrected")] = None,
) -> ProcessStateOut:
    """The applicant corrects a returned application; the chain starts again at the joint review."""
    view = await resubmit_filed_application(session, temporal, actor, process_id, body, comment)
    return ProcessStateOut.model_validate(view.model_dump())


Reviewer = Depends(require_any_role(Role.marketing_reviewer, Role.finance_reviewer))


@router.post("/credit-applications/{process_id}/analysis", response_model=ProcessStateOut)
async def analyse_credit_application(
    process_id: str,
    body: CreditAnalysisIn,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Reviewer,
) -> ProcessStateOut:
    """A reviewer's analysis at the joint review (000 §13): the credit grade and limit they set, the
    collateral or guarantee they require, and why. It approves their seat; what is finally granted
    is the latest analysis, and the GM joins when its limit is above the ceiling of its grade under
    the policy the application pinned (001 §3)."""
    process = await get_process(session, actor, process_id)
    if process.process_type != APPLICATION_PROCESS:
        raise Conflict(f"process {process_id} is not a credit application")
    customer = await session.get(Customer, process.customer_id)
    if customer is not None:
        ensure_customer_may(CustomerOperation.credit_application, customer)
    on_file = grade_on_file(customer.grade if customer is not None else None)
    problem = analysis_grade_problem(body.grade, on_file)
    if problem is not None:
        raise Invalid([problem])
    pinned = await pinned_version(session, process.process_id, RuleKind.credit_policy)
    policy = (
        await policy_version(session, pinned)
        if pinned is not None
        else await policy_in_force(session, datetime.now(CHINA).date())
    )
    ceiling = granting_ceiling(policy.limit_by_grade[body.grade], policy.limit_by_grade[on_file])
    request = AnalysisRequest(analysis=body, actor=actor, ceiling=ceiling)
    view = await send_update(handle_for(temporal, process), "analyse", request, result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())


class CreditDecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    process_id: str | None
    kind: str
    outcome: str
    old_settlement: str | None
    new_settlement: str
    old_limit: Decimal | None
    new_limit: Decimal
    term_days: int
    form: dict[str, Any]
    reason: str
    decided_by: str
    decided_at: ChinaTime


@router.get("/customers/{customer_id}/credit/decisions", response_model=list[CreditDecisionOut])
async def list_credit_decisions(
    customer_id: RowId,
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[CreditDecisionOut]:
    """Every change of the customer's credit terms, newest first, with who decided when and why
    (000 §13; 001 信用审核 评审成果): for whoever may read the customer's file."""
    await get_customer(session, actor, customer_id)
    rows = await session.scalars(
        select(CreditDecision)
        .where(CreditDecision.customer_id == customer_id)
        .order_by(CreditDecision.decided_at.desc(), CreditDecision.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [CreditDecisionOut.model_validate(row) for row in rows]
