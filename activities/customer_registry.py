"""One way a customer comes into the system, whatever process asks (000 §6 (五), §7 (六), §8, §9).

Every creation passes the same rules, and one credit code is one customer: a process whose
customer is already on file (another process created it first) is linked to that record — its id
returned, the link recorded — instead of failing on the unique key or retrying for ever.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.data_errors import DATA_ERROR, fails_visibly_on_bad_data
from db.models import Customer, CustomerDocument, CustomerLink, OrgUnit, Process, User
from db.session import write_transaction
from domain.china_time import in_china
from domain.models import CustomerCreation, CustomerData, CustomerKind
from domain.rulebook import enforces
from domain.trade import PROCESS_TYPE as TRADE_PROCESS

# Kinds only one process may create: an external-trade customer comes from its tender award (000 §7 (六)).
CREATED_ONLY_BY: dict[CustomerKind, str] = {CustomerKind.external_trade: TRADE_PROCESS}
# Kinds whose approval reviewed a document checklist (000 §6 (三), §7 (四), §8): the record keeps
# them. A station's prepaid customer shows none (000 §9 (一)).
DOCUMENTED_KINDS = frozenset(
    {
        CustomerKind.allocation_self_sale,
        CustomerKind.allocation_settlement,
        CustomerKind.external_trade,
        CustomerKind.depot_social,
        CustomerKind.depot_station,
    }
)


def creation_problems(creation: CustomerCreation, process_type: str) -> list[str]:
    """Every reason this creation breaks the rules all creations share; empty when it may go ahead."""
    kind = creation.customer.kind
    problems = []
    only_by = CREATED_ONLY_BY.get(kind)
    if only_by is not None and process_type != only_by:
        problems.append(f"a {kind.value} customer is created only by the {only_by} process, not by {process_type}")
    if kind in DOCUMENTED_KINDS and not creation.documents:
        problems.append(f"a {kind.value} customer carries the documents its approval reviewed: none were given")
    return problems


# The card fields that have a column of their own beyond those set by name below (000 §10 (三), 001
# summary form): the record shows them there as well as in the card, never one without the other
# (issue 20 item 17). Read from the card's model and the table, so a field added to both follows.
NAMED = frozenset({"credit_code", "name", "kind", "address", "legal_representative", "phone", "registered_capital"})
CARD_COLUMNS = tuple(sorted((CustomerData.model_fields.keys() & Customer.__table__.columns.keys()) - NAMED))


@enforces("000-10-card-for-every-customer")
def _new_customer(creation: CustomerCreation, unit: str, applicant: str) -> Customer:
    """`applicant` looks after the customer (000 §10 (四): 业务员 responsible for the file) until a
    hand-over; `created_by` stays the approver whose decision created the record."""
    data = creation.customer
    return Customer(
        credit_code=data.credit_code,
        name=data.name,
        kind=data.kind.value,
        address=data.address,
        legal_representative=data.legal_representative,
        phone=data.phone,
        registered_capital=data.registered_capital,
        card=data.model_dump(mode="json"),
        onboarding_process_id=creation.process_id,
        trading_since=in_china(creation.approved_at).date(),  # 001 §1: the China day
        created_at=creation.approved_at,
        created_by=creation.created_by,
        owner_person=applicant,
        unit_code=unit,
        **{name: getattr(data, name) for name in CARD_COLUMNS},
        documents=[
            CustomerDocument(
                type=doc.type.value,
                number=doc.number,
                issuer=doc.issuer,
                valid_until=doc.valid_until,
                stamped_copy=doc.stamped_copy,
                original=doc.original,
            )
            for doc in creation.documents
        ],
    )


async def _existing(session: AsyncSession, creation: CustomerCreation) -> int | None:
    """The record this process already created or was linked to (a retried activity), or the
    record that already holds the credit code."""
    linked = await session.scalar(
        select(CustomerLink.customer_id).where(CustomerLink.process_id == creation.process_id)
    )
    if linked is not None:
        return linked
    created = await session.scalar(select(Customer.id).where(Customer.onboarding_process_id == creation.process_id))
    if created is not None:
        return created
    return await session.scalar(select(Customer.id).where(Customer.credit_code == creation.customer.credit_code))


async def owning_unit(session: AsyncSession, process_id: str) -> str:
    """The unit a customer created by `process_id` belongs to (000 §5, 004 §3): the process's
    unit, else its applicant's, else the head office (the unit without a parent)."""
    process = await session.get(Process, process_id)
    unit = process.unit_code if process is not None else None
    if unit is None and process is not None:
        unit = await session.scalar(select(User.unit_code).where(User.username == process.applicant))
    if unit is None:
        unit = await session.scalar(select(func.min(OrgUnit.code)).where(OrgUnit.parent_code.is_(None)))
    return unit or "HQ"


async def create_customer(session: AsyncSession, creation: CustomerCreation) -> int:
    """Create the customer, or link the process to the record of its credit code; idempotent."""
    process = await session.get(Process, creation.process_id)
    process_type = process.process_type if process is not None else "unknown"
    problems = creation_problems(creation, process_type)
    if problems:  # shown to an administrator through the repair path (workflows/repair.py)
        raise ApplicationError("; ".join(problems), type=DATA_ERROR, non_retryable=True)
    customer_id = await _existing(session, creation)
    created = customer_id is None
    if customer_id is None:
        applicant = process.applicant if process is not None else creation.created_by
        customer = _new_customer(creation, await owning_unit(session, creation.process_id), applicant)
        try:
            async with session.begin_nested():  # another process may take the credit code meanwhile
                session.add(customer)
                await session.flush()
            customer_id = customer.id
        except IntegrityError:
            customer_id = await _existing(session, creation)
            if customer_id is None:
                raise
            created = False
    if await session.get(CustomerLink, creation.process_id) is None:
        session.add(
            CustomerLink(
                process_id=creation.process_id,
                customer_id=customer_id,
                credit_code=creation.customer.credit_code,
                process_type=process_type,
                created=created,
                linked_at=creation.approved_at,
                linked_by=creation.created_by,
            )
        )
    return customer_id


class CustomerRegistry:
    """The one customer-creation activity; receives its sessionmaker so tests hand in a real one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn(name="create_customer")
    @fails_visibly_on_bad_data
    async def create_customer(self, creation: CustomerCreation) -> int:
        """The approved customer is created in the system and may trade (000 §6 (五), §7 (六), §8, §9);
        a credit code on file already links to that record."""
        async with write_transaction(self.sessions) as session:
            return await create_customer(session, creation)
