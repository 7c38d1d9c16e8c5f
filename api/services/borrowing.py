"""Asking to borrow a customer file (002 rule 1, 004 §3): POST /api/v1/customers/{id}/borrowings
and the applicant's borrowing form (web/apply_borrowing.py) call `borrow_file`, so the outsider's
introduction letter, the file one keeps already, the return date, the chain and the start are one."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import Conflict, Invalid, NotFound
from api.leaders import reporting_line
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import customer_readable
from db.models import Customer, OrgUnit
from domain.approvals import borrowing_chain
from domain.borrowing import (
    CHINA,
    LOAN_MAX_DAYS,
    BorrowingInput,
    OutsiderReader,
    keeper_role,
    loan_due,
    outsider_problem,
)
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.examples import FUTURE_DAY, examples
from domain.models import Actor, ProcessView
from domain.roles import Role
from domain.text import StoredText


class BorrowingIn(BaseModel):
    model_config = examples(
        {
            "purpose": "审计组核查 2024 年度客户准入资料",
            "return_by": FUTURE_DAY,
            "outsider": {
                "name": "周敏",
                "organisation": "河南中审会计师事务所",
                "introduction_letter": "中审函〔2025〕31号",
            },
        }
    )

    purpose: StoredText = Field(min_length=1, max_length=500, description="借阅用途 (002 rule 1)")
    return_by: date = Field(description="归还时间: the day the file comes back (002 rule 1)")
    outsider: OutsiderReader | None = Field(
        default=None,
        description="外单位人员: an outsider's reading, filed by the colleague receiving them (002 rule 1)",
    )


def borrowing_workflow_id(customer_id: int, username: str, outsider: OutsiderReader | None = None) -> str:
    """One open loan per file and borrower: Temporal refuses a second (409). Each outsider's reading
    is a loan of its own."""
    own = f"borrowing-{customer_id}-{username}"
    return own if outsider is None else f"{own}-outsider-{uuid.uuid4()}"


async def file_keeper(session: AsyncSession, unit: str) -> Role:
    """Who keeps `unit`'s customer files (002 rule 1): the keeper of its kind of unit — one lookup for
    the loan's start and the recording of its return."""
    return keeper_role(await session.scalar(select(OrgUnit.kind).where(OrgUnit.code == unit)))


def _check_return_by(return_by: date) -> None:
    today = datetime.now(CHINA).date()
    if return_by < today:
        raise Invalid([f"return_by {return_by.isoformat()} is in the past"])
    if return_by > today + timedelta(days=LOAN_MAX_DAYS):
        raise Invalid([f"return_by may be at most {LOAN_MAX_DAYS} days ahead (assumption, see domain/borrowing.py)"])


async def borrow_file(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, customer_id: int, body: BorrowingIn
) -> ProcessStateOut:
    """Ask to borrow a customer file, with its purpose and return date (002 rule 1): the borrower's
    department leader approves, the manager too for an outsider (with their introduction letter,
    else 422), and finance consents to the file being read (004 §3). 409 for a file the user keeps
    already, unless it is an outsider's reading."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if body.outsider is not None and (problem := outsider_problem(body.outsider)) is not None:
        raise Invalid([problem])
    ensure_customer_may(CustomerOperation.borrow_file, customer)
    kept = await session.scalar(
        select(Customer.id).where(Customer.id == customer_id, customer_readable(actor, loans=False))
    )
    if kept is not None and body.outsider is None:
        raise Conflict(f"{actor.username} reads customer {customer_id}'s file already: no loan is needed (004 §3)")
    _check_return_by(body.return_by)
    keeper = await file_keeper(session, customer.unit_code)
    path, leader_level = await reporting_line(session, actor)
    view = await start_process(
        temporal,
        "Borrowing",
        BorrowingInput(
            chain=borrowing_chain(leader_level, outsider=body.outsider is not None),
            customer_id=customer.id,
            customer_name=customer.name,
            owner_unit=customer.unit_code,
            keeper=keeper,
            purpose=body.purpose,
            return_by=body.return_by,
            due_at=loan_due(body.return_by),
            applicant=actor,
            unit_path=path,
            outsider=body.outsider,
        ),
        workflow_id=borrowing_workflow_id(customer.id, actor.username, body.outsider),
        task_queue=task_queue,
        result_type=ProcessView,
        already_running=f"{actor.username} already has a loan of customer {customer_id}'s file open",
    )
    return ProcessStateOut.model_validate(view.model_dump())
