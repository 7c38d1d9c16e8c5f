"""Who reads a customer file (003 §2, 004 §3, 000 §5, §10; 002 rule 1 loans) and its VAT register,
and who files for a depot or a station (000 §4-§5 分级实施)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.errors import Forbidden, NotFound
from api.visibility.viewer import Who, actor_of, of_my_units
from db.models import Borrowing, Customer, CustomerChange, InvoiceRegisterEntry, OrgUnit, Process
from domain.customer_record import ChangeKind
from domain.roles import CUSTOMER_DESK, OVERSIGHT_ROLES, UNIT_SCOPED_ROLES, Role
from domain.rulebook import enforces

OUTLET_KINDS = frozenset({"depot", "station"})


@enforces("003-2-designated-person")
def looked_after_by(username: str, customer: Any = Customer) -> ColumnElement[bool]:
    """The files `username` looks after (000 §10 (四), 002 rule 4 §12): the responsible person the
    file names (`owner_person`), and — until the file is first handed over — whoever it was created
    for: `created_by` or the applicant of the process that created it (the clerk who collected its
    documents, 000 §6; older files name their last approver as `owner_person`). A hand-over moves the
    file to `owner_person` alone. What a clerk reads, what a hand-over moves and what keeps a user
    from being disabled are this one rule."""
    creator = aliased(Process)
    filed = exists().where(creator.process_id == customer.onboarding_process_id, creator.applicant == username)
    handed_over = exists().where(
        CustomerChange.customer_id == customer.id, CustomerChange.kind == ChangeKind.hand_over.value
    )
    return or_(customer.owner_person == username, and_(~handed_over, or_(customer.created_by == username, filed)))


def _outlet(unit: str) -> ColumnElement[bool]:
    """`unit` is a depot or a station (000 §5 (二)-(三)), not a head-office department."""
    return exists().where(OrgUnit.code == unit, OrgUnit.kind.in_(OUTLET_KINDS))


@enforces("000-5-marketing-customer-information", "003-2-access-by-role")
def customer_readable(who: Who, customer: Any = Customer, *, loans: bool = True) -> ColumnElement[bool]:
    """Oversight, head-office marketing and finance, the owning unit and the units above it; and,
    with `loans`, a borrower while the file is lent to them (002 rule 1, 004 §3). A clerk reads the
    files they look after (`looked_after_by`, 000 §10); a depot's or station's clerk also its unit's
    files, a head-office clerk no others (issue 20 §12: not every file of head office)."""
    actor = actor_of(who)
    if any(actor.has(role) for role in OVERSIGHT_ROLES | CUSTOMER_DESK):
        return true()
    conditions = []
    if actor.has(Role.sales_clerk):
        conditions.append(looked_after_by(actor.username, customer))
    units = of_my_units(who, customer.unit_code)
    if units and actor.unit is not None:
        only_clerk = all(role is Role.sales_clerk for role in actor.roles) and actor.has(Role.sales_clerk)
        conditions.append(and_(_outlet(actor.unit), or_(*units)) if only_clerk else or_(*units))
    if loans:
        conditions.append(on_loan_to(who, customer))
    return or_(*conditions) if conditions else false()


@enforces("002-1-read-only-loan")
def on_loan_to(who: Who, customer: Any = Customer) -> ColumnElement[bool]:
    """An approved loan of the file to `who`, not yet returned: it lets them read, never write."""
    return exists().where(
        Borrowing.customer_id == customer.id, Borrowing.borrower == actor_of(who).username, Borrowing.status == "lent"
    )


async def get_customer(session: AsyncSession, who: Who, customer_id: int, *, loans: bool = True) -> Customer:
    """The customer file, or 404 — also when it exists but `who` may not read it. A route that
    changes the file passes `loans=False`: a borrowed file is read, never written (002 rule 1)."""
    readable = customer_readable(who, loans=loans)
    row = await session.scalar(select(Customer).where(Customer.id == customer_id, readable))
    if row is None:
        raise NotFound(f"customer {customer_id} not found")
    return row


async def get_vat_invoice(session: AsyncSession, who: Who, invoice_id: int) -> InvoiceRegisterEntry:
    """One invoice of the VAT register (000 §9 (三)), or 404: read by whoever keeps the customer's
    file (its station, head office above it, the customer desk, oversight) — never through a loan."""
    row = await session.scalar(
        select(InvoiceRegisterEntry)
        .join(Customer, Customer.id == InvoiceRegisterEntry.customer_id)
        .where(
            InvoiceRegisterEntry.id == invoice_id,
            InvoiceRegisterEntry.entry == "invoice",
            customer_readable(who, loans=False),
        )
    )
    if row is None:
        raise NotFound(f"VAT invoice {invoice_id} not found")
    return row


# --- filing for a depot or a station (000 §5, §8, §9; issue 11 §1-§2) -----------------------------


@enforces("000-4-unified-tiered")
async def require_acts_for_unit(session: AsyncSession, who: Who, unit: str) -> None:
    """403 unless `who` may file for `unit`: its own staff, or head office — a depot or a station
    (its manager, its clerk) acts only for itself, never for another (000 §5 分级实施)."""
    actor = actor_of(who)
    if actor.unit == unit:
        return
    mine = await session.get(OrgUnit, actor.unit) if actor.unit else None
    if any(actor.has(role) for role in UNIT_SCOPED_ROLES) or (mine is not None and mine.kind in OUTLET_KINDS):
        raise Forbidden(f"{actor.username} of {actor.unit or 'no unit'} cannot act for {unit} (000 §5)")
