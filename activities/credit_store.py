"""The credit processes' activities (000 §13; 001 信用管理措施; 003 §6), on the credit ledger.

The ledger's parts: the policy in force and a customer's standing (activities/credit_policy.py),
the overdue and risk (activities/credit_risk.py) and the booking (activities/credit_booking.py).
Their names are also reachable from here, where their callers have always imported them.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.credit_booking import Booked, book_batch, book_entry
from activities.credit_hold import RatificationDecided, settle_ratification
from activities.credit_policy import credit_standing, policy_in_force, policy_version, policy_view
from activities.credit_risk import CHINA, REVERSED, RiskChange, refresh_risk
from activities.customer_gate import customer_applying, refuse_visibly
from activities.data_errors import fails_visibly_on_bad_data
from db.models import CreditAccount, CustomerLedgerEntry
from db.session import write_transaction
from domain.credit import CreditHold, Settlement, ratification_problem
from domain.customer_gate import CustomerOperation
from domain.ledger import LedgerEntry, LedgerKind

__all__ = [
    "CHINA",
    "REVERSED",
    "Booked",
    "CreditStore",
    "RiskChange",
    "RiskSweepRequest",
    "book_batch",
    "book_entry",
    "credit_standing",
    "policy_in_force",
    "policy_version",
    "policy_view",
    "refresh_risk",
]


class RiskSweepRequest(BaseModel):
    today: date
    after_customer_id: int = 0
    limit: int = Field(default=500, ge=1, le=5000)


class CreditStore:
    """Activities of the credit processes; receives its sessionmaker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    @fails_visibly_on_bad_data
    async def book_approved_delivery(self, entry: LedgerEntry) -> int:
        """001 §3: the general manager approved a delivery beyond the limit; booked once per process."""
        if entry.process_id is None:
            raise ValueError("an approved delivery names its approval process")
        async with write_transaction(self.sessions) as session:
            existing = await session.scalar(
                select(CustomerLedgerEntry.id).where(
                    CustomerLedgerEntry.process_id == entry.process_id,
                    CustomerLedgerEntry.kind == LedgerKind.delivery.value,
                )
            )
            if existing is not None:  # a retried activity: booked already
                return existing
            await customer_applying(session, entry.customer_id, CustomerOperation.deliver)  # 004 §4-§6
            account = await session.get(CreditAccount, entry.customer_id)
            refuse_visibly(
                ratification_problem(
                    Settlement(account.settlement) if account else None,
                    CreditHold(account.credit_hold) if account and account.credit_hold else None,
                    bool(account and account.review_required),
                )
            )
            booked = await book_entry(session, entry, approved_over_limit=True)
            assert booked.entry_id is not None
            return booked.entry_id

    @activity.defn
    @fails_visibly_on_bad_data
    async def settle_ratification(self, decided: RatificationDecided) -> None:
        """001 §3: the GM ratified, or refused, deliveries an import booked beyond the limit."""
        async with write_transaction(self.sessions) as session:
            await settle_ratification(session, decided)

    @activity.defn
    @fails_visibly_on_bad_data
    async def refresh_risks(self, request: RiskSweepRequest) -> list[RiskChange]:
        """The daily sweep (003 §6): one batch of credit customers after `after_customer_id`, in
        id order; the caller continues from the last id while a full batch comes back."""
        async with write_transaction(self.sessions) as session:
            ids = (
                await session.scalars(
                    select(CreditAccount.customer_id)
                    .where(CreditAccount.customer_id > request.after_customer_id)
                    .order_by(CreditAccount.customer_id)
                    .limit(request.limit)
                )
            ).all()
            policy = await policy_in_force(session, request.today)
            return [await refresh_risk(session, cid, request.today, policy=policy) for cid in ids]
