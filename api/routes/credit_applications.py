"""P5 credit (000 §13; 001 信用管理措施 §3): file an application for periodic settlement, resubmit a
returned one, and read a customer's history of credit decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_policy import policy_in_force, policy_version
from activities.process_store import unit_path
from activities.rule_store import pinned_version
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, Forbidden, Invalid
from api.gateway import get_process, handle_for, send_update
from api.idempotency import idempotent
from api.params import Offset, RowId
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import get_customer
from db.models import CreditDecision, Customer, Process, User, UserRole
from domain.china_time import ChinaTime
from domain.credit import CreditCustomer, credit_application_workflow_id
from domain.credit_application import (
    APPLICATION_PROCESS,
    AnalysisRequest,
    CreditAnalysisIn,
    CreditApplicationForm,
    CreditApplicationIn,
    CreditApplicationInput,
    CreditResubmission,
    analysis_grade_problem,
    credit_application_chain,
    credit_paper_problems,
    grade_on_file,
    granting_ceiling,
)
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.models import Actor, ProcessStatus, ProcessView
from domain.roles import APPLICANT_ROLES, Role
from domain.rule_change import RuleKind
from domain.rulebook import enforces

router = APIRouter(tags=["credit"])
CHINA = ZoneInfo("Asia/Shanghai")
Applicant = Depends(require_any_role(*APPLICANT_ROLES))

# One open application per customer: the workflow id is fixed per customer, so Temporal itself refuses
# a second start while one runs (or waits, returned, for its correction).
OPEN = "open"


@enforces("000-13-named-collector")
async def _checked_form(
    session: AsyncSession, actor: Actor, body: CreditApplicationIn, pinned: int | None = None
) -> tuple[Customer, CreditApplicationForm]:
    """The application as the rules of 000 §13 and the policy in force accept it (a resubmission:
    the version its process pinned at the start, 新老划断); 422 with every problem."""
    customer = await get_customer(session, actor, body.customer_id, loans=False)
    ensure_customer_may(CustomerOperation.credit_application, customer)
    if pinned is not None:
        policy = await policy_version(session, pinned)
    else:
        policy = await policy_in_force(session, datetime.now(CHINA).date())
    problems: list[str] = []
    if body.term_days > policy.max_term_days:
        problems.append(
            f"term_days {body.term_days} exceeds the longest term of the credit policy: {policy.max_term_days} days"
        )
    collector = body.collector or actor.username
    is_clerk = await session.scalar(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.username == collector, User.is_active, UserRole.role == Role.sales_clerk.value)
    )
    if is_clerk is None:
        problems.append(f"collector {collector} is not an active sales clerk (000 §13 指定业务人员负责货款回收)")
    problems += credit_paper_problems(body.organisation_nature, body.documents, datetime.now(CHINA).date())
    if problems:
        raise Invalid(problems)
    grade = grade_on_file(customer.grade)
    form = CreditApplicationForm(
        customer_id=customer.id,
        limit=body.limit,
        term_days=body.term_days,
        collateral=body.collateral,
        reason=body.reason,
        collector=collector,
        grade=grade.value,
        ceiling=policy.limit_by_grade[grade],
        policy_version=policy.version,
        organisation_nature=body.organisation_nature,
        documents=body.documents,
    )
    return customer, form


@router.post("/credit-applications", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def submit_credit_application(
    body: CreditApplicationIn, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Applicant
) -> ProcessStateOut:
    """The sales desk applies for periodic settlement for a customer it may read (000 §13): marketing
    and finance review jointly, both leaders approve, the GM too above the grade's ceiling (001 §3)."""
    customer, form = await _checked_form(session, actor, body)
    running = await session.scalar(
        select(Process.process_id).where(
            Process.process_type == APPLICATION_PROCESS,
            Process.customer_id == customer.id,
            Process.status.in_([ProcessStatus.running.value, ProcessStatus.returned.value]),
        )
    )
    if running is not None:
        raise Conflict(f"customer {customer.id} already has a credit application open: {running}")
    view = await start_process(
        temporal,
        "CreditApplication",
        CreditApplicationInput(
            customer=CreditCustomer(
                customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
            ),
            form=form,
            applicant=actor,
            unit_path=await unit_path(session, customer.unit_code),
            chain=credit_application_chain(form.limit, form.ceiling),
        ),
        workflow_id=credit_application_workflow_id(customer.credit_code, OPEN),
        task_queue=request.app.state.task_queue,
        result_type=ProcessView,
        already_running=f"customer {customer.id} already has a credit application open",
    )
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
    process = await get_process(session, actor, process_id)
    if process.applicant != actor.username:  # a reader who is not the applicant: 403 (api/visibility/)
        raise Forbidden(f"only the applicant {process.applicant} resubmits this application")
    if process.process_type != APPLICATION_PROCESS:
        raise Conflict(f"process {process_id} is not a credit application")
    if body.customer_id != process.customer_id:
        raise Invalid([f"the application is for customer {process.customer_id}; a resubmission cannot change it"])
    pinned = await pinned_version(session, process.process_id, RuleKind.credit_policy)
    _, form = await _checked_form(session, actor, body, pinned)
    view = await send_update(
        handle_for(temporal, process),
        "resubmit",
        CreditResubmission(actor=actor, form=form, comment=comment),
        result_type=ProcessView,
    )
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
