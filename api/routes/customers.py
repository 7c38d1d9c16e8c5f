"""Customers created by approved onboarding, with their documents and approval trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from api.deps import CurrentActor, SessionDep, TemporalDep
from api.errors import NotFound
from api.history import process_history
from api.schemas import CustomerDetailOut, CustomerOut
from db.models import Customer, Process

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("", response_model=list[CustomerOut])
async def list_customers(
    actor: CurrentActor,
    session: SessionDep,
    q: Annotated[str | None, Query(description="credit code or part of the name")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Customer]:
    query = select(Customer)
    if q:
        query = query.where(or_(Customer.credit_code == q.upper(), Customer.name.contains(q)))
    return list(await session.scalars(query.order_by(Customer.id).limit(limit).offset(offset)))


@router.get("/{customer_id}", response_model=CustomerDetailOut)
async def get_customer(
    customer_id: int, actor: CurrentActor, session: SessionDep, temporal: TemporalDep
) -> CustomerDetailOut:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    process = await session.get(Process, customer.onboarding_process_id)
    trail = []
    if process is not None:
        handle = temporal.get_workflow_handle(process.workflow_id, run_id=process.process_id)
        trail = await process_history(handle)
    return CustomerDetailOut(**CustomerOut.model_validate(customer).model_dump(), approval_trail=trail)
