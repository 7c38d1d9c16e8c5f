"""P8 the customer record (000 §10, 001, 004 §4-§6): card changes by approval with their change
log, status changes, hand-over, destruction of a past file, the transaction-start survey.

Who reads is api/visibility/'s `customer_readable` (404 otherwise); who acts is a smaller set of
roles (403): marketing, which keeps the files, and the managers of the owning depot or station.
Status changes and hand-overs are decided by a manager with a reason, not by a chain: the
regulations give them to the manager (004 §6 主管经理, 000 §10 (四) 营销部将其客户资料接收), and
the change log records who and why. Card changes and destructions are processes (`CustomerChange`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from activities.customer_record import log_change
from activities.process_store import unit_path
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, Invalid
from api.idempotency import idempotent
from api.leaders import reporting_line
from api.params import RowId
from api.schemas import CustomerOut, ProcessStateOut
from api.starts import start_process
from api.visibility import customer_readable, get_customer, looked_after_by
from db.models import Customer, CustomerChange, CustomerSurvey, OrgUnit, User
from domain.approvals import customer_change_chain, customer_destruction_chain, survey_chain
from domain.china_time import ChinaTime
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.customer_record import (
    CardChangeRequest,
    ChangeKind,
    CustomerChangeInput,
    CustomerHandOver,
    CustomerStatusChange,
    FileDestructionRequest,
    RecordProcess,
    SurveyForm,
    status_problem,
    survey_start,
)
from domain.models import Actor, ProcessView
from domain.roles import Role

router = APIRouter(prefix="/customers", tags=["customer record"])

# Who writes to a file they may read: marketing keeps the files (000 §5 (一)6, §10 (二)); a depot
# or station keeps its own customers' files (000 §5 (二)2, (三)2).
RECORD_KEEPERS = (
    Role.sales_clerk,
    Role.marketing_reviewer,
    Role.marketing_manager,
    Role.depot_manager,
    Role.station_manager,
)
# Who moves a customer's status or hands a leaver's customers over: the managers (004 §6, 000 §10 (四)).
MANAGERS = (Role.marketing_manager, Role.depot_manager, Role.station_manager)
Keeper = Depends(require_any_role(*RECORD_KEEPERS))
Manager = Depends(require_any_role(*MANAGERS))
HandOverRole = Depends(require_any_role(Role.admin, *MANAGERS))


class CustomerChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    field: str
    old_value: Any
    new_value: Any
    reason: str
    evidence: str | None
    process_id: str | None
    requested_by: str
    approved_by: str | None
    changed_at: ChinaTime


class HandOverOut(BaseModel):
    from_user: str
    to_user: str
    customer_ids: list[int]


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    direction: str
    products: str
    development_potential: str | None
    business_direction: str | None
    cooperation_attitude: str | None
    reputation: str | None
    credit_standing: str
    trade_conditions: str
    expected_monthly_tonnes: Decimal | None
    surveyed_by: str
    surveyed_at: ChinaTime
    process_id: str | None = None
    approved_by: str | None = None
    approved_at: ChinaTime | None = None


async def _start(
    request: Request,
    temporal: TemporalDep,
    session: SessionDep,
    actor: Actor,
    customer: Customer,
    start: dict[str, Any],
    kind: RecordProcess,
) -> ProcessStateOut:
    unit_kind = await session.scalar(select(OrgUnit.kind).where(OrgUnit.code == customer.unit_code))
    roles = frozenset(actor.roles)
    path = await unit_path(session, customer.unit_code)
    if kind is RecordProcess.destruction:
        chain = customer_destruction_chain(roles)
    elif kind is RecordProcess.survey:  # the surveyor's unit head (004 §4 (一)): their reporting line
        path, level = await reporting_line(session, actor)
        chain = survey_chain(level)
    else:
        chain = customer_change_chain(unit_kind, roles)
    view = await start_process(
        temporal,
        "CustomerChange",
        CustomerChangeInput(
            kind=kind,
            customer_id=customer.id,
            customer_name=customer.name,
            applicant=actor,
            unit=customer.unit_code,
            unit_path=path,
            chain=chain,
            **start,
        ),
        workflow_id=f"customer-{kind.value}-{customer.credit_code}",  # one open request per file
        task_queue=request.app.state.task_queue,
        result_type=ProcessView,
        already_running=f"customer {customer.id} already has a {kind.value} request open",
    )
    return ProcessStateOut.model_validate(view.model_dump())


@router.post("/{customer_id}/changes", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def request_change(
    customer_id: RowId,
    body: CardChangeRequest,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Keeper,
) -> ProcessStateOut:
    """A major change of the card goes to the owning unit's reviewer (000 §10 (四)); it changes the
    card only once approved, and the change log keeps old and new values."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.change_card, customer)
    start = {"changes": body.changes.as_values(), "reason": body.reason, "evidence": body.evidence}
    return await _start(request, temporal, session, actor, customer, start, RecordProcess.change)


@router.get("/{customer_id}/changes", response_model=list[CustomerChangeOut])
async def change_log(customer_id: RowId, actor: CurrentActor, session: SessionDep) -> list[CustomerChange]:
    """The change log of the file, oldest first (000 §10 (四))."""
    await get_customer(session, actor, customer_id)
    rows = await session.scalars(
        select(CustomerChange).where(CustomerChange.customer_id == customer_id).order_by(CustomerChange.id)
    )
    return list(rows)


@router.post("/{customer_id}/status", response_model=CustomerOut)
async def change_status(
    customer_id: RowId, body: CustomerStatusChange, session: SessionDep, actor: Actor = Manager
) -> Customer:
    """A manager moves the customer (004 §4-§6: suspended 交易中止, past 交易过去, terminated on
    dissolution), with the reason; the change log records who and why."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.change_status, customer)
    problem = status_problem(customer.status, body.status)
    if problem:
        raise Conflict(problem)
    old = customer.status
    customer.status = body.status.value
    log_change(
        session,
        customer,
        kind=ChangeKind.status,
        field="status",
        old=old,
        new=body.status.value,
        reason=body.reason,
        requested_by=actor.username,
        approved_by=actor.username,
        at=datetime.now(UTC),
    )
    await session.flush()
    return customer


@router.post("/hand-over", response_model=HandOverOut)
async def hand_over(body: CustomerHandOver, session: SessionDep, actor: Actor = HandOverRole) -> HandOverOut:
    """A leaver's customers go to a colleague, each recorded (000 §10 (四): 人员调离公司时 the
    files stay with the company; 002 rule 4 §12). A unit's manager hands over only the files they
    read (their unit and below); an administrator or the marketing manager any file."""
    if body.from_user == body.to_user:
        raise Invalid(["to_user must differ from from_user"])
    receiver = await session.scalar(select(User).where(User.username == body.to_user))
    if receiver is None or not receiver.is_active:
        raise Invalid([f"to_user {body.to_user} is not an active user"])
    theirs = looked_after_by(body.from_user)
    query = select(Customer).where(theirs, Customer.destroyed_at.is_(None)).order_by(Customer.id)
    if not actor.has(Role.admin):
        query = query.where(customer_readable(actor))
    now = datetime.now(UTC)
    moved: list[int] = []
    for customer in await session.scalars(query.with_for_update()):
        old = customer.owner_person or body.from_user
        customer.owner_person = body.to_user
        log_change(
            session,
            customer,
            kind=ChangeKind.hand_over,
            field="owner_person",
            old=old,
            new=body.to_user,
            reason=body.reason,
            requested_by=actor.username,
            approved_by=actor.username,
            at=now,
        )
        moved.append(customer.id)
    await session.flush()
    return HandOverOut(from_user=body.from_user, to_user=body.to_user, customer_ids=moved)


@router.post("/{customer_id}/destruction", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def request_destruction(
    customer_id: RowId,
    body: FileDestructionRequest,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Keeper,
) -> ProcessStateOut:
    """Destroy a past customer's file, once the manager approves (004 §6); the row, its change log
    and the audit trail stay."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.destroy_file, customer)  # 004 §6: a past file only
    start = {"reason": body.reason}
    return await _start(request, temporal, session, actor, customer, start, RecordProcess.destruction)


@router.post("/{customer_id}/survey", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def record_survey(
    customer_id: RowId,
    body: SurveyForm,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Keeper,
) -> ProcessStateOut:
    """交易开始调查书 (004 §4 (一)): filed once, before the first transaction — for a prospect or an
    active customer; the surveyor's unit head approves it (the head above for a head's own survey),
    then it is recorded on the file and reported to the general manager. Nothing is recorded before."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.survey, customer)  # a survey opens a trading relationship
    if await session.get(CustomerSurvey, customer_id) is not None:
        raise Conflict(f"customer {customer_id} already has its transaction-start survey")
    start = {"changes": survey_start(body, datetime.now(UTC)), "reason": "交易开始调查书 (004 §4 (一))"}
    return await _start(request, temporal, session, actor, customer, start, RecordProcess.survey)


@router.get("/{customer_id}/survey", response_model=SurveyOut | None)
async def get_survey(customer_id: RowId, actor: CurrentActor, session: SessionDep) -> CustomerSurvey | None:
    """The transaction-start survey once its unit head approved it, or null (004 §4 (一))."""
    await get_customer(session, actor, customer_id)
    return await session.get(CustomerSurvey, customer_id)
