"""Booking on the credit ledger (000 §13; 001 信用管理措施 §3; 003 §6).

One running balance per customer (`customer_balances`, receipts minus deliveries) and the credit
terms beside it (`credit_accounts`; no row: payment before goods). A delivery is ONE guarded UPDATE
of the balance row whose WHERE embeds what the customer may take (balance plus the usable limit,
read from `credit_accounts` by a correlated subquery): on PostgreSQL a concurrent posting waits for
the row lock and re-checks the guard, on SQLite writes are serialised, so no update is lost and no
customer is overdrawn. After every booking the risk (003 §6) is recomputed in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from activities.credit_policy import credit_standing, policy_in_force
from activities.credit_risk import CHINA, RiskChange, china_date, refresh_risk
from activities.ledger_store import _insert
from activities.ledger_store import _row as ledger_row
from db.models import CreditAccount, CustomerBalance, CustomerLedgerEntry
from domain.credit import CreditStanding, DrawRefusal, Settlement, draw_refusal, due_on
from domain.ledger import ZERO, LedgerEntry, LedgerKind
from domain.rulebook import enforces


class Booked(BaseModel):
    """What `book_entry` did: the entry's id, or why the delivery was refused (with the figures)."""

    entry_id: int | None
    due_on: date | None = None
    refusal: DrawRefusal | None = None
    detail: str | None = None
    standing: CreditStanding
    risk: RiskChange | None = None


def _usable_limit(customer_id: int) -> Any:
    """The limit a delivery may use, read inside the guarded UPDATE: periodic, not blocked, not held."""
    accounts = CreditAccount.__table__
    usable = (
        select(
            case(
                (
                    and_(
                        accounts.c.settlement == Settlement.periodic.value,
                        accounts.c.review_required.is_(False),
                        accounts.c.credit_hold.is_(None),
                    ),
                    accounts.c.credit_limit,
                ),
                else_=literal(0),
            )
        )
        .where(accounts.c.customer_id == customer_id)
        .scalar_subquery()
    )
    return func.coalesce(usable, 0)


def _row(
    entry: LedgerEntry, due: date | None, import_id: int | None, reverses_id: int | None = None
) -> CustomerLedgerEntry:
    """The ledger's row of `entry` (activities/ledger_store.py), with its due date, its import and the
    entry it reverses."""
    row = ledger_row(entry)
    row.due_on, row.import_id, row.reverses_id = due, import_id, reverses_id
    return row


async def _due(session: AsyncSession, entry: LedgerEntry) -> date | None:
    if entry.kind is not LedgerKind.delivery:
        return None
    terms = (
        await session.execute(
            select(CreditAccount.settlement, CreditAccount.term_days).where(
                CreditAccount.customer_id == entry.customer_id
            )
        )
    ).first()
    settlement, term = (Settlement(terms[0]), terms[1]) if terms else (Settlement.prepaid, 0)
    return due_on(china_date(entry.occurred_at), settlement, term)


@enforces(
    "000-13-payment-before-goods",
    "001-credit-3-gm-delivery-beyond-limit",
    "001-credit-3-gm-ratifies-import",
    "003-6-high-risk-measures",
)
async def book_entry(
    session: AsyncSession,
    entry: LedgerEntry,
    *,
    approved_over_limit: bool = False,
    import_id: int | None = None,
    reverses_id: int | None = None,
    today: date | None = None,
) -> Booked:
    """Book a receipt (always) or a delivery (within what is available, 000 §13 / 001 §3).

    `approved_over_limit`: the general manager approved this delivery beyond the limit (001 §3), and
    the ERP import books deliveries already made, a reversal undoes a booking: no guard then. A
    refused delivery books nothing. `reverses_id`: the entry this one reverses (activities/ledger_reversal.py).
    """
    today = today or datetime.now(CHINA).date()
    now = datetime.now(UTC)
    table: Any = CustomerBalance.__table__
    if entry.kind is LedgerKind.receipt:
        insert = _insert(session, table).values(customer_id=entry.customer_id, balance=entry.amount, updated_at=now)
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.customer_id],
                set_={"balance": table.c.balance + insert.excluded.balance, "updated_at": insert.excluded.updated_at},
            )
        )
    else:
        await session.execute(
            _insert(session, table)
            .values(customer_id=entry.customer_id, balance=ZERO, updated_at=now)
            .on_conflict_do_nothing(index_elements=[table.c.customer_id])
        )
        guarded = (
            update(table)
            .where(table.c.customer_id == entry.customer_id)
            .values(balance=table.c.balance - entry.amount, updated_at=now)
        )
        if not approved_over_limit:
            guarded = guarded.where(table.c.balance + _usable_limit(entry.customer_id) >= entry.amount)
        result: Any = await session.execute(guarded)
        if result.rowcount != 1:
            now_standing = await credit_standing(session, entry.customer_id)
            refused = draw_refusal(now_standing, entry.amount)
            reason, detail = refused or (DrawRefusal.payment_before_goods, "refused")
            return Booked(entry_id=None, refusal=reason, detail=detail, standing=now_standing)
    row = _row(entry, await _due(session, entry), import_id, reverses_id)
    session.add(row)
    await session.flush()
    risk = await refresh_risk(session, entry.customer_id, today)
    now_standing = await credit_standing(session, entry.customer_id)
    return Booked(entry_id=row.id, due_on=row.due_on, standing=now_standing, risk=risk)


async def book_batch(
    session: AsyncSession, entries: list[LedgerEntry], *, import_id: int | None, today: date | None = None
) -> tuple[list[int], list[RiskChange]]:
    """Book facts already made (an ERP import): no limit guard, one transaction.

    The ledger rows go in as one multi-row INSERT with their due dates from each account's terms;
    each touched balance moves by one UPDATE of its net amount; the risk of each touched customer is
    recomputed once at the end. The same figures as booking the rows one by one, in far fewer
    statements."""
    today = today or datetime.now(CHINA).date()
    now = datetime.now(UTC)
    touched = sorted({e.customer_id for e in entries})
    terms: dict[int, tuple[Settlement, int]] = {}
    for start in range(0, len(touched), 500):
        found = await session.execute(
            select(CreditAccount.customer_id, CreditAccount.settlement, CreditAccount.term_days).where(
                CreditAccount.customer_id.in_(touched[start : start + 500])
            )
        )
        terms.update({cid: (Settlement(settlement), term) for cid, settlement, term in found})
    net: dict[int, Decimal] = dict.fromkeys(touched, ZERO)
    rows: list[CustomerLedgerEntry] = []
    for e in entries:
        settlement, term = terms.get(e.customer_id, (Settlement.prepaid, 0))
        due = due_on(china_date(e.occurred_at), settlement, term) if e.kind is LedgerKind.delivery else None
        rows.append(_row(e, due, import_id))
        net[e.customer_id] += e.amount if e.kind is LedgerKind.receipt else -e.amount
    table: Any = CustomerBalance.__table__
    for customer_id in touched:  # id order: concurrent imports lock balance rows in one order
        await session.execute(
            _insert(session, table)
            .values(customer_id=customer_id, balance=ZERO, updated_at=now)
            .on_conflict_do_nothing(index_elements=[table.c.customer_id])
        )
        await session.execute(
            update(table)
            .where(table.c.customer_id == customer_id)
            .values(balance=table.c.balance + net[customer_id], updated_at=now)
        )
    session.add_all(rows)
    await session.flush()
    policy = await policy_in_force(session, today)
    risks = [await refresh_risk(session, customer_id, today, policy=policy) for customer_id in touched]
    return [row.id for row in rows], risks
