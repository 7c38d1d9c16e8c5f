"""The customer ledger and the invoice register in the database (000 §9).

Money moves in one transaction each: the ledger row and the balance row together. A draw is one
guarded UPDATE of the balance row (`balance >= amount`): under concurrency on PostgreSQL the second
draw waits for the first's row lock and re-checks the guard, so the balance never goes below what
finance confirmed; on SQLite writes are serialised anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.customer_gate import customer_applying
from activities.data_errors import fails_visibly_on_bad_data
from db.models import CustomerBalance, CustomerLedgerEntry, InvoiceRegisterEntry
from db.session import write_transaction
from domain.customer_gate import CustomerOperation
from domain.ledger import ZERO, LedgerEntry, LedgerKind, draw_problem
from domain.unit_customers import InvoiceRegistration


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _row(entry: LedgerEntry) -> CustomerLedgerEntry:
    return CustomerLedgerEntry(
        customer_id=entry.customer_id,
        kind=entry.kind.value,
        amount=entry.amount,
        reference=entry.reference,
        occurred_at=entry.occurred_at,
        recorded_by=entry.recorded_by,
        process_id=entry.process_id,
        created_at=datetime.now(UTC),
    )


async def confirmed_balance(session: AsyncSession, customer_id: int) -> Decimal:
    found = await session.scalar(select(CustomerBalance.balance).where(CustomerBalance.customer_id == customer_id))
    return found if found is not None else ZERO


async def book_receipt(session: AsyncSession, entry: LedgerEntry) -> int:
    """A receipt finance confirmed: the ledger row and the balance, once per top-up process."""
    if entry.process_id is not None:
        existing = await session.scalar(
            select(CustomerLedgerEntry.id).where(
                CustomerLedgerEntry.process_id == entry.process_id, CustomerLedgerEntry.kind == entry.kind.value
            )
        )
        if existing is not None:  # a retried activity: booked already
            return existing
    row = _row(entry)
    session.add(row)
    table = CustomerBalance.__table__
    insert = _insert(session, table).values(
        customer_id=entry.customer_id, balance=entry.amount, updated_at=row.created_at
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.customer_id],
            set_={"balance": table.c.balance + insert.excluded.balance, "updated_at": insert.excluded.updated_at},
        )
    )
    await session.flush()
    return row.id


async def book_draw(session: AsyncSession, entry: LedgerEntry) -> tuple[int | None, str | None]:
    """A delivery against the confirmed balance (000 §9 (一) 先款后货): the entry's id, or why not."""
    if entry.kind is not LedgerKind.delivery:
        raise ValueError("a draw books a delivery")
    now = datetime.now(UTC)
    guarded = (
        update(CustomerBalance)
        .where(CustomerBalance.customer_id == entry.customer_id, CustomerBalance.balance >= entry.amount)
        .values(balance=CustomerBalance.balance - entry.amount, updated_at=now)
    )
    result: Any = await session.execute(guarded)
    if result.rowcount != 1:
        return None, draw_problem(await confirmed_balance(session, entry.customer_id), entry.amount)
    row = _row(entry)
    session.add(row)
    await session.flush()
    return row.id, None


class LedgerStore:
    """Activities of the depot and station customer processes; receives its sessionmaker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    @fails_visibly_on_bad_data
    async def book_receipt(self, entry: LedgerEntry) -> int:
        """000 §9 (一): finance confirmed the funds arrived; the customer may draw up to them, while
        its status still allows a top-up (004 §4-§6)."""
        async with write_transaction(self.sessions) as session:
            await customer_applying(session, entry.customer_id, CustomerOperation.top_up)
            return await book_receipt(session, entry)

    @activity.defn
    @fails_visibly_on_bad_data
    async def register_invoice_certificate(self, registration: InvoiceRegistration) -> int:
        """000 §9 (三): the approved customer's invoice certificate form enters the invoice register."""
        async with write_transaction(self.sessions) as session:
            existing = await session.scalar(
                select(InvoiceRegisterEntry.id).where(
                    InvoiceRegisterEntry.process_id == registration.process_id,
                    InvoiceRegisterEntry.entry == "certificate",
                )
            )
            if existing is not None:
                return existing
            row = InvoiceRegisterEntry(
                customer_id=registration.customer_id,
                process_id=registration.process_id,
                unit_code=registration.unit,
                entry="certificate",
                certificate=registration.certificate.model_dump(mode="json"),
                registered_by=registration.registered_by,
                registered_at=registration.registered_at,
            )
            session.add(row)
            await session.flush()
            return row.id
