"""Depot customers (000 §8), station customers (000 §9) and the prepaid customer ledger (000 §9 (一)).

A depot office or a gas station files a customer of its own unit: the unit's own staff, or head
office above it — never another depot or station (000 §5 分级实施; 403). The document lists and the
general-taxpayer check are judged at the door (422); the review runs as a declared chain in the
`UnitCustomer` workflow. A top-up is a `PrepaidTopUp` process that finance confirms; a draw is
refused (409, with the figures) beyond the balance finance confirmed. Money is booked for a customer of the
user's own units only: a borrowed file (002 rule 1) is read, never acted on (`loans=False`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel
from sqlalchemy import select

from activities.ledger_store import book_draw, confirmed_balance
from activities.process_store import unit_path
from api.deps import CurrentActor, SessionDep, TemporalDep, release_session, require_any_role
from api.errors import Conflict
from api.idempotency import answer_in, idempotent
from api.params import Offset, RowId
from api.schemas import ProcessStateOut
from api.services.unit_customers import DEPOT_FILERS, STATION_FILERS, start_depot_customer, start_station_customer
from api.starts import start_process
from api.visibility import get_customer
from db.models import CustomerLedgerEntry
from db.session import write_transaction
from domain.approvals import TOP_UP_CHAIN
from domain.china_time import ChinaTime
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.ledger import LedgerEntry, LedgerKind
from domain.models import Actor, ProcessView
from domain.roles import Role
from domain.rulebook import enforces
from domain.unit_customers import LedgerMoveIn, TopUpInput, UnitCustomerApplication

router = APIRouter(tags=["depot and station customers"])
DepotFiler = Depends(require_any_role(*DEPOT_FILERS))
StationFiler = Depends(require_any_role(*STATION_FILERS))
# Who books money for a customer: the unit that serves it (its manager) and head-office clerks.
LedgerClerk = Depends(require_any_role(Role.sales_clerk, Role.station_manager, Role.depot_manager))


class LedgerEntryOut(BaseModel):
    id: int
    customer_id: int
    kind: LedgerKind
    amount: Decimal
    reference: str
    occurred_at: ChinaTime
    recorded_by: str
    process_id: str | None = None
    due_on: date | None = None  # issue 12 §1: when a delivery falls due (000 §13)
    import_id: int | None = None  # the ERP import that booked it
    reverses_id: int | None = None  # issue 20: the entry this reversing entry cancels


class DrawOut(LedgerEntryOut):
    balance: Decimal  # the confirmed balance left after the draw


class LedgerOut(BaseModel):
    customer_id: int
    balance: Decimal
    entries: list[LedgerEntryOut]


@router.post("/depot-customers", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
@enforces("000-8-depot-office-reviews")
async def file_depot_customer(
    application: UnitCustomerApplication,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = DepotFiler,
) -> ProcessStateOut:
    """A depot office files a social customer (000 §8 (一)) or a station buying from it (§8 (二));
    the manager of that depot reviews it."""
    return await start_depot_customer(session, temporal, request.app.state.task_queue, actor, application)


@router.post("/station-customers", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
@enforces("000-9-station-customers-prepaid", "000-9-vat-general-taxpayer")
async def file_station_customer(
    application: UnitCustomerApplication,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = StationFiler,
) -> ProcessStateOut:
    """A gas station files a prepaid customer (000 §9 (一)); one wanting VAT special invoices is
    reviewed jointly by the station and finance (§9 (二)-(三))."""
    return await start_station_customer(session, temporal, request.app.state.task_queue, actor, application)


@router.post("/customers/{customer_id}/top-ups", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def request_top_up(
    customer_id: RowId,
    move: LedgerMoveIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = LedgerClerk,
) -> ProcessStateOut:
    """The customer paid in: finance confirms the funds arrived before they count (000 §9 (一))."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.top_up, customer)
    view = await start_process(
        temporal,
        "PrepaidTopUp",
        TopUpInput(
            customer_id=customer.id,
            customer_name=customer.name,
            unit=customer.unit_code,
            unit_path=await unit_path(session, customer.unit_code),
            amount=move.amount,
            reference=move.reference,
            applicant=actor,
            chain=TOP_UP_CHAIN,
        ),
        workflow_id=f"top-up-{customer.id}-{uuid.uuid4().hex}",
        task_queue=request.app.state.task_queue,
        result_type=ProcessView,
    )
    return ProcessStateOut.model_validate(view.model_dump())


@router.post("/customers/{customer_id}/draws", status_code=status.HTTP_201_CREATED, response_model=DrawOut)
@idempotent
async def draw(
    customer_id: RowId, move: LedgerMoveIn, request: Request, session: SessionDep, actor: Actor = LedgerClerk
) -> DrawOut:
    """Goods against the confirmed balance; 409 with the figures beyond it (000 §9 (一) 先款后货)."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    ensure_customer_may(CustomerOperation.deliver, customer)
    entry = LedgerEntry(
        customer_id=customer.id,
        kind=LedgerKind.delivery,
        amount=move.amount,
        reference=move.reference,
        occurred_at=datetime.now(UTC),
        recorded_by=actor.username,
    )
    await release_session()  # the request's reads end before the write queues
    async with write_transaction(request.app.state.sessions) as writer:  # its own, serialised, transaction
        entry_id, problem = await book_draw(writer, entry)
        balance = await confirmed_balance(writer, customer.id)
        if entry_id is not None:
            drawn = DrawOut(id=entry_id, **entry.model_dump(), balance=balance)
            await answer_in(writer, drawn)  # the draw and its Idempotency-Key commit together
    if entry_id is None:
        raise Conflict(
            {
                "message": problem,
                "confirmed_balance": f"{balance:.2f}",
                "requested": f"{move.amount:.2f}",
                "short_by": f"{move.amount - balance:.2f}",
            }
        )
    return drawn


@router.get("/customers/{customer_id}/ledger", response_model=LedgerOut)
async def ledger(
    customer_id: RowId,
    session: SessionDep,
    actor: CurrentActor,
    offset: Offset = 0,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="rows per page; default all")] = None,
    order: Annotated[Literal["oldest", "newest"], Query(description="oldest (booking order) or newest")] = "oldest",
) -> LedgerOut:
    """The confirmed balance and the bookings, for the readers of the customer file; paged with
    offset/limit, newest first with `order=newest` (the credit ledger, issue 12 §1)."""
    customer = await get_customer(session, actor, customer_id)
    by_id = CustomerLedgerEntry.id.desc() if order == "newest" else CustomerLedgerEntry.id
    rows = await session.scalars(
        select(CustomerLedgerEntry)
        .where(CustomerLedgerEntry.customer_id == customer.id)
        .order_by(by_id)
        .offset(offset)
        .limit(limit)
    )
    entries = [LedgerEntryOut.model_validate(row, from_attributes=True) for row in rows]
    return LedgerOut(customer_id=customer.id, balance=await confirmed_balance(session, customer.id), entries=entries)
