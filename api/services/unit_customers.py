"""Filing a depot customer (000 §8) or a station customer (000 §9): POST /api/v1/depot-customers,
POST /api/v1/station-customers and the applicant's unit-customer form (web/apply_unit_customer.py)
call these, so who may file for which unit, the taxpayer check, the document lists and the start
are one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.process_store import unit_path
from api.errors import Conflict, Invalid
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import require_acts_for_unit
from db.models import Customer, OrgUnit
from domain.approvals import DEPOT_CUSTOMER_CHAIN, STATION_PREPAID_CHAIN, STATION_VAT_CHAIN, ChainSpec
from domain.china_time import china_day
from domain.documents import document_problems
from domain.models import Actor, ProcessView
from domain.roles import Role
from domain.unit_customers import (
    DEPOT_KINDS,
    STATION_KINDS,
    UnitCustomerApplication,
    UnitCustomerInput,
    required_documents,
    taxpayer_check_problems,
    with_checked_taxpayer,
)

# Who files for a depot (000 §8) and for a station (000 §9): the unit's manager, or head office's clerk.
DEPOT_FILERS = (Role.sales_clerk, Role.depot_manager)
STATION_FILERS = (Role.sales_clerk, Role.station_manager)


async def _acting_unit(session: AsyncSession, actor: Actor, unit: str, kind: str) -> list[str]:
    """The unit's path, once `actor` may file for it: a unit of `kind` (422), and the actor is its
    own staff or head office — a depot or station acts only for itself (000 §5; 403)."""
    row = await session.get(OrgUnit, unit)
    if row is None or row.kind != kind:
        raise Invalid([f"unit {unit} is not a {kind} (000 §8, §9: depot offices and stations file here)"])
    await require_acts_for_unit(session, actor, unit)
    return await unit_path(session, unit)


def _checked_taxpayer(application: UnitCustomerApplication) -> UnitCustomerApplication:
    """The tax-bureau check judged at the door (000 §8 (一), 422); the card then says what the bureau said."""
    problems = taxpayer_check_problems(application, datetime.now(UTC))
    if problems:
        raise Invalid(problems)
    return with_checked_taxpayer(application)


async def _start(
    session: AsyncSession,
    temporal: Client,
    task_queue: str,
    actor: Actor,
    application: UnitCustomerApplication,
    chain: ChainSpec,
    path: list[str],
) -> ProcessStateOut:
    problems = document_problems(application.documents, required_documents(application), china_day(datetime.now(UTC)))
    if problems:
        raise Invalid(problems)
    code = application.customer.credit_code
    if await session.scalar(select(Customer.id).where(Customer.credit_code == code)) is not None:
        raise Conflict(f"a customer with credit code {code} already exists")
    view = await start_process(
        temporal,
        "UnitCustomer",
        UnitCustomerInput(application=application, applicant=actor, unit_path=path, chain=chain),
        workflow_id=f"unit-customer-{code}",
        task_queue=task_queue,
        result_type=ProcessView,
        already_running=f"customer {code} already has an application open",
    )
    return ProcessStateOut.model_validate(view.model_dump())


async def start_depot_customer(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, application: UnitCustomerApplication
) -> ProcessStateOut:
    """A depot office files a social customer (000 §8 (一)) or a station buying from it (§8 (二));
    the manager of that depot reviews it."""
    path = await _acting_unit(session, actor, application.unit, "depot")
    if application.customer.kind not in DEPOT_KINDS:
        raise Invalid([f"a depot customer is one of {', '.join(k.value for k in DEPOT_KINDS)} (000 §8)"])
    application = _checked_taxpayer(application)
    customer = application.customer
    if customer.general_taxpayer is not True:
        raise Invalid(
            [
                f"{customer.name} is not a VAT general taxpayer per the tax bureau: the depot does no business "
                "with it (000 §8 (一) 如果没有纳税资格则不予开展业务)"
            ]
        )
    return await _start(session, temporal, task_queue, actor, application, DEPOT_CUSTOMER_CHAIN, path)


async def start_station_customer(
    session: AsyncSession, temporal: Client, task_queue: str, actor: Actor, application: UnitCustomerApplication
) -> ProcessStateOut:
    """A gas station files a prepaid customer (000 §9 (一)); one wanting VAT special invoices is
    reviewed jointly by the station and finance (§9 (二)-(三))."""
    path = await _acting_unit(session, actor, application.unit, "station")
    application = _checked_taxpayer(application)
    customer = application.customer
    if customer.kind not in STATION_KINDS or application.prepaid is False:
        raise Invalid(["a station customer is a prepaid customer: payment before goods (000 §9 先款后货)"])
    if application.vat_invoice is not None and customer.general_taxpayer is not True:
        raise Invalid([f"{customer.name}: VAT special invoices need a general taxpayer (000 §9 (二) 一般纳税人证明)"])
    chain = STATION_VAT_CHAIN if application.vat_invoice is not None else STATION_PREPAID_CHAIN
    return await _start(session, temporal, task_queue, actor, application, chain, path)
