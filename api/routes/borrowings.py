"""P8 file borrowing (002 rule 1, 004 §3): ask to borrow a customer file, record its return, read
the borrowing register of a file.

The borrower's department leader approves (002 rule 1), the manager too for an outsider, who reads
only with their unit's introduction letter (422 without); reading another unit's file needs
finance's consent last (004 §3, `borrowing_chain`). Once lent, the borrower reads the file through
api/visibility/'s `on_loan_to` until its keeper records the return. A file the user keeps already
needs no loan for themself (409); they may still file an outsider's reading of it.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from api.deps import CurrentActor, SessionDep, TemporalDep
from api.errors import Conflict, Forbidden, NotFound
from api.gateway import send_update
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.services.borrowing import BorrowingIn, borrow_file, file_keeper
from api.visibility import customer_readable, get_customer
from db.models import Borrowing, Customer
from domain.borrowing import ReturnRequest, may_record_return
from domain.china_time import ChinaTime
from domain.examples import examples
from domain.models import ProcessView
from domain.text import StoredText

router = APIRouter(tags=["borrowings"])


class ReturnIn(BaseModel):
    model_config = examples({"note": "档案完好, 已归还"})

    note: StoredText | None = Field(default=None, max_length=500, description="e.g. the file's condition")


class BorrowingOut(BaseModel):
    """A line of the borrowing register (档案借阅登记簿, 002 rule 1)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    process_id: str
    customer_id: int
    borrower: str
    borrower_unit: str | None
    owner_unit: str
    purpose: str
    return_by: date
    status: str
    requested_at: ChinaTime
    lent_at: ChinaTime | None
    approved_by: str | None
    returned_at: ChinaTime | None
    return_recorded_by: str | None
    overdue_level: int
    outsider_name: str | None = None
    outsider_organisation: str | None = None
    introduction_letter: str | None = None


@router.post("/customers/{customer_id}/borrowings", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut)
@idempotent
async def borrow(
    customer_id: RowId,
    body: BorrowingIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: CurrentActor,
) -> ProcessStateOut:
    """Ask to borrow a customer file, with its purpose and return date (002 rule 1): the borrower's
    department leader approves, the manager too for an outsider (with their introduction letter,
    else 422), and finance consents to the file being read (004 §3). 409 for a file the user keeps
    already, unless it is an outsider's reading."""
    return await borrow_file(session, temporal, request.app.state.task_queue, actor, customer_id, body)


@router.get("/customers/{customer_id}/borrowings", response_model=list[BorrowingOut])
async def borrowing_register(customer_id: RowId, actor: CurrentActor, session: SessionDep) -> list[Borrowing]:
    """The file's borrowing register, oldest first: who, why, until when, and its return (002 rule 1)."""
    await get_customer(session, actor, customer_id)
    rows = await session.scalars(select(Borrowing).where(Borrowing.customer_id == customer_id).order_by(Borrowing.id))
    return list(rows)


@router.post("/borrowings/{borrowing_id}/return", response_model=ProcessStateOut)
async def record_return(
    borrowing_id: RowId, body: ReturnIn, session: SessionDep, temporal: TemporalDep, actor: CurrentActor
) -> ProcessStateOut:
    """The file's keeper records its return (002 rule 1); the loan closes and the borrower reads it
    no more. 404 for a loan the user may not see, 403 for a reader who does not keep the file."""
    kept = customer_readable(actor, loans=False)
    row = (
        await session.execute(
            select(Borrowing, Customer.unit_code)
            .join(Customer, Customer.id == Borrowing.customer_id)
            .where(Borrowing.id == borrowing_id, or_(Borrowing.borrower == actor.username, kept))
        )
    ).first()
    if row is None:
        raise NotFound(f"borrowing {borrowing_id} not found")
    loan: Borrowing = row[0]
    if not may_record_return(actor, loan.owner_unit, await file_keeper(session, loan.owner_unit)):
        raise Forbidden(f"only the keeper of {loan.owner_unit}'s files, or finance, records a return (002 rule 1)")
    if loan.status != "lent":
        raise Conflict(f"borrowing {borrowing_id} is {loan.status}, not lent")
    handle = temporal.get_workflow_handle(loan.workflow_id, run_id=loan.process_id)
    view = await send_update(
        handle,
        "return_file",
        ReturnRequest(actor=actor, note=body.note),
        update_id=f"return:{loan.process_id}",
        result_type=ProcessView,
    )
    return ProcessStateOut.model_validate(view.model_dump())
