"""Reversing a ledger entry (issue 20; 000 §9 (一), §13): a correction is a new entry of the opposite
kind linked to the original (`customer_ledger.reverses_id`, unique: once only), booked without the
credit guard (it undoes a booking, it draws nothing), with an admin-audit row, in one transaction.

Reading chosen: the reversed pair drops out of the overdue reckoning (activities/credit_risk._late),
and a delivery's reversal counts as money in for a month-end collection, a receipt's reversal as
money not received (activities/collection_store.collection_status)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_booking import Booked, book_entry
from db.models import AdminAudit, CustomerLedgerEntry
from domain.ledger import OPPOSITE, LedgerEntry, LedgerKind, reversal_problem, reversal_reference


class ReversalRefused(Exception):
    """The entry may not be reversed (domain.ledger.reversal_problem): a 409."""


def _fields(row: CustomerLedgerEntry) -> dict[str, object]:
    return {
        "entry_id": row.id,
        "customer_id": row.customer_id,
        "kind": row.kind,
        "amount": str(row.amount),
        "reference": row.reference,
        "occurred_at": row.occurred_at.isoformat(),
        "recorded_by": row.recorded_by,
    }


async def reverse_entry(
    session: AsyncSession, customer_id: int, entry_id: int, reason: str, actor: str, today: date
) -> tuple[Booked, LedgerEntry]:
    """Book the reversal of `entry_id` (of `customer_id`): what was booked, and the reversing entry.
    LookupError when no such entry is the customer's, ReversalRefused when it may not be reversed."""
    original = await session.scalar(
        select(CustomerLedgerEntry).where(
            CustomerLedgerEntry.id == entry_id, CustomerLedgerEntry.customer_id == customer_id
        )
    )
    if original is None:
        raise LookupError(f"customer {customer_id} has no ledger entry {entry_id}")
    reversed_by = await session.scalar(
        select(CustomerLedgerEntry.id).where(CustomerLedgerEntry.reverses_id == entry_id)
    )
    problem = reversal_problem(is_reversal=original.reverses_id is not None, reversed_by=reversed_by)
    if problem:
        raise ReversalRefused(problem)
    now = datetime.now(UTC)
    reversal = LedgerEntry(
        customer_id=customer_id,
        kind=OPPOSITE[LedgerKind(original.kind)],
        amount=original.amount,
        reference=reversal_reference(entry_id, original.reference),
        occurred_at=now,
        recorded_by=actor,
    )
    booked = await book_entry(session, reversal, approved_over_limit=True, reverses_id=entry_id, today=today)
    assert booked.entry_id is not None
    row = await session.get(CustomerLedgerEntry, booked.entry_id)
    assert row is not None
    session.add(
        AdminAudit(
            actor=actor,
            at=now,
            action="ledger_reversal",
            target=f"customer {customer_id} entry {entry_id}",
            before=_fields(original),
            after=_fields(row) | {"reverses_id": entry_id, "reason": reason},
        )
    )
    await session.flush()
    return booked, reversal
