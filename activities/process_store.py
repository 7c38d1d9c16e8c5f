"""Database side effects of every process: the process and task projections, customer creation.

Each method is idempotent, because Temporal retries activities: a retried insert finds its row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from db.models import Customer, CustomerDocument, Process, Task
from db.session import write_transaction
from domain.models import CustomerCreation, ProcessProjection, TaskClosure, TaskSpec


def task_row(spec: TaskSpec) -> Task:
    return Task(**spec.model_dump(mode="python", exclude={"unit"}), unit_code=spec.unit, status="open")


async def write_process(session: AsyncSession, projection: ProcessProjection) -> None:
    """Insert or update the process row; activities of one run may complete out of order after
    retries, so an older projection never overwrites a newer one."""
    row = await session.get(Process, projection.process_id)
    values = projection.model_dump(mode="python")
    if row is None:
        session.add(Process(**values))
    elif row.updated_at <= projection.updated_at:
        for key, value in values.items():
            setattr(row, key, value)


async def add_task(session: AsyncSession, spec: TaskSpec) -> None:
    if await session.get(Task, spec.task_id) is None:
        session.add(task_row(spec))


async def apply_closure(session: AsyncSession, closure: TaskClosure) -> None:
    """Close an open task; a task already closed (a retry, a race) keeps its first closure."""
    task = await session.get(Task, closure.task_id)
    if task is None or task.status != "open":
        return
    task.status = closure.status
    task.outcome = closure.outcome.value if closure.outcome else None
    task.decided_by = closure.decided_by
    task.decided_at = closure.decided_at
    task.comment = closure.comment


class ProcessStore:
    """Activities that write the projections; receives its sessionmaker so tests hand in a real one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn
    async def project_process(self, projection: ProcessProjection) -> None:
        async with write_transaction(self.sessions) as session:
            await write_process(session, projection)

    @activity.defn
    async def open_task(self, spec: TaskSpec) -> None:
        async with write_transaction(self.sessions) as session:
            await add_task(session, spec)

    @activity.defn
    async def close_task(self, closure: TaskClosure) -> None:
        async with write_transaction(self.sessions) as session:
            await apply_closure(session, closure)

    @activity.defn
    async def create_customer(self, creation: CustomerCreation) -> int:
        """000 §6 last step: the approved customer is created in the system and may trade."""
        async with write_transaction(self.sessions) as session:
            existing = await session.scalar(
                select(Customer).where(Customer.onboarding_process_id == creation.process_id)
            )
            if existing is not None:
                return existing.id
            data = creation.customer
            customer = Customer(
                credit_code=data.credit_code,
                name=data.name,
                kind=data.kind.value,
                address=data.address,
                legal_representative=data.legal_representative,
                phone=data.phone,
                registered_capital=data.registered_capital,
                card=data.model_dump(mode="json"),
                onboarding_process_id=creation.process_id,
                trading_since=creation.approved_at.date(),
                created_at=creation.approved_at,
                created_by=creation.created_by,
                documents=[
                    CustomerDocument(
                        type=doc.type.value,
                        number=doc.number,
                        issuer=doc.issuer,
                        valid_until=doc.valid_until,
                        stamped_copy=doc.stamped_copy,
                    )
                    for doc in creation.documents
                ],
            )
            session.add(customer)
            await session.flush()
            return customer.id
