"""P6 grading A/B/C (001 §1, 000 §11): the grading rule in force (changed only through
`POST /rule-changes`, api/routes/rule_changes.py), re-grading rounds, the manager's score sheet, and
the score sheets kept per customer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from activities.grading_store import config_in_force, config_view
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, NotFound
from api.gateway import send_update
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import get_customer
from db.models import Customer, CustomerGrading
from domain.china_time import CHINA, ChinaTime
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.grading import (
    GradingClockInput,
    GradingConfigView,
    GradingInput,
    ScoreRequest,
    ScoreSheetIn,
    first_grading_day,
    first_year_problem,
    grading_clock_id,
    grading_workflow_id,
)
from domain.models import Actor, ProcessView
from domain.roles import Role

router = APIRouter(tags=["grading"])
# 001 §1: the marketing manager or above judges the grade; the VP approves it.
Grader = Depends(require_any_role(Role.marketing_manager, Role.business_vp, Role.general_manager))
Scorer = Depends(require_any_role(Role.marketing_manager))


async def start_grading_clock(client: Client, task_queue: str, customer: Customer) -> None:
    """Start a customer's grading clock (first grading a year after it started trading, 001 §1);
    a clock already running is left as it is, so any creation path may call this more than once.

    Why a function the creation path calls (and `POST /customers/{id}/grading` calls too) rather
    than a line in the onboarding or trade workflows: those replay saved histories, and a customer
    created by any path gets its clock from one place without touching them."""
    await client.start_workflow(
        "GradingClock",
        GradingClockInput(
            customer_id=customer.id,
            credit_code=customer.credit_code,
            customer_name=customer.name,
            unit=customer.unit_code,
            next_grading_on=first_grading_day(customer.trading_since),
        ),
        id=grading_clock_id(customer.credit_code),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


@router.get("/grading/config", response_model=GradingConfigView)
async def read_grading_config(
    session: SessionDep,
    actor: CurrentActor,
    on: Annotated[date | None, Query(description="the day whose rule is wanted; default today")] = None,
) -> GradingConfigView:
    """The grading rule (weights, thresholds) in force on `on` (001 §1; the numbers are configuration)."""
    day = on or datetime.now(CHINA).date()
    row = await config_in_force(session, day)
    if row is None:
        raise NotFound(f"no grading rule is in force on {day}")
    return config_view(row)


@router.post("/customers/{customer_id}/grading", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def start_regrading(
    customer_id: RowId, request: Request, session: SessionDep, temporal: TemporalDep, actor: Actor = Grader
) -> ProcessStateOut:
    """A re-grading round now (001 §1: the marketing manager scores, the business VP approves);
    409 while a round of this customer is open. Also makes sure the customer's clock runs."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.grade, customer)
    first_year = first_year_problem(customer.trading_since, datetime.now(CHINA).date())
    if first_year:
        raise Conflict(first_year)
    task_queue = request.app.state.task_queue
    await start_grading_clock(temporal, task_queue, customer)
    view = await start_process(
        temporal,
        "Grading",
        GradingInput(
            customer_id=customer.id,
            credit_code=customer.credit_code,
            customer_name=customer.name,
            unit=customer.unit_code,
            period=str(datetime.now(CHINA).year),
            requested_by=actor,
        ),
        workflow_id=grading_workflow_id(customer.credit_code),
        task_queue=task_queue,
        result_type=ProcessView,
        already_running=f"customer {customer_id} already has a grading open",
    )
    return ProcessStateOut.model_validate(view.model_dump())


@router.post("/customers/{customer_id}/grading/scores", response_model=ProcessStateOut)
async def submit_scores(
    customer_id: RowId, sheet: ScoreSheetIn, session: SessionDep, temporal: TemporalDep, actor: Actor = Scorer
) -> ProcessStateOut:
    """The marketing manager's decision on the open score task: the four indicator scores (001 §1),
    weighted with the rule in force today; the round goes on to the business VP."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.grade, customer)
    handle = temporal.get_workflow_handle(grading_workflow_id(customer.credit_code))
    view = await send_update(handle, "score", ScoreRequest(sheet=sheet, actor=actor), result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())


class GradingOut(BaseModel):
    process_id: str
    period: str
    scores: dict[str, Decimal]
    weighted_total: Decimal
    grade: str
    config_version: int
    scored_by: str
    scored_at: ChinaTime
    approved_by: str
    approved_at: ChinaTime


@router.get("/customers/{customer_id}/gradings", response_model=list[GradingOut])
async def list_gradings(customer_id: RowId, session: SessionDep, actor: CurrentActor) -> list[GradingOut]:
    """The customer's score sheets, newest first (readers of the customer file)."""
    await get_customer(session, actor, customer_id)
    rows = await session.scalars(
        select(CustomerGrading).where(CustomerGrading.customer_id == customer_id).order_by(CustomerGrading.id.desc())
    )
    return [
        GradingOut(
            process_id=r.process_id,
            period=r.period,
            scores={k: Decimal(v) for k, v in r.scores.items()},
            weighted_total=r.weighted_total,
            grade=r.grade,
            config_version=r.config_version,
            scored_by=r.scored_by,
            scored_at=r.scored_at,
            approved_by=r.approved_by,
            approved_at=r.approved_at,
        )
        for r in rows
    ]
