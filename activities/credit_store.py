"""The credit ledger in the database (000 §13; 001 信用管理措施; 003 §6).

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
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from temporalio import activity

from activities.credit_hold import RatificationDecided, settle_ratification
from activities.customer_gate import customer_applying, refuse_visibly
from activities.data_errors import fails_visibly_on_bad_data
from activities.ledger_store import _insert
from activities.notifications import NotificationSpec, record_notification
from db.models import CreditAccount, CreditPolicy, Customer, CustomerBalance, CustomerLedgerEntry
from db.session import write_transaction
from domain.credit import (
    CreditHold,
    CreditPolicyView,
    CreditStanding,
    DrawRefusal,
    Overdue,
    RiskLevel,
    RiskRules,
    Settlement,
    draw_refusal,
    due_on,
    overdue,
    ratification_problem,
    risk_level,
    standing,
)
from domain.customer_gate import CustomerOperation
from domain.grading import Grade
from domain.ledger import ZERO, LedgerEntry, LedgerKind
from domain.roles import Role
from domain.rulebook import enforces

CHINA = ZoneInfo("Asia/Shanghai")
# 003 §6: a customer turning high risk is told to finance and to the marketing manager.
RISK_RECIPIENTS = (Role.finance_reviewer, Role.marketing_manager)


class RiskChange(BaseModel):
    customer_id: int
    old: RiskLevel
    new: RiskLevel
    turned_high: bool = False
    risk_since: datetime | None = None


class Booked(BaseModel):
    """What `book_entry` did: the entry's id, or why the delivery was refused (with the figures)."""

    entry_id: int | None
    due_on: date | None = None
    refusal: DrawRefusal | None = None
    detail: str | None = None
    standing: CreditStanding
    risk: RiskChange | None = None


class RiskSweepRequest(BaseModel):
    today: date
    after_customer_id: int = 0
    limit: int = Field(default=500, ge=1, le=5000)


def china_date(moment: datetime) -> date:
    """The China date of a moment; a naive moment (SQLite gives them back) is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


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
    return CustomerLedgerEntry(
        customer_id=entry.customer_id,
        kind=entry.kind.value,
        amount=entry.amount,
        reference=entry.reference,
        occurred_at=entry.occurred_at,
        recorded_by=entry.recorded_by,
        process_id=entry.process_id,
        created_at=datetime.now(UTC),
        due_on=due,
        import_id=import_id,
        reverses_id=reverses_id,
    )


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
