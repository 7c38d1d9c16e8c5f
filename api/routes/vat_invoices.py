"""P4 VAT special invoices one by one (000 §9 (三)): the customer's station sends finance the
certificate form of one invoice, finance issues it with its number (its inbox task), its collection
is recorded; the register lists every invoice of a customer.

Only a customer the joint review approved for VAT special invoices (its certificate form is on the
invoice register) gets one (409 otherwise); only its own station sends the form (000 §5 (三); 404
for another station, which may not read the file, 403 for a reader who is not its station). The
rules are domain/vat_invoices.py's; the process is `VatInvoice`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from activities.process_store import unit_path
from activities.vat_invoice_store import INVOICE_ENTRY
from api.deps import CurrentActor, SessionDep, TemporalDep, require_any_role
from api.errors import Conflict, Forbidden
from api.gateway import send_update
from api.idempotency import idempotent
from api.params import RowId
from api.schemas import ProcessStateOut
from api.starts import start_process
from api.visibility import get_customer, get_vat_invoice
from db.models import InvoiceRegisterEntry
from domain.china_time import ChinaTime
from domain.customer_gate import CustomerOperation, ensure_customer_may
from domain.examples import examples
from domain.models import Actor, ProcessView
from domain.roles import Role
from domain.rulebook import enforces
from domain.text import StoredText
from domain.unit_customers import VatInvoiceInfo
from domain.vat_invoices import (
    VAT_INVOICE_CHAIN,
    CollectRequest,
    IssueRequest,
    VatInvoiceInput,
    VatInvoiceRequest,
    may_request,
)

router = APIRouter(tags=["VAT invoices"])
Station = Depends(require_any_role(Role.station_manager))
Finance = Depends(require_any_role(Role.finance_reviewer))
CollectionRecorder = Depends(require_any_role(Role.station_manager, Role.finance_reviewer))


class IssueIn(BaseModel):
    model_config = examples({"invoice_no": "41002500001234"})

    invoice_no: StoredText = Field(min_length=1, max_length=40, description="发票号码")


class VatInvoiceOut(BaseModel):
    """A line of the invoice register (发票登记, 000 §9 (三))."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    process_id: str
    customer_id: int
    unit_code: str
    certificate: VatInvoiceInfo
    amount: Decimal | None
    status: str | None
    invoice_no: str | None
    registered_by: str
    registered_at: ChinaTime
    issued_by: str | None
    issued_at: ChinaTime | None
    collected_by: str | None
    collected_at: ChinaTime | None


@router.post(
    "/customers/{customer_id}/vat-invoices", status_code=status.HTTP_201_CREATED, response_model=ProcessStateOut
)
@idempotent
@enforces("000-9-invoice-certificate-form")
async def request_vat_invoice(
    customer_id: RowId,
    body: VatInvoiceRequest,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    actor: Actor = Station,
) -> ProcessStateOut:
    """The certificate form of one invoice, to finance (000 §9 (三)): opens finance's issue task."""
    customer = await get_customer(session, actor, customer_id, loans=False)
    if not may_request(actor, customer.unit_code):
        raise Forbidden(f"the station {customer.unit_code} sends its customers' invoice forms (000 §5 (三), §9 (三))")
    ensure_customer_may(CustomerOperation.invoice, customer)
    certificate = await session.scalar(
        select(InvoiceRegisterEntry.certificate)
        .where(InvoiceRegisterEntry.customer_id == customer.id, InvoiceRegisterEntry.entry == "certificate")
        .order_by(InvoiceRegisterEntry.id.desc())
        .limit(1)
    )
    if certificate is None:
        raise Conflict(
            f"customer {customer.id} is not approved for VAT special invoices: the station and finance "
            "review that jointly first (000 §9 (三))"
        )
    view = await start_process(
        temporal,
        "VatInvoice",
        VatInvoiceInput(
            customer_id=customer.id,
            customer_name=customer.name,
            unit=customer.unit_code,
            unit_path=await unit_path(session, customer.unit_code),
            amount=body.amount,
            certificate=VatInvoiceInfo.model_validate(certificate),
            applicant=actor,
            chain=VAT_INVOICE_CHAIN,
        ),
        workflow_id=f"vat-invoice-{customer.id}-{uuid.uuid4().hex}",
        task_queue=request.app.state.task_queue,
        result_type=ProcessView,
    )
    return ProcessStateOut.model_validate(view.model_dump())


@router.get("/customers/{customer_id}/vat-invoices", response_model=list[VatInvoiceOut])
async def vat_invoices(customer_id: RowId, actor: CurrentActor, session: SessionDep) -> list[InvoiceRegisterEntry]:
    """Every invoice of the customer, oldest first, with its issue and collection (000 §9 (三))."""
    await get_customer(session, actor, customer_id, loans=False)
    rows = await session.scalars(
        select(InvoiceRegisterEntry)
        .where(InvoiceRegisterEntry.customer_id == customer_id, InvoiceRegisterEntry.entry == INVOICE_ENTRY)
        .order_by(InvoiceRegisterEntry.id)
    )
    return list(rows)


async def _update(
    temporal: TemporalDep, invoice: InvoiceRegisterEntry, name: str, arg: BaseModel, key: str = ""
) -> ProcessStateOut:
    """A double click is applied once (same update id); another number for an issued invoice is a
    new update, which the workflow refuses (409)."""
    assert invoice.workflow_id is not None  # every invoice entry is a process's
    handle = temporal.get_workflow_handle(invoice.workflow_id, run_id=invoice.process_id)
    update_id = f"{name}:{invoice.process_id}:{key}"
    view = await send_update(handle, name, arg, update_id=update_id, result_type=ProcessView)
    return ProcessStateOut.model_validate(view.model_dump())


@router.post("/vat-invoices/{invoice_id}/issue", response_model=ProcessStateOut)
async def issue_vat_invoice(
    invoice_id: RowId, body: IssueIn, session: SessionDep, temporal: TemporalDep, actor: Actor = Finance
) -> ProcessStateOut:
    """Finance issues the invoice and registers its number (000 §9 (三)); 409 once issued."""
    invoice = await get_vat_invoice(session, actor, invoice_id)
    issue = IssueRequest(actor=actor, invoice_no=body.invoice_no)
    return await _update(temporal, invoice, "issue", issue, body.invoice_no)


@router.post("/vat-invoices/{invoice_id}/collect", response_model=ProcessStateOut)
async def collect_vat_invoice(
    invoice_id: RowId, session: SessionDep, temporal: TemporalDep, actor: Actor = CollectionRecorder
) -> ProcessStateOut:
    """The issued invoice was collected (领取, 000 §9 (三)): by the customer's station or finance."""
    invoice = await get_vat_invoice(session, actor, invoice_id)
    return await _update(temporal, invoice, "collect", CollectRequest(actor=actor), actor.username)
