"""P5 credit (000 §13; 001 信用管理措施; 003 §6) as a service: a customer's credit standing, a
ledger posting with the credit guard, its reversal, the credit lists and the policy's versions.

A delivery beyond what the customer may take is refused with `CreditRefused` (409) and the figures:
`payment_before_goods` (a prepaid customer, 000 §13 先款后货), `credit_blocked` (high risk, 003 §6)
or `over_limit` (a credit customer past its limit: the general manager's approval is started at
once, 001 §3, and its process id comes back as `approval_process_id`)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_store import book_entry, credit_standing, policy_in_force, policy_view
from activities.ledger_reversal import ReversalRefused, reverse_entry
from api.deps import release_session
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.idempotency import answer_in
from api.services.backends import Backends
from api.services.credit_effects import open_collections, review_if_high, start_over_limit, tell_collections
from api.visibility import get_customer
from db.models import CreditAccount, CreditPolicy, Customer, CustomerBalance
from db.session import write_transaction
from domain.china_time import CHINA, ChinaTime
from domain.credit import CreditPolicyView, CreditStanding, DrawRefusal, RiskLevel, Settlement
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.examples import PAST_MOMENT, examples
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import Actor
from domain.roles import Role
from domain.text import Moment, StoredText

log = logging.getLogger(__name__)
FUTURE_SLACK = timedelta(minutes=5)  # an ERP fact may be dated in the past, never tomorrow
# 004 §4-§6: goods go only to a trading customer; money owed is received whatever the status.
LEDGER_OPERATION = {LedgerKind.delivery: CustomerOperation.deliver, LedgerKind.receipt: CustomerOperation.collect}


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


class ReversalIn(BaseModel):
    model_config = examples({"reason": "银行回单金额录入错误, 冲正后重新入账"})

    reason: StoredText = Field(min_length=1, max_length=500, description="why the entry was wrong (audited)")


class ReversalOut(LedgerPostedOut):
    reverses_id: int = Field(description="the entry this one reverses")


def today() -> date:
    return datetime.now(CHINA).date()


async def read_standing(session: AsyncSession, actor: Actor, customer_id: int) -> CreditStanding:
    """The standing of a customer `actor` may read (404 otherwise)."""
    customer = await get_customer(session, actor, customer_id)
    return await credit_standing(session, customer.id)


async def post_entry(
    session: AsyncSession, backends: Backends, actor: Actor, customer_id: int, body: LedgerPostIn
) -> LedgerPostedOut:
    """Book a delivery or a receipt on a file `actor` keeps (never through a loan). Receipts: finance
    only (000 §9 (一) 确认款项到账). Deliveries: within what is available (000 §13), else `CreditRefused`."""
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
    async with write_transaction(backends.sessions) as writer:
        booked = await book_entry(writer, entry, today=today())
        receipt = body.kind is LedgerKind.receipt and booked.entry_id is not None
        collections = await open_collections(writer, {customer.id}) if receipt else []
        if booked.entry_id is not None:
            posted = LedgerPostedOut(
                id=booked.entry_id,
                **entry.model_dump(exclude={"process_id"}),
                due_on=booked.due_on,
                balance_after=booked.standing.balance,
                standing=booked.standing,
            )
            await answer_in(writer, posted)  # the booking and its Idempotency-Key commit together
    if booked.entry_id is None:
        assert booked.refusal is not None
        approval = None
        if booked.refusal is DrawRefusal.over_limit:
            try:
                approval = await start_over_limit(backends, customer, entry, booked, actor)
            except Exception:  # Temporal unavailable: still the 409 with its figures, without an approval
                log.exception("over-limit approval for customer %s not started", customer.id)
                booked.detail = f"{booked.detail}; the GM approval could not be started now: post again later"
        raise CreditRefused(booked.refusal, booked.detail or "", approval)
    await review_if_high(backends, customer, booked.risk)
    await tell_collections(backends.temporal, collections)
    return posted


async def reverse(
    session: AsyncSession, backends: Backends, actor: Actor, customer_id: int, entry_id: int, reason: str
) -> ReversalOut:
    """A reversing entry of the opposite kind, linked to `entry_id`, its reason audited
    (activities/ledger_reversal.py): 409 for an entry reversed already or itself a reversal, 404 for
    an entry that is not the customer's."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    await release_session()
    try:
        async with write_transaction(backends.sessions) as writer:
            booked, entry = await reverse_entry(writer, customer.id, entry_id, reason, actor.username, today())
            money_in = entry.kind is LedgerKind.receipt
            collections = await open_collections(writer, {customer.id}) if money_in else []
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
    await review_if_high(backends, customer, booked.risk)
    await tell_collections(backends.temporal, collections)
    return answer


# --- the credit lists (000 §13, 001 §3, 003 §6) -----------------------------------------------------

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


async def over_limit_page(session: AsyncSession, offset: int, limit: int) -> CreditCustomerPage:
    """Customers owing more than their limit, furthest over first (001 §3)."""
    query = _credit_rows(offset, limit)
    query = query.where(CustomerBalance.balance + _LIMIT < 0).order_by(_BALANCE + _LIMIT, Customer.id)
    rows = (await session.execute(query)).all()
    return CreditCustomerPage(items=[_row_out(row) for row in rows], offset=offset, limit=limit)


async def credit_customers_page(
    session: AsyncSession, risk: RiskLevel | None, offset: int, limit: int
) -> CreditCustomerPage:
    """The customers with credit terms (000 §13), of one risk level if asked (003 §6)."""
    query = _credit_rows(offset, limit).where(CreditAccount.customer_id.is_not(None)).order_by(Customer.id)
    if risk is not None:
        query = query.where(CreditAccount.risk_level == risk.value)
    rows = (await session.execute(query)).all()
    return CreditCustomerPage(items=[_row_out(row) for row in rows], offset=offset, limit=limit)


async def policy_on(session: AsyncSession, on: date | None) -> CreditPolicyView:
    """The credit policy in force on `on`, today by default."""
    return await policy_in_force(session, on or today())


async def policy_versions(session: AsyncSession) -> list[CreditPolicyView]:
    """Every version of the credit policy, oldest first."""
    rows = await session.scalars(select(CreditPolicy).order_by(CreditPolicy.version))
    return [policy_view(row) for row in rows]
