"""The status gate (domain/customer_gate.py) at the moment an approved act applies.

A customer may have been suspended, moved to past, dissolved or destroyed while its process waited
for a signature. The store step then writes nothing and stops the process visibly, the way a
creation that breaks a rule does (activities/customer_registry.py): non-retryable, the process is
marked failed with the reason, and an administrator resumes it once the customer may trade again,
or abandons it (workflows/repair.py). No workflow changes its path for it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from temporalio.exceptions import ApplicationError

from activities.data_errors import DATA_ERROR, REASON_LENGTH, storable
from db.models import Customer
from domain.customer_gate import CustomerOperation, customer_problem


def refuse_visibly(problem: str | None) -> None:
    """Stop the store step (and so the process, for an administrator's repair) with `problem`."""
    if problem is not None:
        raise ApplicationError(storable(problem, REASON_LENGTH), type=DATA_ERROR, non_retryable=True)


def _applying(customer: Customer | None, customer_id: int, operation: CustomerOperation) -> Customer:
    if customer is None:
        refuse_visibly(f"customer {customer_id} no longer exists")
    assert customer is not None
    refuse_visibly(customer_problem(operation, customer.status, customer.destroyed_at))
    return customer


async def customer_applying(session: AsyncSession, customer_id: int, operation: CustomerOperation) -> Customer:
    """The customer, locked, once its status still allows `operation`; else the step stops visibly."""
    return _applying(await session.get(Customer, customer_id, with_for_update=True), customer_id, operation)


def customer_applying_in(session: Session, customer_id: int, operation: CustomerOperation) -> Customer:
    """The same check inside a synchronous write (db.session.run_write)."""
    return _applying(session.get(Customer, customer_id, with_for_update=True), customer_id, operation)


async def ensure_credit_code_applying(session: AsyncSession, credit_code: str, operation: CustomerOperation) -> None:
    """The same check for a counterpart named by credit code; one not on file passes."""
    found = (
        await session.execute(select(Customer.status, Customer.destroyed_at).where(Customer.credit_code == credit_code))
    ).first()
    if found is not None:
        refuse_visibly(customer_problem(operation, found[0], found[1]))
