"""Credit reviews 客户升(降)级评审 (001 信用审核; 003 §6): the review form, the marketing reviewer's
assessment, and a review opened by hand. Semiannual rounds and risk reviews open by themselves
(workflows/credit_review.py); their tasks are decided through the inbox as usual."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, status
from temporalio.service import RPCError

from activities.credit_policy import policy_in_force
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, NotFound, from_workflow
from api.gateway import get_process, handle_for, send_update
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import get_customer
from db.models import CreditAccount, Customer, Process
from domain.china_time import CHINA
from domain.credit import CreditCustomer, CreditReviewInput, ReviewOccasion, Settlement, credit_review_workflow_id
from domain.credit_review import (
    CREDIT_REVIEW_CHAIN,
    AssessmentIn,
    AssessmentRequest,
    ManualReviewIn,
    ReviewFormView,
    review_operation,
)
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.grading import Grade
from domain.models import Actor, ProcessView
from domain.roles import Role

router = APIRouter(tags=["credit"])
# 001 信用审核: 业务部 reviews; its manager may open a review outside the semiannual rounds.
Opener = Depends(require_any_role(Role.marketing_manager))


async def _review(session: SessionDep, actor: Actor, process_id: str) -> Process:
    """The credit review, or 404 — for a process `actor` may not read, or one of another kind."""
    process = await get_process(session, actor, process_id)
    if process.process_type != CREDIT_REVIEW_CHAIN.process_type:
        raise NotFound(f"process {process_id} is not a credit review")
    return process


@router.get("/credit-reviews/{process_id}/form", response_model=ReviewFormView)
async def review_form(
    process_id: str, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ReviewFormView:
    """客户升(降)级评审表 as prepared when the review opened (payment record of the last six months,
    outstanding, overdue, risk, grade, current terms) and, once made, its assessment."""
    process = await _review(session, actor, process_id)
    try:
        return await handle_for(temporal, process).query("review_form", result_type=ReviewFormView)
    except RPCError as exc:
        raise from_workflow(exc) from exc


@router.post("/credit-reviews/{process_id}/assessment", response_model=ProcessStateOut)
async def assess(
    process_id: str, body: AssessmentIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ProcessStateOut:
    """The marketing reviewer's decision on the open assessment task: keep, lower (a lower limit
    and/or a shorter term, 003 §6), raise (a higher limit; above the ceiling of the customer's grade
    under the policy in force the general manager approves too, 001 §3) or withdraw the credit; the
    review goes on to the business VP and the chief accountant. 403 for someone who is not the
    step's holder, 422 for an outcome that does not fit the current terms."""
    process = await _review(session, actor, process_id)
    customer = await session.get(Customer, process.customer_id)
    if customer is not None:  # a raise needs a trading customer (004 §4-§6)
        ensure_customer_may(review_operation(body.outcome), customer)
    grade = customer.grade if customer is not None and customer.grade in Grade.__members__ else Grade.C.value
    policy = await policy_in_force(session, datetime.now(CHINA).date())
    request = AssessmentRequest(assessment=body, actor=actor, ceiling=policy.limit_by_grade[Grade(grade)])
    view = await send_update(handle_for(temporal, process), "assess", request, result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())


@router.post(
    "/customers/{customer_id}/credit-reviews", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut
)
@idempotent
async def open_review(
    customer_id: RowId,
    body: ManualReviewIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Opener,
) -> ProcessStateOut:
    """A credit review of a credit customer now, outside the semiannual rounds (e.g. to unblock a
    high-risk customer whose risk review was rejected); 409 for a customer paying before goods."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.credit_review, customer)
    account = await session.get(CreditAccount, customer.id)
    if account is None or (account.settlement != Settlement.periodic.value and not account.review_required):
        raise Conflict(f"customer {customer_id} pays before goods: there is no credit to review")
    key = datetime.now(CHINA).strftime("%Y%m%dT%H%M%S")
    review = CreditReviewInput(
        customer=CreditCustomer(
            customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
        ),
        occasion=ReviewOccasion.manual,
        key=key,
        requested_by=actor.username,
        reason=body.reason,
    )
    view = await start_process(
        temporal,
        "CreditReview",
        review,
        workflow_id=credit_review_workflow_id(customer.credit_code, ReviewOccasion.manual, key),
        task_queue=request.app.state.task_queue,
        result_type=ProcessView,
        already_running=f"a credit review of customer {customer_id} was opened this second",
        applicant=actor,  # 000 §5-§6: no review its opener alone could assess (domain/deciders.py)
    )
    return ProcessStateOut.model_validate(view.model_dump())
