"""A credit customer's overdue and risk, recomputed from the ledger (003 §6): turning high blocks
credit sales until a credit review decides, and tells finance and the marketing manager."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from activities.credit_policy import policy_in_force
from activities.notifications import NotificationSpec, record_notification
from db.models import CreditAccount, Customer, CustomerLedgerEntry
from domain.china_time import CHINA
from domain.credit import CreditPolicyView, Overdue, RiskLevel, overdue, risk_level
from domain.ledger import LedgerKind
from domain.roles import Role
from domain.rulebook import enforces

# 003 §6: a customer turning high risk is told to finance and to the marketing manager.
RISK_RECIPIENTS = (Role.finance_reviewer, Role.marketing_manager)


class RiskChange(BaseModel):
    customer_id: int
    old: RiskLevel
    new: RiskLevel
    turned_high: bool = False
    risk_since: datetime | None = None


def china_date(moment: datetime) -> date:
    """The China date of a moment; a naive moment (SQLite gives them back) is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


_REVERSAL = aliased(CustomerLedgerEntry)
# a reversal cancels this entry (one look-up in the unique index on reverses_id)
REVERSED = exists().where(_REVERSAL.reverses_id == CustomerLedgerEntry.id)
# an entry no reversal cancels, and no reversal itself
NOT_REVERSED = and_(CustomerLedgerEntry.reverses_id.is_(None), ~REVERSED)


async def _late(session: AsyncSession, customer_id: int, today: date) -> Overdue:
    """Overdue on `today` from the ledger (FIFO, domain.credit.overdue). Deliveries booked before
    due dates existed (the prepaid path) count as due long ago: they were paid first. An entry and
    its reversal cancel out: neither counts."""
    receipts = await session.scalar(
        select(func.coalesce(func.sum(CustomerLedgerEntry.amount), 0)).where(
            CustomerLedgerEntry.customer_id == customer_id,
            CustomerLedgerEntry.kind == LedgerKind.receipt.value,
            NOT_REVERSED,
        )
    )
    rows = await session.execute(
        select(CustomerLedgerEntry.due_on, CustomerLedgerEntry.amount)
        .where(
            CustomerLedgerEntry.customer_id == customer_id,
            CustomerLedgerEntry.kind == LedgerKind.delivery.value,
            (CustomerLedgerEntry.due_on < today) | CustomerLedgerEntry.due_on.is_(None),
            NOT_REVERSED,
        )
        .order_by(CustomerLedgerEntry.due_on.is_not(None), CustomerLedgerEntry.due_on, CustomerLedgerEntry.id)
    )
    deliveries = [(d if d is not None else date.min, Decimal(a)) for d, a in rows]
    return overdue(deliveries, Decimal(receipts or 0), today)


@enforces("003-6-high-risk-measures")
async def refresh_risk(
    session: AsyncSession, customer_id: int, today: date, *, policy: CreditPolicyView | None = None
) -> RiskChange:
    """Recompute overdue and risk (003 §6) and store them on the credit account.

    Turning high blocks credit sales until a credit review decides (`review_required`, 003 §6
    加强信用管理、控制发货量) and tells finance and the marketing manager, in this transaction.
    A prepaid customer (no account) has no credit risk to store: low.
    """
    account = await session.get(CreditAccount, customer_id)
    if account is None:
        return RiskChange(customer_id=customer_id, old=RiskLevel.low, new=RiskLevel.low)
    policy = policy or await policy_in_force(session, today)
    late = await _late(session, customer_id, today)
    old = RiskLevel(account.risk_level)
    new = risk_level(late, account.credit_limit, policy.risk)
    turned_high = new is RiskLevel.high and old is not RiskLevel.high
    now = datetime.now(UTC)
    account.risk_level = new.value
    account.overdue_amount = late.amount
    account.overdue_days = late.days
    if turned_high:
        account.review_required = True
        account.risk_since = now.replace(microsecond=0)
        customer = await session.get(Customer, customer_id)
        name = customer.name if customer else str(customer_id)
        code = customer.credit_code if customer else str(customer_id)
        for role in RISK_RECIPIENTS:
            await record_notification(
                session,
                NotificationSpec(
                    notification_id=f"credit-high-{code}-{account.risk_since:%Y%m%dT%H%M%S}-{role.value}"[:80],
                    recipient_role=role.value,
                    kind="credit_risk_high",
                    subject=f"客户 {name} 信用风险升为高: 赊销暂停, 待信用评审 (003 §6)",
                    body=(
                        f"overdue {late.amount:.2f} for {late.days} days, limit {account.credit_limit:.2f}; "
                        "credit sales wait for the credit review"
                    ),
                ),
                [],
            )
    account.updated_at = now
    await session.flush()
    return RiskChange(
        customer_id=customer_id,
        old=old,
        new=new,
        turned_high=turned_high,
        risk_since=account.risk_since if new is RiskLevel.high else None,
    )
