"""The credit ledger's store (000 §13; 001 §3; 003 §6) on both databases: guarded deliveries, due
dates, the risk turning high with its notifications, the GM-approved delivery booked once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.credit_store import (
    CreditStore,
    RiskSweepRequest,
    book_entry,
    credit_standing,
    policy_in_force,
    refresh_risk,
)
from db.models import CreditAccount, Customer, CustomerLedgerEntry, Notification
from domain.credit import DrawRefusal, RiskLevel, Settlement
from domain.ledger import LedgerEntry, LedgerKind
from tests.support import random_credit_code

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def make_credit_customer(
    sessions: async_sessionmaker[AsyncSession],
    *,
    unit: str = "HQ",
    limit: Decimal | None = None,
    term_days: int = 30,
    grade: str = "B",
) -> int:
    """A customer; with `limit`, a periodic-settlement credit account (000 §13) granted to it."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        customer = Customer(
            credit_code=random_credit_code(),
            name="郑州信用测试石化有限公司",
            kind="allocation_self_sale",
            grade=grade,
            address="河南省郑州市花园路 1 号",
            legal_representative="王建国",
            phone="0371-65550000",
            card={},
            onboarding_process_id=f"credit-{uuid.uuid4()}",
            trading_since=date(2026, 1, 5),
            created_at=now,
            created_by="general_manager",
            owner_person="sales_clerk",  # the clerk who looks after it (000 §10) posts its deliveries
            unit_code=unit,
        )
        session.add(customer)
        await session.flush()
        if limit is not None:
            session.add(
                CreditAccount(
                    customer_id=customer.id,
                    settlement=Settlement.periodic.value,
                    credit_limit=limit,
                    term_days=term_days,
                    risk_level=RiskLevel.low.value,
                    overdue_amount=Decimal("0"),
                    overdue_days=0,
                    review_required=False,
                    updated_at=now,
                )
            )
        return customer.id


def entry(customer_id: int, kind: LedgerKind, amount: str, *, days_ago: int = 0, **kw: object) -> LedgerEntry:
    return LedgerEntry(
        customer_id=customer_id,
        kind=kind,
        amount=Decimal(amount),
        reference=f"REF-{uuid.uuid4().hex[:10]}",
        occurred_at=datetime.now(UTC) - timedelta(days=days_ago),
        recorded_by="finance_reviewer",
        **kw,  # type: ignore[arg-type]
    )


TODAY = date(2026, 11, 30)


async def test_the_seeded_policy_is_in_force(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        policy = await policy_in_force(session, TODAY)
    assert policy.version >= 1 and policy.max_term_days >= 1


async def test_a_prepaid_customer_draws_only_what_it_paid(sessions: async_sessionmaker[AsyncSession]) -> None:
    """000 §13 坚持先款后货: no credit account, no credit."""
    customer_id = await make_credit_customer(sessions)
    async with sessions.begin() as session:
        assert (await book_entry(session, entry(customer_id, LedgerKind.receipt, "100.00"), today=TODAY)).entry_id
        booked = await book_entry(session, entry(customer_id, LedgerKind.delivery, "60.00"), today=TODAY)
        assert booked.entry_id is not None and booked.standing.balance == Decimal("40.00")
        refused = await book_entry(session, entry(customer_id, LedgerKind.delivery, "40.01"), today=TODAY)
    assert refused.entry_id is None and refused.refusal is DrawRefusal.payment_before_goods
    assert refused.detail is not None and "short by 0.01" in refused.detail
    async with sessions() as session:
        standing = await credit_standing(session, customer_id)
        count = await session.scalar(select(func.count()).where(CustomerLedgerEntry.customer_id == customer_id))
    assert standing.settlement is Settlement.prepaid and standing.available == Decimal("40.00") and count == 2


async def test_a_credit_customer_draws_up_to_its_limit(sessions: async_sessionmaker[AsyncSession]) -> None:
    """000 §13: periodic settlement down to minus the limit; beyond it the GM approves (001 §3)."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("1000.00"), term_days=30)
    async with sessions.begin() as session:
        booked = await book_entry(session, entry(customer_id, LedgerKind.delivery, "800.00"), today=TODAY)
        assert booked.standing.outstanding == Decimal("800.00") and booked.standing.available == Decimal("200.00")
        refused = await book_entry(session, entry(customer_id, LedgerKind.delivery, "300.00"), today=TODAY)
        assert refused.refusal is DrawRefusal.over_limit
        row = await session.get(CustomerLedgerEntry, booked.entry_id)
        assert row is not None and row.due_on is not None and row.due_on >= TODAY - timedelta(days=1) + timedelta(30)
    approved = entry(customer_id, LedgerKind.delivery, "300.00", process_id=f"over-{uuid.uuid4()}")
    store = CreditStore(sessions)
    first = await store.book_approved_delivery(approved)
    assert await store.book_approved_delivery(approved) == first  # a retried activity books once
    async with sessions() as session:
        standing = await credit_standing(session, customer_id)
    assert standing.balance == Decimal("-1100.00") and standing.available == Decimal("0")


async def test_long_overdue_turns_high_blocks_credit_and_tells_finance_and_marketing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """003 §6: high risk — credit sales wait for the review; finance and the marketing manager know."""
    customer_id = await make_credit_customer(sessions, limit=Decimal("10000.00"), term_days=10)
    async with sessions.begin() as session:
        booked = await book_entry(session, entry(customer_id, LedgerKind.delivery, "100.00", days_ago=200))
    assert booked.risk is not None and booked.risk.turned_high and booked.risk.new is RiskLevel.high
    assert booked.standing.credit_blocked
    async with sessions.begin() as session:
        refused = await book_entry(session, entry(customer_id, LedgerKind.delivery, "1.00"))
        assert refused.refusal is DrawRefusal.credit_blocked
        account = await session.get(CreditAccount, customer_id)
        assert account is not None and account.review_required and account.risk_since is not None
        code = await session.scalar(select(Customer.credit_code).where(Customer.id == customer_id))
        roles = set(
            await session.scalars(
                select(Notification.recipient_role).where(Notification.notification_id.like(f"credit-high-{code}-%"))
            )
        )
    assert roles == {"finance_reviewer", "marketing_manager"}
    async with sessions.begin() as session:  # still high: no second turn, no second review
        again = await refresh_risk(session, customer_id, datetime.now(UTC).date())
    assert not again.turned_high and again.new is RiskLevel.high
    changes = await CreditStore(sessions).refresh_risks(
        RiskSweepRequest(today=TODAY, after_customer_id=customer_id - 1)
    )
    assert changes and changes[0].customer_id == customer_id
