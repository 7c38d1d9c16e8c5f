"""Each month's collection as its round opened it (`credit_collection_dues`; 000 §13, issue 20), so
that one receipt counts toward one collection only (domain.collection.allocate): the round records
what it asks of each customer beyond the older collections still open, and a collection's status
shares the customer's receipts out over the recorded months, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_risk import REVERSED
from activities.ledger_store import _insert
from db.models import CreditCollectionDue, CustomerLedgerEntry
from domain.collection import CollectionDue, RecordedDue, allocate, carried
from domain.ledger import ZERO, LedgerKind


async def recorded_dues(session: AsyncSession, customer_id: int) -> list[RecordedDue]:
    rows = await session.scalars(
        select(CreditCollectionDue)
        .where(CreditCollectionDue.customer_id == customer_id)
        .order_by(CreditCollectionDue.month)
    )
    return [RecordedDue(month=r.month, amount=r.amount, last_entry_id=r.last_entry_id) for r in rows]


async def receipts_after(session: AsyncSession, customer_id: int, after_entry_id: int) -> list[tuple[int, Decimal]]:
    """Money in after a ledger entry, in id order; a reversed receipt paid nothing (activities/ledger_reversal.py)."""
    rows = await session.execute(
        select(CustomerLedgerEntry.id, CustomerLedgerEntry.amount)
        .where(
            CustomerLedgerEntry.customer_id == customer_id,
            CustomerLedgerEntry.kind == LedgerKind.receipt.value,
            CustomerLedgerEntry.id > after_entry_id,
            ~REVERSED,
        )
        .order_by(CustomerLedgerEntry.id)
    )
    return [(entry_id, Decimal(amount)) for entry_id, amount in rows.tuples()]


async def month_received(session: AsyncSession, customer_id: int, month: str) -> Decimal | None:
    """What the recorded collection of `month` received; None when the round recorded none (a
    collection opened before dues were recorded counts every receipt since its round)."""
    dues = [d for d in await recorded_dues(session, customer_id) if d.month <= month]
    if not any(d.month == month for d in dues):
        return None
    receipts = await receipts_after(session, customer_id, min(d.last_entry_id for d in dues))
    return allocate(dues, receipts)[month]


async def record_dues(session: AsyncSession, month: str, dues: list[CollectionDue]) -> list[CollectionDue]:
    """The round's dues of `month`, recorded once: each asks what the customer owes beyond the older
    collections still missing money (none left: no new collection). A second fire of the round
    gets what the first recorded."""
    table = CreditCollectionDue.__table__
    recorded: list[CollectionDue] = []
    for due in dues:
        customer_id = due.customer.customer_id
        known = await recorded_dues(session, customer_id)
        same = next((d for d in known if d.month == month), None)
        if same is None:
            older = [d for d in known if d.month < month]
            receipts = await receipts_after(session, customer_id, min((d.last_entry_id for d in older), default=0))
            own = due.amount - carried(older, receipts)
            if own <= ZERO:
                continue
            same = RecordedDue(month=month, amount=own, last_entry_id=due.last_entry_id)
            await session.execute(
                _insert(session, table)
                .values(
                    customer_id=customer_id,
                    month=month,
                    amount=own,
                    last_entry_id=due.last_entry_id,
                    recorded_at=datetime.now(UTC),
                )
                .on_conflict_do_nothing()
            )
        recorded.append(due.model_copy(update={"amount": same.amount, "last_entry_id": same.last_entry_id}))
    return recorded
