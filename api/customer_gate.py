"""The status gate (domain/customer_gate.py) for routes that name customers by id lists or by credit
code rather than by one loaded row: one query, one 409 naming each refused customer's status."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from domain.customer_gate import CustomerOperation, customer_problem
from domain.errors import CONFLICT, Refused


async def ensure_customers_may(session: AsyncSession, operation: CustomerOperation, ids: Iterable[int]) -> None:
    """409 naming every customer of `ids` whose status refuses `operation` (unknown ids are the caller's)."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    rows = await session.execute(
        select(Customer.id, Customer.status, Customer.destroyed_at).where(Customer.id.in_(wanted))
    )
    _refuse([(f"customer {cid}", customer_problem(operation, status, destroyed)) for cid, status, destroyed in rows])


async def ensure_credit_code_may(session: AsyncSession, operation: CustomerOperation, credit_code: str) -> None:
    """409 when the credit code is a customer on file whose status refuses `operation`; a
    counterpart not on file is no customer yet and passes."""
    found = (
        await session.execute(
            select(Customer.id, Customer.status, Customer.destroyed_at).where(Customer.credit_code == credit_code)
        )
    ).first()
    if found is not None:
        cid, status, destroyed = found
        _refuse([(f"{credit_code} (customer {cid})", customer_problem(operation, status, destroyed))])


def _refuse(checked: list[tuple[str, str | None]]) -> None:
    problems = [f"{who}: {problem}" for who, problem in checked if problem is not None]
    if problems:
        raise Refused("; ".join(problems), CONFLICT)
