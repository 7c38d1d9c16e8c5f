"""Month-end collection reads (000 §13): the calendar's month end, who owes money, what came in.

The round records each month's dues (activities/collection_dues.py: one receipt counts toward one
collection); the collection writes nothing else beyond its process row and tasks (the engine's
sync). Receipts "since the round" are the ledger rows booked after the last entry the round saw,
so no clock (the workflow's, the database's) decides what counts.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.calendar import load_calendar
from activities.collection_dues import month_received, record_dues
from activities.credit_policy import policy_in_force
from activities.credit_risk import REVERSED
from db.models import CreditAccount, Customer, CustomerBalance, CustomerLedgerEntry
from db.session import write_transaction
from domain.calendar import WorkingCalendar
from domain.collection import (
    OWES_BELOW,
    CollectionCheck,
    CollectionDue,
    CollectionStatus,
    DuePage,
    MonthEnd,
    remaining,
)
from domain.credit import CreditCustomer
from domain.ledger import ZERO, LedgerKind


def month_end(calendar: WorkingCalendar, day: date) -> MonthEnd:
    """Whether `day` is the last working day of its month; a year beyond the official schedule (and
    not maintained by an administrator) is judged by weekends only, and said to be provisional."""
    last = date(day.year, day.month, monthrange(day.year, day.month)[1])
    while not calendar.is_working_day(last) and last.day > 1:
        last -= timedelta(days=1)
    return MonthEnd(
        day=day,
        last_working_day=last,
        is_last=day == last and calendar.is_working_day(day),
        provisional=not calendar.is_known_year(day.year),
    )


async def due_customers(session: AsyncSession, page: DuePage) -> list[CollectionDue]:
    """Every customer with an outstanding amount (a balance below zero), by id, one page — whatever
    its terms now (domain.collection.OWES_BELOW, 000 §13)."""
    last_entry = (
        select(func.max(CustomerLedgerEntry.id))
        .where(CustomerLedgerEntry.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Customer, CreditAccount.collector, CustomerBalance.balance, last_entry)
        .join(CustomerBalance, CustomerBalance.customer_id == Customer.id)
        .outerjoin(CreditAccount, CreditAccount.customer_id == Customer.id)
        .where(
            CustomerBalance.balance < OWES_BELOW,
            Customer.id > page.after_customer_id,
        )
        .order_by(Customer.id)
        .limit(page.limit)
    )
    return [
        CollectionDue(
            customer=CreditCustomer(
                customer_id=customer.id, credit_code=customer.credit_code, name=customer.name, unit=customer.unit_code
            ),
            amount=-balance,
            collector=collector,
            last_entry_id=entry_id or 0,
        )
        for customer, collector, balance, entry_id in rows.all()
    ]


async def collection_status(session: AsyncSession, check: CollectionCheck) -> CollectionStatus:
    """The month's figures; with the month's due recorded, receipts counted once over the months
    (activities/collection_dues.py), else every receipt since the round (collections opened before)."""
    shared = await month_received(session, check.customer_id, check.month) if check.month else None
    received = (
        shared
        if shared is not None
        else await session.scalar(
            select(func.coalesce(func.sum(CustomerLedgerEntry.amount), 0)).where(
                CustomerLedgerEntry.customer_id == check.customer_id,
                CustomerLedgerEntry.kind == LedgerKind.receipt.value,
                CustomerLedgerEntry.id > check.after_entry_id,
                ~REVERSED,  # a reversed receipt paid nothing
            )
        )
    )
    balance = await session.scalar(
        select(CustomerBalance.balance).where(CustomerBalance.customer_id == check.customer_id)
    )
    got = Decimal(received or 0)
    return CollectionStatus(
        amount=check.amount,
        received=got,
        remaining=remaining(check.amount, got),
        balance=balance if balance is not None else ZERO,
    )


class CollectionStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    async def collection_month_end(self, day: date) -> MonthEnd:
        async with self.sessions() as session:
            calendar = await load_calendar(session)
        return month_end(calendar, day)

    @activity.defn
    async def collection_working_days(self, day: date) -> int:
        """The collector's deadline, from the credit policy in force on the round's day."""
        async with self.sessions() as session:
            return (await policy_in_force(session, day)).collection_working_days

    @activity.defn
    async def collections_due(self, page: DuePage) -> list[CollectionDue]:
        """One page of customers owing money; with the round's month, their dues recorded (issue 20)."""
        if page.month is None:  # a round of an older history
            async with self.sessions() as session:
                return await due_customers(session, page)
        async with write_transaction(self.sessions) as session:
            return await record_dues(session, page.month, await due_customers(session, page))

    @activity.defn
    async def collection_status(self, check: CollectionCheck) -> CollectionStatus:
        async with self.sessions() as session:
            return await collection_status(session, check)
