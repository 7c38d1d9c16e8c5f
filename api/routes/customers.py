"""Customers created by approved onboarding or a trade award, with their documents and approval
trail; who reads which file is api/visibility/'s `customer_readable`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import case, select

from api.audit import best_history
from api.deps import CurrentActor, SessionDep, TemporalDep
from api.params import Offset, RowId
from api.schemas import CustomerDetailOut, CustomerOut
from api.services.customers import customers_matching
from api.visibility import get_customer as readable_customer
from api.visibility import visible_processes
from db.models import Customer, Process
from domain.grading import Grade
from domain.treatment import supply_priority, treatment_for

router = APIRouter(prefix="/customers", tags=["customers"])


class CustomerSort(StrEnum):
    id = "id"
    supply_priority = "supply_priority"  # 000 §11 (四): in a shortage, higher grades are supplied first


SUPPLY_PRIORITY = case(
    {g.value: supply_priority(g.value) for g in Grade}, value=Customer.grade, else_=supply_priority("")
)


@router.get("", response_model=list[CustomerOut])
async def list_customers(
    actor: CurrentActor,
    session: SessionDep,
    q: Annotated[str | None, Query(description="credit code or part of the name")] = None,
    grade: Annotated[Grade | None, Query(description="only customers of this grade (001 §1)")] = None,
    sort: Annotated[CustomerSort, Query(description="id, or supply_priority: A first (000 §11)")] = CustomerSort.id,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[Customer]:
    query = customers_matching(actor, q)
    if grade is not None:
        query = query.where(Customer.grade == grade.value)
    order = (SUPPLY_PRIORITY, Customer.id) if sort is CustomerSort.supply_priority else (Customer.id,)
    return list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))


@router.get("/{customer_id}", response_model=CustomerDetailOut)
async def get_customer(
    customer_id: RowId, actor: CurrentActor, session: SessionDep, temporal: TemporalDep
) -> CustomerDetailOut:
    """The file, if `actor` may read it (else 404); its approval trail — the history of the process
    that created it, with a deal's bids and payment accounts — only for readers of that process."""
    customer = await readable_customer(session, actor, customer_id)
    process = await session.scalar(
        visible_processes(actor, select(Process).where(Process.process_id == customer.onboarding_process_id))
    )
    trail = []
    if process is not None:
        handle = temporal.get_workflow_handle(process.workflow_id, run_id=process.process_id)
        trail = await best_history(session, handle, process.process_id)
    return CustomerDetailOut(
        **CustomerOut.model_validate(customer).model_dump(),
        approval_trail=trail,
        treatment=treatment_for(customer.grade),
    )
