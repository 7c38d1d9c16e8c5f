"""The credit policy in force and a customer's credit standing (000 §13; 001 信用管理措施; 003 §6):
what the credit store books against, and what `GET /customers/{id}/credit` answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CreditAccount, CreditPolicy, Customer, CustomerBalance
from domain.credit import (
    CreditHold,
    CreditPolicyView,
    CreditStanding,
    Overdue,
    RiskLevel,
    RiskRules,
    Settlement,
    standing,
)
from domain.grading import Grade
from domain.ledger import ZERO


def policy_view(row: CreditPolicy) -> CreditPolicyView:
    return CreditPolicyView(
        version=row.version,
        effective_from=row.effective_from,
        limit_by_grade={Grade(g): Decimal(v) for g, v in row.limit_by_grade.items()},
        max_term_days=row.max_term_days,
        risk=RiskRules.model_validate(row.risk),
        collection_working_days=row.collection_working_days,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        reason=row.reason,
        process_id=row.process_id,
    )


async def policy_in_force(session: AsyncSession, on: date) -> CreditPolicyView:
    """The version with the latest `effective_from` on or before `on` (the latest such version wins)."""
    row = await session.scalar(
        select(CreditPolicy)
        .where(CreditPolicy.effective_from <= on)
        .order_by(CreditPolicy.effective_from.desc(), CreditPolicy.version.desc())
        .limit(1)
    )
    if row is None:  # before the first version: the oldest one applies
        row = await session.scalar(select(CreditPolicy).order_by(CreditPolicy.version).limit(1))
    if row is None:
        raise LookupError("no credit policy: migration 0015 seeds version 1")
    return policy_view(row)


async def policy_version(session: AsyncSession, version: int) -> CreditPolicyView:
    """One version of the policy, in force or not: the one a running case pinned at its start."""
    row = await session.get(CreditPolicy, version)
    if row is None:
        raise LookupError(f"no credit policy version {version}")
    return policy_view(row)


async def credit_standing(session: AsyncSession, customer_id: int) -> CreditStanding:
    """What `GET /customers/{id}/credit` answers; prepaid defaults without a credit account."""
    found = (
        await session.execute(
            select(Customer.grade, CustomerBalance.balance, CreditAccount)
            .select_from(Customer)
            .outerjoin(CustomerBalance, CustomerBalance.customer_id == Customer.id)
            .outerjoin(CreditAccount, CreditAccount.customer_id == Customer.id)
            .where(Customer.id == customer_id)
        )
    ).first()
    if found is None:
        raise LookupError(f"customer {customer_id} not found")
    grade, balance, account = found
    balance = balance if balance is not None else ZERO
    if account is None:
        return standing(
            customer_id=customer_id,
            settlement=Settlement.prepaid,
            limit=ZERO,
            term_days=0,
            balance=balance,
            late=Overdue(),
            grade=grade,
            risk=RiskLevel.low,
            blocked=False,
        )
    return standing(
        customer_id=customer_id,
        settlement=Settlement(account.settlement),
        limit=account.credit_limit,
        term_days=account.term_days,
        balance=balance,
        late=Overdue(amount=account.overdue_amount, days=account.overdue_days),
        grade=grade,
        risk=RiskLevel(account.risk_level),
        blocked=account.review_required,
        collateral=account.collateral,
        collector=account.collector,
        hold=CreditHold(account.credit_hold) if account.credit_hold else None,
    )
