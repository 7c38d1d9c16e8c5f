"""P5 credit (000 §13; 001 信用管理措施; 003 §6): the credit standing of a customer, ledger postings
with the credit guard, the credit lists, the credit policy (read here; changed only through
`POST /rule-changes`, api/routes/rule_changes.py), and the ERP ledger import.

A delivery beyond what the customer may take is refused with 409 and the figures: `payment_before_goods`
(a prepaid customer, 000 §13 先款后货), `credit_blocked` (high risk, 003 §6) or `over_limit` (a credit
customer past its limit: the general manager's approval is started at once, 001 §3, and its process
id comes back as `approval_process_id`).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.credit_hold import hold_credit
from activities.credit_store import (
    Booked,
    RiskChange,
    book_batch,
    book_entry,
    credit_standing,
    policy_in_force,
    policy_view,
)
from activities.ledger_reversal import ReversalRefused, reverse_entry
from api import ledger_import
from api.collection_signal import signal_collection
from api.credit_review_start import start_credit_review
from api.deps import CurrentActor, SessionDep, TemporalDep, release_session, require_any_role
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.idempotency import answer_in, idempotent
from api.over_limit import start_import_follow_up, start_over_limit_approval
from api.params import Offset, RowId
from api.visibility import get_customer
from db.models import CreditAccount, CreditPolicy, Customer, CustomerBalance, LedgerImport, Process
from db.session import write_transaction
from domain.china_time import ChinaTime
from domain.collection import PROCESS_TYPE as COLLECTION_PROCESS_TYPE
from domain.credit import (
    CreditCustomer,
    CreditPolicyView,
    CreditReviewInput,
    CreditStanding,
    DrawRefusal,
    ReviewOccasion,
    RiskLevel,
    Settlement,
)
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.examples import PAST_MOMENT, examples
from domain.import_credit import Beyond, FollowUp
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import Actor, ProcessStatus
from domain.roles import CREDIT_DESK, Role
from domain.text import Moment, StoredText

router = APIRouter(tags=["credit"])
log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
FUTURE_SLACK = timedelta(minutes=5)  # an ERP fact may be dated in the past, never tomorrow

CreditDesk = Depends(require_any_role(*CREDIT_DESK))
# Receipts: finance confirms funds arrived (000 §9 (一)); deliveries also the clerks and the unit managers.
Poster = Depends(require_any_role(Role.finance_reviewer, Role.sales_clerk, Role.depot_manager, Role.station_manager))
Importer = Depends(require_any_role(Role.finance_reviewer))
# 004 §4-§6: goods go only to a trading customer; money owed is received whatever the status.
LEDGER_OPERATION = {LedgerKind.delivery: CustomerOperation.deliver, LedgerKind.receipt: CustomerOperation.collect}
PageLimit = Annotated[int, Query(ge=1, le=500, description="rows per page")]


class LedgerPostIn(BaseModel):
    """A ledger posting: goods delivered or money received; `occurred_at` may lie in the past (an ERP fact)."""

    model_config = examples(
        {"kind": "receipt", "amount": "120000.00", "reference": "ICBC-20250318-00871", "occurred_at": PAST_MOMENT}
    )

    kind: LedgerKind
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    reference: StoredText = Field(min_length=1, max_length=100, description="the ERP's document number")
    occurred_at: Moment


class LedgerPostedOut(BaseModel):
    id: int
    customer_id: int
    kind: LedgerKind
    amount: Decimal
    reference: str
    occurred_at: ChinaTime
    due_on: date | None = Field(description="when a delivery falls due: the day itself prepaid, + the term on credit")
    recorded_by: str
    balance_after: Decimal
    standing: CreditStanding


class CreditRefusalOut(BaseModel):
    """409 of `POST /customers/{id}/ledger`: why the delivery was refused, with the figures."""

    error: str = Field(
        description="payment_before_goods | credit_blocked | credit_held | over_limit (or conflict: a replayed key)"
    )
    detail: Any
    approval_process_id: str | None = Field(default=None, description="over_limit: the GM approval started (001 §3)")


class CreditRefused(Conflict):
    def __init__(self, refusal: DrawRefusal, detail: str, approval_process_id: str | None) -> None:
        extra = {"approval_process_id": approval_process_id} if refusal is DrawRefusal.over_limit else {}
        super().__init__(detail, **extra)
        self.error = refusal.value


class CreditCustomerOut(BaseModel):
    customer_id: int
    credit_code: str
    name: str
    unit: str
    settlement: Settlement
    limit: Decimal
    balance: Decimal
    outstanding: Decimal
    over_limit_by: Decimal
    risk_level: RiskLevel
    overdue_amount: Decimal
    overdue_days: int
    credit_blocked: bool


class CreditCustomerPage(BaseModel):
    items: list[CreditCustomerOut]
    offset: int
    limit: int


def _today() -> date:
    return datetime.now(CHINA).date()


async def _start_over_limit(
    temporal: Client, task_queue: str, customer: Customer, entry: LedgerEntry, booked: Booked, actor: Actor
) -> str:
    """001 §3: the general manager approves a delivery beyond the limit (api/over_limit.py)."""
    return await start_over_limit_approval(
        temporal, task_queue, _subject(customer), entry, booked.standing, booked.detail or "", actor
    )


def _subject(customer: Customer) -> CreditCustomer:
    return CreditCustomer(
        customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
    )


async def _review_if_high(temporal: Client, task_queue: str, customer: Customer, risk: RiskChange | None) -> None:
    """003 §6: the risk turned high — the credit review starts now (best effort: the daily sweep
    starts it otherwise; the review's id makes a second start harmless)."""
    if risk is None or not risk.turned_high or risk.risk_since is None:
        return
    review = CreditReviewInput(
        customer=_subject(customer), occasion=ReviewOccasion.risk, key=risk.risk_since.strftime("%Y%m%dT%H%M%S")
    )
    try:
        await start_credit_review(temporal, task_queue, review)
    except Exception:  # Temporal down: the booking stands, the sweep starts the review
        log.exception("credit review of customer %s not started; the daily sweep will", customer.id)


async def _open_collections(session: AsyncSession, customer_ids: set[int]) -> list[str]:
    """The month-end collections still open for these customers, whatever month they are of."""
    if not customer_ids:
        return []
    query = select(Process.workflow_id).where(
        Process.process_type == COLLECTION_PROCESS_TYPE,
        Process.customer_id.in_(customer_ids),
        Process.status == ProcessStatus.running.value,
    )
    return list(await session.scalars(query))


async def _tell_collections(temporal: Client, workflow_ids: list[str]) -> None:
    """000 §13: a receipt may pay a month-end collection, which then closes its task itself (best
    effort: the collector's approval re-checks the receipts anyway)."""
    for workflow_id in workflow_ids:
        try:
            await signal_collection(temporal, workflow_id)
        except Exception:  # Temporal unavailable: the booking stands
            log.exception("month-end collection %s not told of the receipt", workflow_id)


@router.get("/customers/{customer_id}/credit", response_model=CreditStanding)
async def read_credit(customer_id: RowId, session: SessionDep, actor: CurrentActor) -> CreditStanding:
    """The customer's credit standing: terms, balance, outstanding, available, overdue, risk (000 §13, 003 §6)."""
    customer = await get_customer(session, actor, customer_id)
    return await credit_standing(session, customer.id)


@router.post(
    "/customers/{customer_id}/ledger",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerPostedOut,
    responses={409: {"model": CreditRefusalOut, "description": "the delivery is refused: why, with the figures"}},
)
@idempotent
async def post_ledger(
    customer_id: RowId,
    body: LedgerPostIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Poster,
) -> LedgerPostedOut:
    """Book a delivery or a receipt. Receipts: finance only (000 §9 (一) 确认款项到账). Deliveries:
    within what is available (000 §13), else 409 with the reason and the figures."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(LEDGER_OPERATION[body.kind], customer)
    if body.occurred_at > datetime.now(UTC) + FUTURE_SLACK:
        raise Invalid(["occurred_at lies in the future: a posting records what happened"])
    if body.kind is LedgerKind.receipt and not actor.has(Role.finance_reviewer):
        raise Forbidden("receipts are confirmed by finance (000 §9 (一))")
    entry = LedgerEntry(
        customer_id=customer.id,
        kind=body.kind,
        amount=body.amount,
        reference=body.reference,
        occurred_at=body.occurred_at,
        recorded_by=actor.username,
    )
    await release_session()  # the request's reads end before the write queues
    async with write_transaction(request.app.state.sessions) as writer:
        booked = await book_entry(writer, entry, today=_today())
        receipt = body.kind is LedgerKind.receipt and booked.entry_id is not None
        collections = await _open_collections(writer, {customer.id}) if receipt else []
        if booked.entry_id is not None:
            posted = LedgerPostedOut(
                id=booked.entry_id,
                **entry.model_dump(exclude={"process_id"}),
                due_on=booked.due_on,
                balance_after=booked.standing.balance,
                standing=booked.standing,
            )
            await answer_in(writer, posted)  # the booking and its Idempotency-Key commit together
    task_queue = request.app.state.task_queue
    if booked.entry_id is None:
        assert booked.refusal is not None
        approval = None
        if booked.refusal is DrawRefusal.over_limit:
            try:
                approval = await _start_over_limit(temporal, task_queue, customer, entry, booked, actor)
            except Exception:  # Temporal unavailable: still the 409 with its figures, without an approval
                log.exception("over-limit approval for customer %s not started", customer.id)
                booked.detail = f"{booked.detail}; the GM approval could not be started now: post again later"
        raise CreditRefused(booked.refusal, booked.detail or "", approval)
    await _review_if_high(temporal, task_queue, customer, booked.risk)
    await _tell_collections(temporal, collections)
    return posted


ZERO = Decimal("0.00")
# The columns a credit list shows: columns, not whole rows (a customer's card is large JSON).
_BALANCE = func.coalesce(CustomerBalance.balance, 0)
_LIMIT = func.coalesce(CreditAccount.credit_limit, 0)
_LIST = select(
    Customer.id,
    Customer.credit_code,
    Customer.name,
    Customer.unit_code,
    CreditAccount.settlement,
    _LIMIT,
    _BALANCE,
    CreditAccount.risk_level,
    CreditAccount.overdue_amount,
    CreditAccount.overdue_days,
    CreditAccount.review_required,
)


def _credit_rows(offset: int, limit: int) -> Any:
    return (
        _LIST.select_from(Customer)
        .outerjoin(CreditAccount, CreditAccount.customer_id == Customer.id)
        .outerjoin(CustomerBalance, CustomerBalance.customer_id == Customer.id)
        .offset(offset)
        .limit(limit)
    )


def _row_out(row: Any) -> CreditCustomerOut:
    cid, code, name, unit, settlement, limit, balance, risk, overdue_amount, overdue_days, blocked = row
    limit, balance = Decimal(limit), Decimal(balance)
    outstanding = -balance if balance < 0 else ZERO
    return CreditCustomerOut(
        customer_id=cid,
        credit_code=code,
        name=name,
        unit=unit,
        settlement=Settlement(settlement or Settlement.prepaid.value),
        limit=limit,
        balance=balance,
        outstanding=outstanding,
        over_limit_by=max(outstanding - limit, ZERO),
        risk_level=RiskLevel(risk or RiskLevel.low.value),
        overdue_amount=overdue_amount if overdue_amount is not None else ZERO,
        overdue_days=overdue_days or 0,
        credit_blocked=bool(blocked),
    )


@router.get("/credit/over-limit", response_model=CreditCustomerPage)
async def over_limit(
    session: SessionDep, offset: Offset = 0, limit: PageLimit = 100, actor: Actor = CreditDesk
) -> CreditCustomerPage:
    """Customers owing more than their limit (balance below minus the limit), furthest over first:
    deliveries the GM approved (001 §3) and ERP imports booked beyond the limit show here."""
    query = _credit_rows(offset, limit)
    query = query.where(CustomerBalance.balance + _LIMIT < 0).order_by(_BALANCE + _LIMIT, Customer.id)
    rows = (await session.execute(query)).all()
    return CreditCustomerPage(items=[_row_out(row) for row in rows], offset=offset, limit=limit)


@router.get("/credit/customers", response_model=CreditCustomerPage)
async def credit_customers(
    session: SessionDep,
    risk: Annotated[RiskLevel | None, Query(description="only customers of this risk level (003 §6)")] = None,
    offset: Offset = 0,
    limit: PageLimit = 100,
    actor: Actor = CreditDesk,
) -> CreditCustomerPage:
    """The customers with credit terms (000 §13), by risk level (003 §6 高/中/低)."""
    query = _credit_rows(offset, limit).where(CreditAccount.customer_id.is_not(None)).order_by(Customer.id)
    if risk is not None:
        query = query.where(CreditAccount.risk_level == risk.value)
    rows = (await session.execute(query)).all()
    return CreditCustomerPage(items=[_row_out(row) for row in rows], offset=offset, limit=limit)


@router.get("/credit/policy", response_model=CreditPolicyView)
async def read_policy(
    session: SessionDep,
    actor: CurrentActor,
    on: Annotated[date | None, Query(description="the day whose policy is wanted; default today")] = None,
) -> CreditPolicyView:
    """The credit policy in force on `on` (001 信用审核: revised at year end; numbers are configuration)."""
    return await policy_in_force(session, on or _today())


@router.get("/credit/policy/versions", response_model=list[CreditPolicyView])
async def policy_versions(session: SessionDep, actor: CurrentActor) -> list[CreditPolicyView]:
    """Every version of the credit policy, oldest first: a past decision stays explained by its version."""
    rows = await session.scalars(select(CreditPolicy).order_by(CreditPolicy.version))
    return [policy_view(row) for row in rows]


class ImportFollowUpOut(BaseModel):
    """A customer the import took beyond what it had available, and the process that answers for it."""

    customer_id: int
    follow_up: FollowUp = Field(description="ratification: the GM ratifies (001 §3); finance: a prepaid overdraw")
    rows: list[int] = Field(description="the file's rows that went beyond (as numbered in the file)")
    amount: Decimal
    process_id: str | None = Field(description="the GM's ratification or finance's task; null: Temporal was down")


class ImportOut(BaseModel):
    import_id: int
    format: str
    rows: int
    results: list[ledger_import.RowResult]
    follow_ups: list[ImportFollowUpOut] = []


@router.post("/ledger/imports", status_code=status.HTTP_201_CREATED, response_model=ImportOut)
@idempotent
async def import_ledger(
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or .xlsx with the columns of api/ledger_import.py")],
    actor: Actor = Importer,
) -> ImportOut:
    """Finance imports its ERP ledger: every row checked first; one bad row → 422 naming each bad
    row and nothing booked; else every row booked in one transaction (api/ledger_import.py).

    Deliveries beyond what a customer had available are booked (facts) and answered for
    (domain/import_credit.py): the GM's ratification for a credit customer, whose credit is held
    until then (001 §3), a finance task for an overdrawn prepaid balance (000 §9 (一)); `follow_ups`
    names them. Takes an `Idempotency-Key`; sent again without one, every reference is found booked
    already and the whole file is refused, nothing twice."""
    content = await file.read(ledger_import.MAX_BYTES + 1)
    filename = (file.filename or "upload")[:200]
    try:
        parsed = ledger_import.parse(filename, content)
    except ledger_import.ImportProblem as exc:
        raise Invalid([str(exc)]) from None
    if not parsed.rows:
        raise Invalid(["the file holds no data rows"])
    checked = await ledger_import.check(session, parsed, actor.username)
    if checked.bad:
        bad = [row.model_dump(mode="json", exclude={"entry_id", "warning"}) for row in checked.bad]
        raise Invalid({"message": f"{len(bad)} bad rows: nothing imported", "rows": bad})
    await release_session()
    async with write_transaction(request.app.state.sessions) as writer:
        touched = sorted({e.customer_id for e in checked.entries})
        standings = {cid: await credit_standing(writer, cid) for cid in touched}
        beyond = ledger_import.beyond(standings, checked.entries, checked.results)
        record = LedgerImport(
            filename=filename,
            format=parsed.format,
            rows=len(checked.entries),
            imported_by=actor.username,
            imported_at=datetime.now(UTC),
        )
        writer.add(record)
        await writer.flush()
        ids, risks = await book_batch(writer, checked.entries, import_id=record.id, today=_today())
        await hold_credit(writer, [b.customer_id for b in beyond if b.follow_up is FollowUp.ratification])
        high = [r for r in risks if r.turned_high]
        named = {r.customer_id for r in high} | {b.customer_id for b in beyond}
        customers = {c.id: c for c in await writer.scalars(select(Customer).where(Customer.id.in_(named)))}
        collections = await _open_collections(
            writer, {e.customer_id for e in checked.entries if e.kind is LedgerKind.receipt}
        )
    for result, entry_id in zip(checked.results, ids, strict=True):
        result.entry_id = entry_id
    task_queue = request.app.state.task_queue
    follow_ups = [
        await _answer_for(temporal, task_queue, customers[b.customer_id], b, standings[b.customer_id], record, actor)
        for b in beyond
    ]
    for risk in high:
        await _review_if_high(temporal, task_queue, customers[risk.customer_id], risk)
    await _tell_collections(temporal, collections)
    return ImportOut(
        import_id=record.id, format=parsed.format, rows=len(ids), results=checked.results, follow_ups=follow_ups
    )


async def _answer_for(
    temporal: Client,
    task_queue: str,
    customer: Customer,
    beyond: Beyond,
    standing: CreditStanding,
    record: LedgerImport,
    actor: Actor,
) -> ImportFollowUpOut:
    """Start the GM's ratification or finance's task for one customer the import took beyond (best
    effort after the booking: with Temporal down the rows stay booked, warned and, for credit, held)."""
    process_id: str | None = None
    try:
        process_id = await start_import_follow_up(
            temporal, task_queue, _subject(customer), beyond, standing, record.id, actor
        )
    except Exception:
        log.exception("follow-up of import %s for customer %s not started", record.id, customer.id)
    return ImportFollowUpOut(
        customer_id=beyond.customer_id,
        follow_up=beyond.follow_up,
        rows=beyond.rows,
        amount=beyond.amount,
        process_id=process_id,
    )


class ReversalIn(BaseModel):
    model_config = examples({"reason": "银行回单金额录入错误, 冲正后重新入账"})

    reason: StoredText = Field(min_length=1, max_length=500, description="why the entry was wrong (audited)")


class ReversalOut(LedgerPostedOut):
    reverses_id: int = Field(description="the entry this one reverses")


@router.post("/customers/{customer_id}/ledger/{entry_id}/reversal", status_code=201, response_model=ReversalOut)
@idempotent
async def reverse_ledger_entry(
    customer_id: RowId,
    entry_id: RowId,
    body: ReversalIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Importer,
) -> ReversalOut:
    """Finance corrects a ledger entry by a reversing entry of the opposite kind, linked to it, with
    its reason in the admin audit log — never by an edit (activities/ledger_reversal.py). 409 for an
    entry reversed already, or itself a reversal; 404 for an entry that is not the customer's."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    await release_session()
    try:
        async with write_transaction(request.app.state.sessions) as writer:
            booked, entry = await reverse_entry(writer, customer.id, entry_id, body.reason, actor.username, _today())
            money_in = entry.kind is LedgerKind.receipt
            collections = await _open_collections(writer, {customer.id}) if money_in else []
            assert booked.entry_id is not None
            answer = ReversalOut(
                id=booked.entry_id,
                **entry.model_dump(exclude={"process_id"}),
                due_on=booked.due_on,
                balance_after=booked.standing.balance,
                standing=booked.standing,
                reverses_id=entry_id,
            )
            await answer_in(writer, answer)  # the reversal and its key's answer commit together
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    except ReversalRefused as exc:
        raise Conflict(str(exc)) from None
    except IntegrityError:  # a concurrent reversal of the same entry won (uq_customer_ledger_reverses)
        raise Conflict("the entry is reversed already: an entry is reversed once") from None
    await _review_if_high(temporal, request.app.state.task_queue, customer, booked.risk)
    await _tell_collections(temporal, collections)
    return answer
